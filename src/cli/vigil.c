/*
 * vigil.c - the command-line interface: status, history, restore, events
 * (incidents, show, rollback and release live in incidents.c).
 *
 * "status" asks the running daemon over its control socket (the only
 * honest answer to "is protection active now?").  The other commands read
 * the journal directly, so they work while vigild is stopped or has
 * crashed, which is exactly when an admin may need them most.
 * Exit status: 0 success, 1 failure / not active / nothing found,
 * 2 usage error.
 */
#define _GNU_SOURCE
#include "../common/config.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/store.h"
#include "../recover/restore.h"
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct g G = { CONFIG_DEFAULT_STATE_DIR, 0 };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vigil [--state-dir DIR] [--json] COMMAND [ARGS]\n\n"
	    "Commands:\n"
	    "  status                          is protection active? (exit 0 "
	    "only if so)\n"
	    "  history PATH                    versions kept of PATH\n"
	    "  restore PATH [--at TIME] [--to DEST]\n"
	    "                                  restore a file or a tree\n"
	    "  events [--since TIME] [--actor ID] [--limit N]\n"
	    "                                  the journal's event log\n"
	    "  incidents                       incidents: attackers detected "
	    "and frozen\n"
	    "  show ID                         one incident: actor, indicators,"
	    " evidence\n"
	    "  rollback ID [--dry-run] [--undo]\n"
	    "                                  undo every change the "
	    "incident's actor made\n"
	    "                                  (--undo puts them back: false "
	    "alarm)\n"
	    "  release ID                      resume a frozen actor after a "
	    "false alarm\n"
	    "  report ID [--format json|stix|html] [-o FILE] [--org NAME]\n"
	    "            [--tlp LEVEL] [--include-paths]\n"
	    "                                  the incident for people (html) "
	    "or other sites (STIX 2.1)\n"
	    "  share ID [-c CONFIG]            push the STIX bundle to the "
	    "TAXII 2.1 collection\n"
	    "  ioc import FILE [--source NAME] | ioc list\n"
	    "                                  file-hash indicators from a STIX "
	    "2.1 bundle\n\n"
	    "Global options:\n"
	    "  --state-dir DIR   vigild's state dir (default %s)\n"
	    "  --json            machine-readable output\n"
	    "  --help, --version\n\n"
	    "TIME: 2026-11-24T10:00:00[Z], \"2026-11-24 10:00\", @EPOCH, or "
	    "-90s, -15m, -2h, -3d.\nSee vigil(1).\n", CONFIG_DEFAULT_STATE_DIR);
}

int
ctl_call(const char *req, char *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/vigild.sock",
	    G.state_dir);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	char line[256];
	int ll = snprintf(line, sizeof line, "%s\n", req);
	write_full(fd, line, (size_t)ll);
	size_t n = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 30000) <= 0)
			break;
		ssize_t r = read(fd, buf + n, len - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return 0;
}

/* Before reading the journal or vault versions: tell vigild (if it runs)
 * who we are, so that our reads are not taken for tampering, even once we
 * have exited (warn/tamper.c). */
void
ctl_hello(void)
{
	char buf[256];
	ctl_call("hello", buf, sizeof buf);
}

sqlite3 *
open_db(void)
{
	char err[1024];
	ctl_hello();
	sqlite3 *db = store_open(G.state_dir, 0, 0, err, sizeof err);
	if (db == NULL) {
		fprintf(stderr, "vigil: %s\n", err);
		exit(1);
	}
	return db;
}

static int
cmd_status(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "vigil status: takes no arguments\n");
		return 2;
	}
	char buf[65536];
	if (ctl_call("status", buf, sizeof buf) < 0) {
		if (G.json)
			printf("{\"active\":false,\"error\":\"vigild is not "
			    "running\"}\n");
		else
			printf("vigil: NOT PROTECTED: no vigild answers at "
			    "%s/vigild.sock (%s)\n", G.state_dir,
			    strerror(errno));
		return 1;
	}
	int active = strstr(buf, "\"active\":true") != NULL;
	if (G.json) {
		fputs(buf, stdout);
	} else {
		printf("vigild: %s\n", active ? "protection ACTIVE" :
		    strstr(buf, "\"scanning\":true") ? "starting (initial scan)"
		    : "NOT active");
		printf("%s", buf);
	}
	return active ? 0 : 1;
}

