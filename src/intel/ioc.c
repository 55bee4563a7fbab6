/*
 * ioc.c - SHA-256 file-hash indicators from STIX 2.1 bundles (see ioc.h).
 *
 * DESIGN
 * Of everything a bundle may hold, vigil can act on one thing before any
 * file is touched: the hash of an executable about to run.  So it keeps
 * the SHA-256 values named by comparisons of the form
 *     file:hashes.'SHA-256' = '<64 hex>'      (also "SHA-256", SHA256)
 * in the patterns of indicators with pattern_type "stix", not revoked and
 * still valid.  A pattern with several comparisons (OR, AND) gives each
 * hash: a hash names one file whatever the rest of the pattern says, so
 * blocking on it alone can only be stricter, never wrong about the file.
 * Other indicators are counted as skipped and reported, not guessed at.
 * Must not: accept a file larger than IOC_FILE_MAX, more than IOC_MAX
 * hashes, or a document that is not a STIX bundle; keep anything from a
 * file that failed.
 */
#define _GNU_SOURCE
#include "ioc.h"
#include "../common/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* After "file:hashes." : the hash name, quoted or not; returns the end,
 * or NULL if it is not SHA-256. */
static const char *
sha256_key(const char *p)
{
	static const char *const names[] = { "'SHA-256'", "\"SHA-256\"",
		"SHA256", "'SHA256'", NULL };
	for (int i = 0; names[i]; i++) {
		size_t n = strlen(names[i]);
		if (strncasecmp(p, names[i], n) == 0)
			return p + n;
	}
	return NULL;
}

int
ioc_pattern_hashes(const char *pat, char (*out)[65], int max)
{
	int n = 0;
	const char *p = pat;
	while (n < max && (p = strcasestr(p, "file:hashes.")) != NULL) {
		p += strlen("file:hashes.");
		const char *q = sha256_key(p);
		if (q == NULL)
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '\'')
			continue;
		q++;
		size_t h = strspn(q, "0123456789abcdefABCDEF");
		if (h != 64 || q[64] != '\'')
			continue;
		for (int i = 0; i < 64; i++)
			out[n][i] = (char)tolower((unsigned char)q[i]);
		out[n][64] = '\0';
		n++;
		p = q + 65;
	}
	return n;
}

static int
add(struct ioc_set *s, const char *hash, const char *id, const char *name)
{
	for (size_t i = s->n; i-- > 0 && i + 8 >= s->n;)   /* cheap dedupe */
		if (strcmp(s->v[i].sha256, hash) == 0)
			return 0;
	if (s->n == IOC_MAX)
		return -1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct ioc *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	struct ioc *x = &s->v[s->n++];
	snprintf(x->sha256, sizeof x->sha256, "%s", hash);
	snprintf(x->indicator, sizeof x->indicator, "%s", id);
	snprintf(x->name, sizeof x->name, "%s", name);
	return 0;
}

/* One indicator object: its hashes into s; 1 if it gave any. */
static int
take_indicator(struct ioc_set *s, json_t *o, int64_t now, int *full)
{
	s->indicators++;
	const char *pat = json_string_value(json_object_get(o, "pattern"));
	const char *pt = json_string_value(json_object_get(o, "pattern_type"));
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *until = json_string_value(json_object_get(o,
	    "valid_until"));
	int64_t u;
	if (pat == NULL || pt == NULL || strcmp(pt, "stix") != 0 ||
	    json_is_true(json_object_get(o, "revoked")) ||
	    (until && parse_time(until, &u) == 0 && u < now))
		return 0;
	char h[16][65];
	int n = ioc_pattern_hashes(pat, h, 16);
	for (int i = 0; i < n; i++)
		if (add(s, h[i], id ? id : "", name ? name : "") < 0)
			*full = 1;
	return n > 0;
}

int
ioc_parse_bundle(const char *text, size_t len, struct ioc_set *set,
    int64_t now, char *err, size_t errlen)
{
	memset(set, 0, sizeof *set);
	if (len > IOC_FILE_MAX) {
		snprintf(err, errlen, "larger than %u MiB", IOC_FILE_MAX >> 20);
		return -1;
	}
	json_error_t je;
	json_t *b = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (b == NULL) {
		snprintf(err, errlen, "not JSON (line %d: %s)", je.line, je.text);
		return -1;
	}
	json_t *objs = json_object_get(b, "objects");
	const char *type = json_string_value(json_object_get(b, "type"));
	if (!json_is_object(b) || type == NULL || strcmp(type, "bundle") != 0 ||
	    (objs && !json_is_array(objs))) {
		snprintf(err, errlen, "not a STIX bundle (an object with \"type\":"
		    " \"bundle\" and an \"objects\" array)");
		json_decref(b);
		return -1;
	}
	size_t i;
	json_t *o;
	int full = 0;
	json_array_foreach(objs, i, o) {
		const char *t = json_string_value(json_object_get(o, "type"));
		if (!json_is_object(o) || t == NULL) {
			snprintf(err, errlen, "object %zu has no \"type\"", i);
			json_decref(b);
			ioc_set_free(set);
			return -1;
		}
		if (strcmp(t, "indicator") == 0 &&
		    !take_indicator(set, o, now, &full))
			set->skipped++;
	}
	json_decref(b);
	if (full) {
		snprintf(err, errlen, "more than %u hashes", IOC_MAX);
		ioc_set_free(set);
		return -1;
	}
	return 0;
}

void
ioc_set_free(struct ioc_set *set)
{
	free(set->v);
	memset(set, 0, sizeof *set);
}

int
ioc_store(sqlite3 *db, const struct ioc_set *set, const char *source,
    char *err, size_t errlen)
{
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS iocs(sha256 TEXT "
	    "PRIMARY KEY, indicator TEXT, name TEXT, source TEXT, imported "
	    "INTEGER); BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "journal: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO iocs(sha256, "
	    "indicator, name, source, imported) VALUES(?,?,?,?,?)", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	int64_t now = now_ns();
	for (size_t i = 0; i < set->n; i++) {
		sqlite3_bind_text(st, 1, set->v[i].sha256, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, set->v[i].indicator, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, set->v[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
fail:
	snprintf(err, errlen, "journal: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
