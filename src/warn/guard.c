/*
 * guard.c - watching vigil's own state directory, and the snapshots.
 *
 * DESIGN
 * An attacker who can rewrite or delete the journal can hide what was
 * done and stop the rollback.  STATE_DIR (journal.db, its WAL, the pid
 * file, the decoy list, the baselines, events.json) is usually on the
 * root filesystem, where vigil puts no fanotify mark: one unanswered
 * permission event there could hang the host, and a dozen files do not
 * need a notification group.  inotify watches STATE_DIR instead.  inotify
 * names no process, so:
 *  - when a file in STATE_DIR is opened, the guard looks through
 *    /proc/PID/fd for processes holding a file under STATE_DIR (but
 *    vigild.pid, which service managers and monitors are meant to read).  Any but
 *    vigild, the vigil CLI (its executable, or the pid it announced with
 *    "hello") and allowlisted programs (allow_exe, allow_uid) is a tamper
 *    alert naming it, once per process.  A process that opened and closed
 *    the file before the guard looked (a few milliseconds) is missed;
 *  - a file in STATE_DIR deleted or renamed away (other than vigild's own
 *    "*.tmp*" files), or STATE_DIR itself, is a tamper alert without a
 *    name: vigild removes none of them while it runs.
 * Every snapshot_poll seconds the thread also lists the btrfs snapshots
 * of the protected filesystems (snapshot.c).
 * Owns: its thread and inotify descriptor.  Must not: block any file
 * operation (it only reads), or run on the permission path.  vigild
 * starts it after its own state files are open and stops it before it
 * closes them (closing the journal deletes its WAL).
 */
#define _GNU_SOURCE
#include "warn.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../daemon/daemon.h"
#include "../judge/judge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define SEEN_TTL_NS (600LL * 1000000000LL)   /* alert again after 10 min */

static struct {
	pthread_t th;
	atomic_int running;
	int ifd;
	int wd;
	char dir[PATH_MAX];
	size_t dirlen;
	struct pidset seen;    /* told about: guard thread only */
} G = { .ifd = -1, .wd = -1 };


/* Alerted about pid already (and remember it now). */
static int
already_told(pid_t pid)
{
	if (pidset_has(&G.seen, pid, SEEN_TTL_NS))
		return 1;
	pidset_add(&G.seen, pid);
	return 0;
}

/* A file under STATE_DIR, but vigild.pid (meant to be read by service
 * managers and monitors): the link's text compared as bytes, never
 * parsed.  Copies it to the caller's buffer (arg). */
static int
state_file(int fd, const char *link, void *arg)
{
	(void)fd;
	if (strncmp(link, G.dir, G.dirlen) != 0 || link[G.dirlen] != '/' ||
	    strcmp(link + G.dirlen, "/vigild.pid") == 0)
		return 0;
	snprintf(arg, PATH_MAX, "%s", link);
	return 1;
}

/* Someone opened a state file: who holds one now? */
static void
scan_holders(void)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return;
	pid_t self = getpid();
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end != '\0' || v <= 0 || v > INT_MAX || (pid_t)v == self)
			continue;
		pid_t pid = (pid_t)v;
		char path[PATH_MAX];
		if (!actor_fd_links(pid, state_file, path) ||
		    tamper_cli_known(pid))
			continue;
		const struct actor *a = actor_from_pid(pid);
		if (a == NULL || a->is_kernel || judge_allowed(a) ||
		    already_told(pid))
			continue;
		tamper_state(a, path);
	}
	closedir(d);
}

/* vigild's own temporary files (written, then renamed into place). */
static int
ours_temporary(const char *name)
{
	return strstr(name, ".tmp") != NULL;
}

/* Read what inotify has; 1 if a state file was opened. */
static int
drain(void)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int opened = 0;
	for (;;) {
		ssize_t n = read(G.ifd, buf, sizeof buf);
		if (n <= 0)
			return opened;
		for (char *p = buf; p + sizeof(struct inotify_event) <= buf + n;) {
			const struct inotify_event *ev = (const void *)p;
			const char *name = ev->len ? ev->name : "";
			if (ev->mask & IN_Q_OVERFLOW)
				opened = 1;      /* lost events: look anyway */
			if (ev->mask & IN_OPEN)
				opened = 1;
			if ((ev->mask & (IN_DELETE | IN_MOVED_FROM)) &&
			    !ours_temporary(name))
				tamper_state_gone(G.dir, name,
				    ev->mask & IN_DELETE ? "deleted" :
				    "renamed away");
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				tamper_state_gone(G.dir, "", ev->mask &
				    IN_DELETE_SELF ? "deleted" : "moved");
			p += sizeof(struct inotify_event) + ev->len;
		}
	}
}

static void *
guard_main(void *arg)
{
	(void)arg;
	self_register_thread("vigild-guard", 0);
	unsigned poll_s = D.cfg.snapshot_poll;
	int64_t next_snap = poll_s ? now_ns() : INT64_MAX;
	while (!atomic_load(&D.stopping) && atomic_load(&G.running)) {
		if (now_ns() >= next_snap) {
			snapshot_scan();
			next_snap = now_ns() + (int64_t)poll_s * 1000000000LL;
		}
		struct pollfd p = { G.ifd, POLLIN, 0 };
		if (G.ifd < 0 || poll(&p, 1, 200) <= 0)
			continue;
		if (drain())
			scan_holders();
	}
	return NULL;
}

int
guard_start(const char *state_dir)
{
	snprintf(G.dir, sizeof G.dir, "%s", state_dir);
	G.dirlen = strlen(G.dir);
	while (G.dirlen > 1 && G.dir[G.dirlen - 1] == '/')
		G.dir[--G.dirlen] = '\0';
	G.ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (G.ifd >= 0)
		G.wd = inotify_add_watch(G.ifd, G.dir, IN_OPEN | IN_DELETE |
		    IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR |
		    IN_DONT_FOLLOW);
	if (G.wd < 0) {
		log_warn("tamper: cannot watch state dir %s; access to the "
		    "journal by other programs is not reported", G.dir);
		if (G.ifd >= 0)
			close(G.ifd);
		G.ifd = -1;
	}
	atomic_store(&G.running, 1);
	if (pthread_create(&G.th, NULL, guard_main, NULL) != 0) {
		atomic_store(&G.running, 0);
		return -1;
	}
	return 0;
}

void
guard_stop(void)
{
	if (!atomic_exchange(&G.running, 0))
		return;
	pthread_join(G.th, NULL);
	if (G.ifd >= 0)
		close(G.ifd);
	G.ifd = G.wd = -1;
	snapshot_forget();
}
