/*
 * control.c - the control socket that "vigil status" talks to.
 *
 * A unix stream socket <state_dir>/vigild.sock, mode 0600 (root only).
 * Protocol: the client sends one line naming a command; vigild answers
 * with one JSON object and closes.  Commands: "status", "flush" (commit
 * queued journal records), "release ID" (resume an incident's frozen
 * processes), "rolled-back ID" (apply the kill policy after a rollback).  Requests are
 * read with a timeout so a stuck client cannot hold the thread.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"
#include "../judge/judge.h"
#include "../contain/smbban.h"
#include "../intel/exec.h"
#include "../report/emit.h"
#include "../warn/warn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int lfd = -1;
static pthread_t cthread;
static char sock_path[PATH_MAX];

#define C(x) (unsigned long)atomic_load(&D.c.x)

static void
status_json(FILE *f)
{
	char t[40];
	int active = atomic_load(&D.scanned) && D.perm_fd >= 0;
	fprintf(f, "{\"active\":%s,\"scanning\":%s,\"pid\":%d,\"version\":\"%s\","
	    "\"started\":\"%s\",\"perm_timeout_ms\":%u,\"trees\":[",
	    active ? "true" : "false",
	    atomic_load(&D.scanned) ? "false" : "true", getpid(),
	    VIGIL_VERSION, format_time(D.started_ns, t, sizeof t),
	    D.cfg.perm_timeout_ms);
	for (int i = 0; i < D.ntrees; i++) {
		struct tree *tr = &D.trees[i];
		fprintf(f, "%s{\"path\":", i ? "," : "");
		json_str(f, tr->path);
		fprintf(f, ",\"vault\":");
		json_str(f, tr->vault->path);
		fprintf(f, ",\"reflink\":%d,\"range_preimages\":%s,"
		    "\"dirs\":%lu,\"files\":%lu}",
		    atomic_load(&tr->vault->reflink),
		    range_enabled(tr) ? "true" : "false", (unsigned long)atomic_load(&tr->dirs),
		    (unsigned long)atomic_load(&tr->files));
	}
	unsigned long pe = C(perm_events) - C(perm_own);
	unsigned long long tot = atomic_load(&D.c.perm_ns_total);
	fprintf(f, "],\"counters\":{\"perm_events\":%lu,\"perm_own\":%lu,\"perm_fast\":%lu,"
	    "\"writes_seen\":%lu,\"preserved\":%lu,\"preserve_failed\":%lu,"
	    "\"skipped_same\":%lu,\"held\":%lu,\"held_now\":%ld,\"hold_failed\":%lu,"
	    "\"retired\":%lu,\"failopen\":%lu,\"torn\":%lu,"
	    "\"pre_access_events\":%lu,\"range_versions\":%lu,"
	    "\"range_completed\":%lu,\"range_covers\":%lu,"
	    "\"notify_events\":%lu,\"dirs_marked\":%lu,\"mark_failed\":%lu,"
	    "\"evicted\":%lu,\"evicted_young\":%lu,\"log_dropped\":%llu,"
	    "\"journal_queue\":%llu,\"notify_backlog\":%lu,"
	    "\"perm_avg_us\":%.1f,"
	    "\"perm_max_us\":%.1f,\"indexed_inodes\":%zu,"
	    "\"busy_gate\":%lu},",
	    C(perm_events), C(perm_own), C(perm_fast), C(writes_seen), C(preserved),
	    C(preserve_failed), C(skipped_same), C(held), (long)atomic_load(&D.held_now), C(hold_failed),
	    C(retired), C(failopen), C(torn), C(pre_events), C(range_begun),
	    C(range_done), C(range_covers), C(notify_events), C(dirs_marked),
	    C(mark_failed), C(evicted), C(evicted_young),
	    (unsigned long long)log_dropped(),
	    (unsigned long long)store_queued(), notify_backlog(),
	    pe ? (double)tot / pe / 1000.0 : 0.0,
	    (double)atomic_load(&D.c.perm_ns_max) / 1000.0, index_count(),
	    C(busy_gate));
	unsigned long groups, incidents, waits, denied, done, queued, destroyed,
	    suspect;
	judge_counters(&groups, &incidents, &waits, &denied);
	analyser_counters(&done, &queued, &destroyed, &suspect);
	fprintf(f, "\"detection\":{\"enabled\":%s,\"threshold\":%u,"
	    "\"rollback\":\"%s\",\"groups\":%lu,\"incidents\":%lu,"
	    "\"analysed\":%lu,\"analysis_queue\":%lu,\"destroyed\":%lu,"
	    "\"suspect\":%lu,\"backpressure_waits\":%lu,\"denied\":%lu}}\n",
	    D.cfg.detect ? "true" : "false", D.cfg.score_threshold,
	    D.cfg.rollback_auto ? "auto" : "manual", groups, incidents, done,
	    queued, destroyed, suspect, waits, denied);
}

/* "release ID" also lets a banned SMB client back in. */
static void
lift_smb_ban(unsigned long long id)
{
	char err[512];
	int rc = smbban_remove(D.cfg.smb_ban_file, id, err, sizeof err);
	if (rc < 0)
		log_warnx("incident %llu: cannot lift the SMB ban: %s", id, err);
	else if (rc == 1 && smbban_reload(D.cfg.smb_conf) < 0)
		log_warnx("incident %llu: SMB ban removed from %s, but smbd "
		    "did not reload it", id, D.cfg.smb_ban_file);
	else if (rc == 1)
		log_warnx("incident %llu: SMB ban lifted", id);
}

