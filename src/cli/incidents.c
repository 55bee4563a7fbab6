/*
 * incidents.c - vigil incidents | show ID | rollback ID | release ID.
 *
 * Incidents are read from the journal (so they can be listed and rolled
 * back with vigild stopped).  rollback asks a running vigild to commit
 * its queued events first ("flush"), runs the rollback itself
 * (recover/rollback.c), then tells vigild so it can apply the kill
 * policy ("rolled-back ID").  release needs the running vigild: only it
 * holds the frozen processes' pidfds.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../journal/store.h"
#include "../recover/rollback.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
parse_id(const char *cmd, int argc, char **argv, int first, uint64_t *id)
{
	unsigned long long v;
	if (first >= argc || parse_uint(argv[first], UINT64_MAX / 2, &v) < 0 ||
	    v == 0) {
		fprintf(stderr, "vigil %s: expected an incident ID (see vigil "
		    "incidents)\n", cmd);
		return -1;
	}
	if (first + 1 < argc) {
		fprintf(stderr, "vigil %s: unexpected argument \"%s\"\n", cmd,
		    argv[first + 1]);
		return -1;
	}
	*id = v;
	return 0;
}

static void
time_field(FILE *f, const char *name, sqlite3_stmt *st, int col)
{
	fprintf(f, ",\"%s\":", name);
	if (sqlite3_column_type(st, col) == SQLITE_NULL ||
	    sqlite3_column_int64(st, col) == 0) {
		fprintf(f, "null");
		return;
	}
	char t[40];
	json_str(f, format_time(sqlite3_column_int64(st, col), t, sizeof t));
}

#define INCIDENT_COLS "id, state, detected, contained, first_activity, " \
	"rolled_back, released, doc"

/* One incident as a JSON object: the stored document plus its state. */
static void
incident_json(FILE *f, sqlite3_stmt *st)
{
	fprintf(f, "{\"id\":%lld,\"state\":", sqlite3_column_int64(st, 0));
	json_str(f, (const char *)sqlite3_column_text(st, 1));
	time_field(f, "detected_at", st, 2);
	time_field(f, "contained_at", st, 3);
	time_field(f, "first_activity", st, 4);
	time_field(f, "rolled_back_at", st, 5);
	time_field(f, "released_at", st, 6);
	const char *doc = (const char *)sqlite3_column_text(st, 7);
	/* doc is an object written by vigild: splice its members in */
	if (doc && doc[0] == '{' && doc[1] != '}')
		fprintf(f, ",%s", doc + 1);
	else
		fprintf(f, "}");
}

static void
incident_line(sqlite3_stmt *st)
{
	char t[40];
	const char *doc = (const char *)sqlite3_column_text(st, 7);
	const char *exe = doc ? strstr(doc, "\"exe\":\"") : NULL;
	char ex[128] = "?";
	if (exe) {
		exe += 7;
		size_t n = strcspn(exe, "\"");
		if (n >= sizeof ex)
			n = sizeof ex - 1;
		memcpy(ex, exe, n);
		ex[n] = '\0';
	}
	const char *ft = doc ? strstr(doc, "\"files_touched\":") : NULL;
	printf("%-5lld %-16s %-24s %-6ld %s\n", sqlite3_column_int64(st, 0),
	    (const char *)sqlite3_column_text(st, 1),
	    format_time(sqlite3_column_int64(st, 2), t, sizeof t),
	    ft ? strtol(ft + 16, NULL, 10) : -1L, ex);
}

int
cmd_incidents(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "vigil incidents: takes no arguments\n");
		return 2;
	}
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT " INCIDENT_COLS " FROM incidents "
	    "ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil: %s\n", sqlite3_errmsg(db));
		sqlite3_close(db);
		return 1;
	}
	int n = 0;
	if (G.json)
		printf("[");
	else
		printf("%-5s %-16s %-24s %-6s %s\n", "ID", "STATE", "DETECTED",
		    "FILES", "ACTOR");
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (G.json) {
			if (n)
				printf(",");
			incident_json(stdout, st);
		} else {
			incident_line(st);
		}
		n++;
	}
	if (G.json)
		printf("]\n");
	else if (n == 0)
		printf("(no incidents)\n");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

