/*
 * contain.c - freeze a process tree race-free with pidfds and SIGSTOP.
 *
 * DESIGN
 * Why SIGSTOP and not the cgroup freezer: the attacker usually shares its
 * cgroup with innocent processes (a login session, smbd, a service), and
 * moving it into a cgroup of its own is itself racy against fork.  A
 * stopped process cannot fork, so the loop below converges: walk /proc,
 * collect every process whose parent is already in the set (or that is a
 * known member), open a pidfd, check that the start time still matches
 * (the pid was not recycled between readdir and pidfd_open), SIGSTOP it.
 * Repeat until a walk adds nothing.  Children forked by a process just
 * before it stopped are found by the next walk.
 * A process blocked in a permission event stops when that event is
 * answered (the judge answers DENY for contained actors), so the set is
 * frozen within one permission round trip.
 * Must not: signal pid 1, vigild, or kernel threads; block on anything
 * but /proc reads.
 */
#define _GNU_SOURCE
#include "contain.h"
#include "../actor/actor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>


static int
read_stat(pid_t pid, pid_t *ppid, uint64_t *start, int *kernel)
{
	char buf[1024], comm[17];
	if (actor_read_proc(pid, "stat", buf, sizeof buf) <= 0 ||
	    actor_parse_stat(buf, ppid, start, comm) < 0)
		return -1;
	/* kernel threads descend from kthreadd (pid 2) */
	*kernel = (pid == 2 || *ppid == 2);
	return 0;
}

uint64_t
contain_start_time(pid_t pid)
{
	pid_t pp;
	uint64_t st;
	int k;
	return read_stat(pid, &pp, &st, &k) == 0 ? st : 0;
}

static int
in_set(const struct cset *s, pid_t pid)
{
	for (int i = 0; i < s->n; i++)
		if (s->id[i].pid == pid)
			return 1;
	return 0;
}

static int
is_member(const struct proc_id *m, int n, pid_t pid, uint64_t start)
{
	for (int i = 0; i < n; i++)
		if (m[i].pid == pid && m[i].start == start)
			return 1;
	return 0;
}

/* Open a pidfd for (pid, start) and stop it; 1 if added. */
static int
add_stopped(struct cset *s, pid_t pid, uint64_t start)
{
	if (pid <= 1 || pid == getpid() || s->n == CONTAIN_MAX)
		return 0;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return 0;
	/* the pidfd pins the process: if the start time still matches now,
	 * it is the process we meant */
	if (contain_start_time(pid) != start) {
		close(fd);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, fd, SIGSTOP, NULL, 0) < 0) {
		close(fd);
		return 0;
	}
	s->id[s->n].pid = pid;
	s->id[s->n].start = start;
	s->pidfd[s->n] = fd;
	s->n++;
	return 1;
}

/* One walk over /proc; returns how many processes it added. */
static int
walk_once(struct cset *s, const struct proc_id *m, int nm)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	int added = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 1 || in_set(s, (pid_t)pid))
			continue;
		pid_t ppid;
		uint64_t start;
		int kernel;
		if (read_stat((pid_t)pid, &ppid, &start, &kernel) < 0 || kernel)
			continue;
		if (in_set(s, ppid) || is_member(m, nm, (pid_t)pid, start))
			added += add_stopped(s, (pid_t)pid, start);
	}
	closedir(d);
	return added;
}

int
contain_freeze(struct cset *s, struct proc_id root,
    const struct proc_id *members, int nmembers)
{
	s->n = 0;
	add_stopped(s, root.pid, root.start);
	for (int i = 0; i < nmembers; i++)
		if (!in_set(s, members[i].pid))
			add_stopped(s, members[i].pid, members[i].start);
	/* converge: at most a few rounds in practice; bounded regardless */
	for (int round = 0; round < 64; round++)
		if (walk_once(s, members, nmembers) == 0)
			break;
	return s->n;
}

static void
signal_all(struct cset *s, int sig)
{
	for (int i = 0; i < s->n; i++)
		if (s->pidfd[i] >= 0)
			syscall(SYS_pidfd_send_signal, s->pidfd[i], sig, NULL, 0);
}

void
contain_close(struct cset *s)
{
	for (int i = 0; i < s->n; i++)
		if (s->pidfd[i] >= 0)
			close(s->pidfd[i]);
	s->n = 0;
}

void
contain_release(struct cset *s)
{
	signal_all(s, SIGCONT);
	contain_close(s);
}

void
contain_kill(struct cset *s)
{
	signal_all(s, SIGKILL);
	contain_close(s);
}
