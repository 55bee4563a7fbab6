/*
 * report.c - one incident from the journal, as one JSON object (see
 * report.h), and the JSON rendering of it.
 *
 * DESIGN
 * The judge wrote the incident's document when it froze the attacker
 * (actor, indicators, evidence, artifacts); the CLI recorded rollback
 * and release.  A report adds what the journal knows besides: every
 * event of the incident's actors (the timeline a person reads and the
 * chart draws), and a count of rollback steps by kind.  Everything is
 * read from journal.db, so a report works with vigild stopped, on a copy
 * of the state directory, or years later.
 * Must not: trust the stored document's shape (it is parsed, and a field
 * of the wrong type is skipped, never dereferenced).
 */
#define _GNU_SOURCE
#include "report.h"
#include "../common/util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A JSON string of s; bytes that are not valid UTF-8 (a path can hold
 * any) become '?', so an event is never dropped for its name. */
static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *c = strdup(s);
	if (c == NULL)
		return json_string("");
	for (unsigned char *p = (unsigned char *)c; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

static json_t *
time_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL ||
	    sqlite3_column_int64(st, col) == 0)
		return json_null();
	char t[40];
	return json_string(format_time(sqlite3_column_int64(st, col), t,
	    sizeof t));
}

static int
load_row(sqlite3 *db, uint64_t id, json_t *inc, json_t **ids, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT state, detected, contained, "
	    "first_activity, rolled_back, released, actor_ids, doc FROM "
	    "incidents WHERE id=?", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "journal: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		snprintf(err, errlen, "no incident %" PRIu64, id);
		return -1;
	}
	const char *doc = (const char *)sqlite3_column_text(st, 7);
	json_t *d = doc ? json_loads(doc, 0, NULL) : NULL;
	if (json_is_object(d))
		json_object_update(inc, d);
	json_decref(d);
	json_object_set_new(inc, "id", json_integer((json_int_t)id));
	const char *state = (const char *)sqlite3_column_text(st, 0);
	json_object_set_new(inc, "state", jstr(state));
	static const char *const names[] = { "detected_at", "contained_at",
		"first_activity", "rolled_back_at", "released_at" };
	static const char *const ns_names[] = { "detected_ns", "contained_ns",
		"first_activity_ns", "rolled_back_ns", "released_ns" };
	for (int i = 0; i < 5; i++) {
		json_object_set_new(inc, names[i], time_or_null(st, i + 1));
		json_object_set_new(inc, ns_names[i], json_integer(
		    sqlite3_column_int64(st, i + 1)));
	}
	const char *a = (const char *)sqlite3_column_text(st, 6);
	*ids = a ? json_loads(a, 0, NULL) : NULL;
	sqlite3_finalize(st);
	return 0;
}

/* Every event of the incident's actors, oldest first. */
static json_t *
timeline(sqlite3 *db, json_t *ids)
{
	json_t *tl = json_array();
	if (!json_is_array(ids) || json_array_size(ids) == 0)
		return tl;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT time, op, path, path2 FROM events "
	    "WHERE actor_id IN (SELECT value FROM json_each(?)) ORDER BY id "
	    "LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		return tl;
	char *s = json_dumps(ids, JSON_COMPACT);
	sqlite3_bind_text(st, 1, s ? s : "[]", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, REPORT_TIMELINE_MAX);
	free(s);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char t[40];
		const char *op = (const char *)sqlite3_column_text(st, 1);
		const char *p = (const char *)sqlite3_column_text(st, 2);
		const char *p2 = (const char *)sqlite3_column_text(st, 3);
		json_t *e = json_pack("{s:s, s:I, s:o, s:o}", "time",
		    format_time(sqlite3_column_int64(st, 0), t, sizeof t),
		    "t_ns", (json_int_t)sqlite3_column_int64(st, 0), "op",
		    jstr(op), "path", jstr(p));
		if (e && p2)
			json_object_set_new(e, "path2", jstr(p2));
		if (e)
			json_array_append_new(tl, e);
	}
	sqlite3_finalize(st);
	return tl;
}

static json_t *
rollback_counts(sqlite3 *db, uint64_t id)
{
	json_t *r = json_object();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT action, count(*) FROM "
	    "rollback_items WHERE incident_id=? AND undone=0 GROUP BY action",
	    -1, &st, NULL) != SQLITE_OK)
		return r;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		if (a)   /* an invalid key is refused by jansson */
			json_object_set_new(r, a,
			    json_integer(sqlite3_column_int64(st, 1)));
	}
	sqlite3_finalize(st);
	return r;
}

json_t *
report_load(sqlite3 *db, uint64_t id, char *err, size_t errlen)
{
	json_t *inc = json_object(), *ids = NULL;
	if (inc == NULL || load_row(db, id, inc, &ids, err, errlen) < 0) {
		json_decref(inc);
		return NULL;
	}
	json_object_set_new(inc, "timeline", timeline(db, ids));
	json_object_set_new(inc, "rollback", rollback_counts(db, id));
	char host[256] = "";
	gethostname(host, sizeof host - 1);
	json_object_set_new(inc, "host", jstr(host));
	json_decref(ids);
	return inc;
}

int
report_json(json_t *inc, FILE *out)
{
	if (json_dumpf(inc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0)
		return -1;
	fputc('\n', out);
	return 0;
}
