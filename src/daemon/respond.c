/*
 * respond.c - after an incident: recover, then apply the kill policy.
 *
 * DESIGN
 * The judge freezes the attacker and calls respond_incident() from an
 * analyser thread; that only queues the id.  This thread then, with
 * "rollback = auto", makes sure every event is in the journal
 * (store_flush) and runs the rollback as a separate process: the vigil
 * CLI installed beside vigild ("vigil rollback ID").  A separate process
 * keeps one implementation of rollback for both modes, and its file
 * activity goes through vigild's capture like anyone else's (preserved,
 * indexed), so the daemon's picture of the tree stays true.  When the
 * rollback has finished, the frozen processes are killed (kill =
 * after-rollback).  With "rollback = manual" nothing happens here: the
 * actor stays frozen until "vigil rollback ID" or "vigil release ID".
 * An SMB client is handled first, whatever the rollback mode: it is
 * banned (contain/smbban.c) and its smbd processes are ended.
 * Must not: run on the permission path or block the analyser threads.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../judge/judge.h"
#include "../actor/smb.h"
#include "../contain/smbban.h"
#include "../report/emit.h"
#include "../journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PENDING 64

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t q[PENDING];
	unsigned head, tail;
	pthread_t th;
	int running;
	char cli[PATH_MAX];
} R = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

extern char **environ;

/* The vigil CLI that belongs to this vigild: same directory, else the
 * installed one. */
static void
find_cli(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *s = strrchr(self, '/');
		if (s) {
			*s = '\0';
			snprintf(R.cli, sizeof R.cli, "%s/vigil", self);
			if (access(R.cli, X_OK) == 0)
				return;
		}
	}
	snprintf(R.cli, sizeof R.cli, "/usr/bin/vigil");
}

static int
run_rollback(uint64_t id)
{
	char ids[32];
	snprintf(ids, sizeof ids, "%llu", (unsigned long long)id);
	char *argv[] = { R.cli, "--state-dir", D.cfg.state_dir, "rollback",
		"--by-daemon", ids, NULL };
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	/* the CLI's report goes to vigild's log, line by line */
	posix_spawn_file_actions_adddup2(&fa, pp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pp[1], 2);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);   /* vigild blocks SIGTERM */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int rc = posix_spawn(&pid, R.cli, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pp[1]);
	if (rc != 0) {
		close(pp[0]);
		errno = rc;
		return -1;
	}
	FILE *f = fdopen(pp[0], "r");
	char line[1024];
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		log_info("incident %llu rollback: %s", (unsigned long long)id,
		    line);
	}
	if (f)
		fclose(f);
	else
		close(pp[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* An event for SIEMs and syslog, with the incident's current document. */
static void
tell(uint64_t id, const char *action)
{
	char *doc = judge_incident_doc(id);
	emit_incident(id, action, doc);
	free(doc);
}

/* An SMB client: name it, ban it, end its connections.  The ban comes
 * before the kill so that the client's automatic reconnect already
 * fails; the share keeps serving every other client throughout. */
static void
contain_smb_client(uint64_t id)
{
	char addr[48], user[64];
	if (judge_incident_client(id, addr, sizeof addr, user, sizeof user) <
	    0)
		return;
	smb_directory_refresh_now();        /* user and machine names */
	struct smb_session s;
	int known = smb_directory_by_addr(addr, &s) == 0;
	judge_incident_client(id, addr, sizeof addr, user, sizeof user);
	judge_incident_update(id);
	unsigned long long iid = (unsigned long long)id;
	if (D.cfg.smb_ban != SMB_BAN_OFF) {
		char err[512];
		if (smbban_add(D.cfg.smb_ban_file, D.cfg.smb_ban, id, addr,
		    user, err, sizeof err) < 0)
			log_warnx("incident %llu: cannot ban SMB client %s: %s",
			    iid, addr, err);
		else if (smbban_reload(D.cfg.smb_conf) < 0)
			log_warnx("incident %llu: SMB client %s written to %s, "
			    "but \"smbcontrol smbd reload-config\" failed: "
			    "the ban holds from smbd's next reload", iid, addr,
			    D.cfg.smb_ban_file);
		else
			log_warnx("incident %llu: SMB client %s (user %s, "
			    "machine %s) banned in %s until vigil release %llu",
			    iid, addr, user[0] ? user : "?",
			    known ? s.machine : "?", D.cfg.smb_ban_file, iid);
	}
	/* a frozen smbd still holds its opens, leases and locks, which
	 * other clients would wait on: end it now, the journal has what
	 * rollback needs */
	judge_kill(id);
	tell(id, "smb-client-banned");
	int n = smbban_end_sessions(addr);
	log_warnx("incident %llu: SMB client %s: its smbd processes ended "
	    "(%d more found)", iid, addr, n);
}

static void
handle(uint64_t id)
{
	judge_incident_hash_exe(id);     /* before any kill: /proc/PID/exe */
	tell(id, "contained");
	contain_smb_client(id);
	if (!D.cfg.rollback_auto)
		return;
	range_finish_all();      /* rollback reads whole versions */
	store_flush();
	log_warnx("incident %llu: rolling back (rollback = auto)",
	    (unsigned long long)id);
	int rc = run_rollback(id);
	if (rc < 0)
		log_warn("incident %llu: cannot run %s", (unsigned long long)id,
		    R.cli);
	else if (rc != 0)
		log_warnx("incident %llu: rollback exited %d; see vigil show "
		    "%llu", (unsigned long long)id, rc, (unsigned long long)id);
	else {
		log_warnx("incident %llu: rolled back", (unsigned long long)id);
		tell(id, "rolled-back");
	}
	/* a failed rollback leaves the actor frozen for the admin to see */
	if (rc == 0 && D.cfg.kill_policy == KILL_AFTER_ROLLBACK &&
	    judge_kill(id) == 0) {
		log_warnx("incident %llu: frozen processes killed",
		    (unsigned long long)id);
		tell(id, "killed");
	}
}

static void *
respond_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&R.mu);
		while (R.head == R.tail && !atomic_load(&D.stopping))
			pthread_cond_wait(&R.cv, &R.mu);
		if (R.head == R.tail) {
			pthread_mutex_unlock(&R.mu);
			break;
		}
		uint64_t id = R.q[R.tail++ % PENDING];
		pthread_mutex_unlock(&R.mu);
		handle(id);
	}
	return NULL;
}

void
respond_init(void)
{
	find_cli();
	judge_trust_exe(R.cli);
}

void
respond_incident(uint64_t id)
{
	pthread_mutex_lock(&R.mu);
	if (!R.running) {
		if (pthread_create(&R.th, NULL, respond_main, NULL) == 0)
			R.running = 1;
	}
	if (R.head - R.tail < PENDING)
		R.q[R.head++ % PENDING] = id;
	pthread_cond_signal(&R.cv);
	pthread_mutex_unlock(&R.mu);
}

void
respond_stop(void)
{
	pthread_mutex_lock(&R.mu);
	int running = R.running;
	pthread_cond_broadcast(&R.cv);
	pthread_mutex_unlock(&R.mu);
	if (running)
		pthread_join(R.th, NULL);
	R.running = 0;
}
