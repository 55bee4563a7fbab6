/*
 * share.c - vigil share ID [-c CONFIG]: push an incident's STIX 2.1
 * bundle to a TAXII 2.1 collection (an ISAC's, a national CERT's).
 *
 * TAXII 2.1 "Add Objects": POST {api-root}/collections/{id}/objects/
 * with an envelope {"objects": [...]}, media type
 * application/taxii+json;version=2.1; the server answers with a status
 * resource, which is polled at {api-root}/status/{status-id}/ until it is
 * complete (or 60 s pass).  The bundle is the one `vigil report --format
 * stix` gives, with the same privacy rules (report_* options).  The
 * collection, user, password and CA come from the configuration file
 * (taxii_*), which only root should read.
 * Exit status: 0 when the server says every object was added.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../common/config.h"
#include "../common/util.h"
#include "../report/http.h"
#include "../report/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TAXII_TYPE "application/taxii+json;version=2.1"
#define POLL_S 60

/* The envelope of the incident's bundle (malloc'd JSON text) or NULL. */
static char *
envelope(uint64_t id, const struct config *c, size_t *n)
{
	char err[256];
	sqlite3 *db = open_db();
	json_t *inc = report_load(db, id, err, sizeof err);
	sqlite3_close(db);
	if (inc == NULL) {
		fprintf(stderr, "vigil share: %s\n", err);
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct report_opts o = { .org = c->report_org,
		.tlp = config_tlp_names[c->report_tlp],
		.include_paths = c->report_include_paths };
	int rc = f ? report_stix(inc, &o, f, err, sizeof err) : -1;
	if (f)
		fclose(f);
	json_decref(inc);
	json_t *b = rc == 0 ? json_loadb(buf, len, 0, NULL) : NULL;
	free(buf);
	json_t *objs = json_object_get(b, "objects");
	json_t *env = objs ? json_pack("{s:O}", "objects", objs) : NULL;
	char *out = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	json_decref(b);
	if (out == NULL)
		fprintf(stderr, "vigil share: cannot build the bundle\n");
	*n = out ? strlen(out) : 0;
	return out;
}

static int
request(const struct config *c, const char *method, const char *url,
    const char *body, size_t n, json_t **res)
{
	char up[400], err[512];
	snprintf(up, sizeof up, "%s:%s", c->taxii_user, c->taxii_password);
	struct http_req r = { .method = method, .url = url, .content_type =
		body ? TAXII_TYPE : NULL, .accept = TAXII_TYPE, .body = body,
		.body_len = n, .userpwd = c->taxii_user[0] ? up : NULL,
		.ca_file = c->taxii_ca, .timeout_ms = 30000 };
	struct http_resp resp;
	if (http_do(&r, &resp, err, sizeof err) < 0) {
		fprintf(stderr, "vigil share: %s\n", err);
		return -1;
	}
	*res = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	if (resp.status < 200 || resp.status >= 300 || !json_is_object(*res)) {
		fprintf(stderr, "vigil share: %s %s: HTTP %ld%s%.300s\n", method,
		    url, resp.status, resp.body ? ": " : "",
		    resp.body ? resp.body : "");
		free(resp.body);
		json_decref(*res);
		*res = NULL;
		return -1;
	}
	free(resp.body);
	return 0;
}

static int
report_status(json_t *st, const char *coll)
{
	const char *s = json_string_value(json_object_get(st, "status"));
	json_int_t ok = json_integer_value(json_object_get(st,
	    "success_count"));
	json_int_t bad = json_integer_value(json_object_get(st,
	    "failure_count"));
	json_int_t total = json_integer_value(json_object_get(st,
	    "total_count"));
	printf("shared to %s: %s, %lld of %lld object(s) added, %lld "
	    "failed\n", coll, s ? s : "?", (long long)ok, (long long)total,
	    (long long)bad);
	return s && strcmp(s, "complete") == 0 && bad == 0 ? 0 : 1;
}

int
cmd_share(int argc, char **argv)
{
	const char *conf = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			return 2;
		conf = optarg;
	}
	unsigned long long id;
	if (optind + 1 != argc || parse_uint(argv[optind], UINT64_MAX / 2,
	    &id) < 0 || id == 0) {
		fprintf(stderr, "usage: vigil share ID [-c CONFIG]\n");
		return 2;
	}
	struct config c;
	char err[1024];
	config_defaults(&c);
	const char *path = conf ? conf : CONFIG_DEFAULT_PATH;
	if ((conf || access(path, R_OK) == 0) &&
	    config_load(&c, path, err, sizeof err) < 0) {
		fprintf(stderr, "vigil share: %s\n", err);
		return 2;
	}
	const char *coll = c.taxii_collection;
	const char *cp = strstr(coll, "/collections/");
	if (coll[0] == '\0' || cp == NULL) {
		fprintf(stderr, "vigil share: no taxii_collection (an URL "
		    "ending in /collections/ID/) in %s\n", path);
		config_free(&c);
		return 2;
	}
	size_t n;
	char *body = envelope(id, &c, &n);
	if (body == NULL) {
		config_free(&c);
		return 1;
	}
	char url[1200];
	snprintf(url, sizeof url, "%s%sobjects/", coll,
	    coll[strlen(coll) - 1] == '/' ? "" : "/");
	json_t *st = NULL;
	int rc = request(&c, "POST", url, body, n, &st);
	free(body);
	const char *sid = json_string_value(json_object_get(st, "id"));
	const char *s = json_string_value(json_object_get(st, "status"));
	/* poll the status resource until the server is done */
	for (int i = 0; rc == 0 && sid && s && strcmp(s, "pending") == 0 &&
	    i < POLL_S; i++) {
		sleep(1);
		char surl[1300];
		snprintf(surl, sizeof surl, "%.*sstatus/%s/", (int)(cp - coll + 1),
		    coll, sid);
		json_t *next = NULL;
		if (request(&c, "GET", surl, NULL, 0, &next) < 0) {
			rc = -1;
			break;
		}
		json_decref(st);
		st = next;
		sid = json_string_value(json_object_get(st, "id"));
		s = json_string_value(json_object_get(st, "status"));
	}
	int ex = rc == 0 ? report_status(st, coll) : 1;
	json_decref(st);
	config_free(&c);
	return ex;
}