static void
print_actor_cols(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL) {
		printf("-");
		return;
	}
	printf("pid=%d uid=%lld exe=%s", sqlite3_column_int(st, col),
	    (long long)sqlite3_column_int64(st, col + 1),
	    (const char *)sqlite3_column_text(st, col + 2));
}

static int
cmd_history(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: vigil history PATH\n");
		return 2;
	}
	const char *path = argv[1];
	if (!path_is_clean_absolute(path)) {
		fprintf(stderr, "vigil history: \"%s\" is not a clean absolute "
		    "path\n", path);
		return 2;
	}
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	const char *sql =
	    "SELECT v.id, v.created, v.reason, v.size, v.state, v.path,"
	    " a.pid, a.uid, a.exe, v.actor_id, v.evicted FROM versions v"
	    " LEFT JOIN actors a ON a.id=v.actor_id"
	    " WHERE v.path=?1 OR EXISTS (SELECT 1 FROM names n WHERE"
	    " n.path=?1 AND n.dev=v.dev AND n.ino=v.ino AND"
	    " v.created>=n.since) ORDER BY v.created";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	int n = 0;
	if (G.json)
		printf("[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char tb[40];
		format_time(sqlite3_column_int64(st, 1), tb, sizeof tb);
		const char *state = sqlite3_column_int64(st, 10) ? "evicted" :
		    (const char *)sqlite3_column_text(st, 4);
		if (G.json) {
			printf("%s{\"id\":%lld,\"time\":\"%s\",\"reason\":",
			    n ? "," : "", sqlite3_column_int64(st, 0), tb);
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    2));
			printf(",\"size\":%lld,\"state\":",
			    sqlite3_column_int64(st, 3));
			json_str(stdout, state);
			printf(",\"path\":");
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    5));
			printf(",\"actor\":{\"id\":%lld,\"pid\":%d,\"uid\":%lld,"
			    "\"exe\":", sqlite3_column_int64(st, 9),
			    sqlite3_column_int(st, 6),
			    sqlite3_column_int64(st, 7));
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    8));
			printf("}}");
		} else {
			printf("%-20lld %s %-16s %10lld %-7s %s  ",
			    sqlite3_column_int64(st, 0), tb,
			    sqlite3_column_text(st, 2),
			    sqlite3_column_int64(st, 3), state,
			    sqlite3_column_text(st, 5));
			print_actor_cols(st, 6);
			printf("\n");
		}
		n++;
	}
	if (G.json)
		printf("]\n");
	else if (n == 0)
		printf("no versions of %s\n", path);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n ? 0 : 1;
}

static int
cmd_restore(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct restore_opts o = { .at = RESTORE_NOW, .json = G.json };
	int ch;
	optind = 0; /* GNU: 0 reinitialises for a new vector */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (parse_time(optarg, &o.at) < 0) {
				fprintf(stderr, "vigil restore: bad time \"%s\""
				    "\n", optarg);
				return 2;
			}
			break;
		case 't': o.to = optarg; break;
		default:
			fprintf(stderr, "usage: vigil restore PATH [--at TIME] "
			    "[--to DEST]\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: vigil restore PATH [--at TIME] "
		    "[--to DEST]\n");
		return 2;
	}
	o.path = argv[optind];
	/* versions still filling (range pre-images) are completed first */
	char buf[256];
	ctl_call("flush", buf, sizeof buf);
	sqlite3 *db = open_db();
	int rc = restore_run(db, &o, stdout);
	sqlite3_close(db);
	return rc;
}