static void
show_items(sqlite3 *db, uint64_t id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT seq, action, path, path2, undone "
	    "FROM rollback_items WHERE incident_id=? ORDER BY seq", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			printf("\nrollback steps:\n");
		const char *p2 = (const char *)sqlite3_column_text(st, 3);
		printf("  %3d %-14s %s%s%s%s\n", sqlite3_column_int(st, 0),
		    (const char *)sqlite3_column_text(st, 1),
		    (const char *)sqlite3_column_text(st, 2), p2 ? " -> " : "",
		    p2 ? p2 : "", sqlite3_column_int(st, 4) ? " (undone)" : "");
	}
	sqlite3_finalize(st);
}

int
cmd_show(int argc, char **argv)
{
	uint64_t id;
	if (parse_id("show", argc, argv, 1, &id) < 0)
		return 2;
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	int rc = 1;
	if (sqlite3_prepare_v2(db, "SELECT " INCIDENT_COLS " FROM incidents "
	    "WHERE id=?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		if (sqlite3_step(st) == SQLITE_ROW) {
			incident_json(stdout, st);
			printf("\n");
			rc = 0;
		} else {
			fprintf(stderr, "vigil show: no incident %" PRIu64 "\n",
			    id);
		}
		sqlite3_finalize(st);
	}
	if (rc == 0 && !G.json)
		show_items(db, id);
	sqlite3_close(db);
	return rc;
}

int
cmd_rollback(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "undo", no_argument, NULL, 'u' },
		{ "by-daemon", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 },
	};
	int dry = 0, undo = 0, by_daemon = 0, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "nu", lo, NULL)) != -1) {
		switch (ch) {
		case 'n': dry = 1; break;
		case 'u': undo = 1; break;
		case 'D': by_daemon = 1; break;
		default: return 2;
		}
	}
	uint64_t id;
	if (parse_id("rollback", argc, argv, optind, &id) < 0)
		return 2;
	char buf[4096];
	/* vigild (if running) commits the events the rollback reads; when
	 * vigild itself started us it has flushed already */
	if (!by_daemon && ctl_call("flush", buf, sizeof buf) < 0 &&
	    errno != ENOENT && errno != ECONNREFUSED)
		fprintf(stderr, "vigil rollback: vigild did not answer (%s); "
		    "using the journal as it is\n", strerror(errno));
	sqlite3 *db = open_db();
	int rc = rollback_run(db, id, dry, undo, G.json, stdout);
	sqlite3_close(db);
	if (rc == 0 && !dry && !undo && !by_daemon) {
		char req[64];
		snprintf(req, sizeof req, "rolled-back %" PRIu64, id);
		ctl_call(req, buf, sizeof buf);
	}
	return rc;
}

int
cmd_release(int argc, char **argv)
{
	uint64_t id;
	if (parse_id("release", argc, argv, 1, &id) < 0)
		return 2;
	char req[64], buf[4096];
	snprintf(req, sizeof req, "release %" PRIu64, id);
	if (ctl_call(req, buf, sizeof buf) < 0) {
		fprintf(stderr, "vigil release: no vigild answers at %s (%s); "
		    "only the running vigild holds frozen processes\n",
		    G.state_dir, strerror(errno));
		return 1;
	}
	int ok = strstr(buf, "\"ok\":true") != NULL;
	if (ok) {
		sqlite3 *db = open_db();
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "UPDATE incidents SET state="
		    "'released', released=? WHERE id=?", -1, &st, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(st, 1, now_ns());
			sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		sqlite3_close(db);
	}
	if (G.json)
		fputs(buf, stdout);
	else if (ok)
		printf("incident %" PRIu64 ": processes resumed\n", id);
	else
		fprintf(stderr, "vigil release: %s", buf);
	return ok ? 0 : 1;
}