/* "release ID", "rolled-back ID": act on an incident's frozen processes */
static void
incident_cmd(FILE *f, const char *req)
{
	char cmd[32];
	unsigned long long id;
	if (sscanf(req, "%31s %llu", cmd, &id) != 2) {
		fprintf(f, "{\"error\":\"expected: %s ID\"}\n", cmd);
		return;
	}
	int rc;
	const char *done;
	if (strcmp(cmd, "release") == 0) {
		rc = judge_release(id);
		done = "released";
		lift_smb_ban(id);
	} else if (D.cfg.kill_policy == KILL_AFTER_ROLLBACK) {
		rc = judge_kill(id);
		done = "killed";
	} else {
		rc = 0;
		done = "kept frozen";
	}
	if (rc == 0)
		log_warnx("incident %llu: processes %s (vigil %s)", id, done, cmd);
	/* the SIEM hears of it either way: the journal's state changed */
	char *doc = judge_incident_doc(id);
	emit_incident(id, strcmp(cmd, "release") == 0 ? "released" :
	    "rolled-back", doc);
	free(doc);
	fprintf(f, "{\"incident\":%llu,\"ok\":%s,\"processes\":\"%s\"}\n",
	    id, rc == 0 ? "true" : "false", rc == 0 ? done : "none held by "
	    "this vigild");
}

static void
serve(int fd, pid_t peer)
{
	char req[128];
	size_t n = 0;
	while (n < sizeof req - 1) {
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, 1000) <= 0)
			return;
		ssize_t r = read(fd, req + n, sizeof req - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = '\0';
	char *nl = strchr(req, '\n');
	if (nl)
		*nl = '\0';
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (f == NULL)
		return;
	if (strcmp(req, "status") == 0) {
		status_json(f);
	} else if (strcmp(req, "hello") == 0) {
		/* the vigil CLI, about to read the vault: its pid (from the
		 * kernel, SO_PEERCRED) is not a tamper suspect */
		tamper_cli_hello(peer);
		fprintf(f, "{\"hello\":%d}\n", (int)peer);
	} else if (strcmp(req, "flush") == 0) {
		range_finish_all();     /* versions still filling: complete */
		store_flush();
		fprintf(f, "{\"flushed\":true}\n");
	} else if (strcmp(req, "iocs") == 0) {
		/* vigil ioc import added hashes: load them */
		char err[256];
		sqlite3 *db = store_open(D.cfg.state_dir, 0, 1, err, sizeof err);
		int loaded = db ? exec_iocs_load(db) : -1;
		if (db)
			sqlite3_close(db);
		if (loaded >= 0)
			log_info("indicators: %d known-bad executable hash(es) "
			    "loaded", loaded);
		fprintf(f, "{\"iocs\":%d}\n", loaded);
	} else if (strncmp(req, "release ", 8) == 0 ||
	    strncmp(req, "rolled-back ", 12) == 0) {
		incident_cmd(f, req);
	} else
		fprintf(f, "{\"error\":\"unknown command\"}\n");
	fclose(f);
	write_full(fd, out, outlen);
	free(out);
}

static void *
control_main(void *arg)
{
	(void)arg;
	self_register_thread("vigild-control", 0);
	while (!atomic_load(&D.stopping)) {
		struct pollfd p = { lfd, POLLIN, 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		struct ucred cr;
		socklen_t cl = sizeof cr;
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl) == 0 &&
		    cr.uid == 0)
			serve(c, cr.pid);
		close(c);
	}
	return NULL;
}

int
control_start(const char *state_dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (snprintf(sock_path, sizeof sock_path, "%s/vigild.sock",
	    state_dir) >= (int)sizeof sa.sun_path) {
		log_warnx("control socket path too long");
		return -1;
	}
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock_path);
	unlink(sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		return -1;
	mode_t old = umask(0177);
	int rc = bind(lfd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc < 0 || listen(lfd, 16) < 0) {
		log_warn("control socket %s", sock_path);
		return -1;
	}
	return pthread_create(&cthread, NULL, control_main, NULL) ? -1 : 0;
}

void
control_stop(void)
{
	if (lfd < 0)
		return;
	pthread_join(cthread, NULL);
	close(lfd);
	unlink(sock_path);
	lfd = -1;
}
