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
 * Must not: run on the permission path or block the analyser threads.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../judge/judge.h"
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

static void
handle(uint64_t id)
{
	if (!D.cfg.rollback_auto)
		return;
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
	else
		log_warnx("incident %llu: rolled back", (unsigned long long)id);
	/* a failed rollback leaves the actor frozen for the admin to see */
	if (rc == 0 && D.cfg.kill_policy == KILL_AFTER_ROLLBACK &&
	    judge_kill(id) == 0)
		log_warnx("incident %llu: frozen processes killed",
		    (unsigned long long)id);
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
