/*
 * http.h - the few HTTP requests vigil makes (libcurl): the incident
 * webhook and the TAXII 2.1 push.
 *
 * Owns: one request with a deadline, TLS verified against the system's
 * CAs or a given CA file, a response body capped in size.
 * Must never: follow a redirect to another scheme, wait without a
 * timeout, or keep more of a response than HTTP_RESPONSE_MAX.
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stddef.h>

#define HTTP_RESPONSE_MAX (1u << 20)

struct http_req {
	const char *method;          /* "GET" or "POST" */
	const char *url;
	const char *content_type;    /* POST */
	const char *accept;
	const char *body;
	size_t body_len;
	const char *userpwd;         /* "user:password" or NULL */
	const char *ca_file;         /* NULL: the system's CAs */
	long timeout_ms;
};

struct http_resp {
	long status;                 /* 0 if no response */
	char *body;                  /* NUL-terminated, free() it */
	size_t len;
};

/* 0 when a response came (any status), -1 with err filled otherwise. */
int http_do(const struct http_req *r, struct http_resp *out, char *err,
    size_t errlen);
void http_global_init(void);

#endif