static int
cmd_events(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "since", required_argument, NULL, 's' },
		{ "actor", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t since = 0;
	unsigned long long actor = 0, limit = 0;
	int ch;
	optind = 0; /* GNU: 0 reinitialises for a new vector */
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (parse_time(optarg, &since) < 0) {
				fprintf(stderr, "vigil events: bad time \"%s\"\n",
				    optarg);
				return 2;
			}
			break;
		case 'a':
			if (parse_uint(optarg, INT64_MAX, &actor) < 0) {
				fprintf(stderr, "vigil events: --actor takes an "
				    "actor id (see vigil events)\n");
				return 2;
			}
			break;
		case 'n':
			if (parse_uint(optarg, INT64_MAX, &limit) < 0) {
				fprintf(stderr, "vigil events: bad --limit\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: vigil events [--since TIME] "
			    "[--actor ID] [--limit N]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "vigil events: unexpected argument \"%s\"\n",
		    argv[optind]);
		return 2;
	}
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT e.time, e.op, e.path, e.path2,"
	    " a.pid, a.uid, a.exe, e.actor_id, e.version_id, a.cmdline,"
	    " a.is_smbd FROM events e LEFT JOIN actors a ON a.id=e.actor_id"
	    " WHERE e.time>=?1 AND (?2=0 OR e.actor_id=?2) ORDER BY e.time,"
	    " e.id LIMIT ?3", -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "vigil: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)actor);
	sqlite3_bind_int64(st, 3, limit ? (sqlite3_int64)limit : -1);
	int n = 0;
	if (G.json)
		printf("[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		char tb[40];
		format_time(sqlite3_column_int64(st, 0), tb, sizeof tb);
		const char *p1 = (const char *)sqlite3_column_text(st, 2);
		const char *p2 = (const char *)sqlite3_column_text(st, 3);
		if (G.json) {
			printf("%s{\"time\":\"%s\",\"op\":", n ? "," : "", tb);
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    1));
			printf(",\"path\":");
			json_str(stdout, p1);
			if (p2) {
				printf(",\"path2\":");
				json_str(stdout, p2);
			}
			printf(",\"actor\":{\"id\":%lld,\"pid\":%d,\"uid\":%lld,"
			    "\"smbd\":%s,\"exe\":", sqlite3_column_int64(st, 7),
			    sqlite3_column_int(st, 4),
			    sqlite3_column_int64(st, 5),
			    sqlite3_column_int(st, 10) ? "true" : "false");
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    6));
			printf(",\"cmdline\":");
			json_str(stdout, (const char *)sqlite3_column_text(st,
			    9));
			printf("},\"version\":%lld}",
			    sqlite3_column_int64(st, 8));
		} else {
			printf("%s %-12s %s%s%s  actor=%lld ", tb,
			    sqlite3_column_text(st, 1), p1 ? p1 : "-",
			    p2 ? " -> " : "", p2 ? p2 : "",
			    sqlite3_column_int64(st, 7));
			print_actor_cols(st, 4);
			if (sqlite3_column_int64(st, 8))
				printf(" version=%lld",
				    sqlite3_column_int64(st, 8));
			printf("\n");
		}
		n++;
	}
	if (G.json)
		printf("]\n");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "state-dir", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	log_init("vigil", 0, LOG_LVL_WARN);
	int ch;
	while ((ch = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!path_is_clean_absolute(optarg)) {
				fprintf(stderr, "vigil: --state-dir: \"%s\" is not "
				    "a clean absolute path\n", optarg);
				return 2;
			}
			G.state_dir = optarg;
			break;
		case 'j': G.json = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vigil %s\n", VIGIL_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind];
	int cargc = argc - optind;
	char **cargv = argv + optind;
	static const struct { const char *name; int (*fn)(int, char **); }
	    cmds[] = {
		{ "status", cmd_status }, { "history", cmd_history },
		{ "restore", cmd_restore }, { "events", cmd_events },
		{ "incidents", cmd_incidents }, { "show", cmd_show },
		{ "rollback", cmd_rollback }, { "release", cmd_release },
		{ "report", cmd_report }, { "ioc", cmd_ioc },
		{ "share", cmd_share },
	};
	for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
		if (strcmp(cmd, cmds[c].name) != 0)
			continue;
		for (int i = 1; i < cargc; i++)
			if (strcmp(cargv[i], "--help") == 0 ||
			    strcmp(cargv[i], "-h") == 0) {
				usage(stdout);
				return 0;
			}
		return cmds[c].fn(cargc, cargv);
	}
	fprintf(stderr, "vigil: unknown command \"%s\"\n", cmd);
	usage(stderr);
	return 2;
}
