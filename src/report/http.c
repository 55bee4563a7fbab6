/*
 * http.c - one HTTP request with libcurl (see http.h).
 */
#define _GNU_SOURCE
#include "http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void
http_global_init(void)
{
	pthread_once(&once, init_once);
}

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	struct http_resp *r = arg;
	size_t k = sz * n;
	if (r->len + k > HTTP_RESPONSE_MAX)
		return 0;                    /* too much: abort the transfer */
	char *b = realloc(r->body, r->len + k + 1);
	if (b == NULL)
		return 0;
	memcpy(b + r->len, p, k);
	r->body = b;
	r->len += k;
	b[r->len] = '\0';
	return k;
}

int
http_do(const struct http_req *r, struct http_resp *out, char *err,
    size_t errlen)
{
	http_global_init();
	memset(out, 0, sizeof *out);
	CURL *c = curl_easy_init();
	if (c == NULL) {
		snprintf(err, errlen, "libcurl: cannot start a request");
		return -1;
	}
	struct curl_slist *h = NULL;
	char line[256];
	if (r->content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
		h = curl_slist_append(h, line);
	}
	if (r->accept) {
		snprintf(line, sizeof line, "Accept: %s", r->accept);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "User-Agent: vigil");
	curl_easy_setopt(c, CURLOPT_URL, r->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ?
	    r->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	if (r->ca_file && r->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
	if (r->userpwd && r->userpwd[0]) {
		curl_easy_setopt(c, CURLOPT_USERPWD, r->userpwd);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	}
	if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)r->body_len);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	else
		snprintf(err, errlen, "%s: %s", r->url, curl_easy_strerror(rc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK) {
		free(out->body);
		out->body = NULL;
		out->len = 0;
		return -1;
	}
	return 0;
}
