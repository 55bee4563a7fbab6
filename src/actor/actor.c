/*
 * actor.c - process attribution from /proc, cached by (pid, start time).
 *
 * Every lookup reads /proc/<tid>/stat once (cheap, and it yields the start
 * time that makes the key unique); only a thread never seen before costs
 * the further reads of status, exe, cmdline and cgroup.  Records are kept
 * for the daemon's life and only their hash slots are reused, so callers
 * may hold the pointers they get.
 */
#define _GNU_SOURCE
#include "actor.h"
#include "smb.h"
#include "../common/log.h"
#include "../common/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BUCKETS 4096
#define TID_SLOTS 8192
#define MAX_CHAIN 32

struct tid_slot {
	pid_t tid;
	uint64_t start;
	struct actor *a;
};

static struct {
	pthread_mutex_t mu;
	struct actor *bucket[BUCKETS];
	struct tid_slot tids[TID_SLOTS];
	uint64_t next_id;
	actor_new_cb cb;
	void *cb_arg;
} C = { .mu = PTHREAD_MUTEX_INITIALIZER };

void
actor_cache_init(uint64_t first_id, actor_new_cb cb, void *arg)
{
	C.next_id = first_id;
	C.cb = cb;
	C.cb_arg = arg;
}

int
actor_fd_links(pid_t pid, int (*fn)(int fd, const char *link, void *arg),
    void *arg)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	if (d == NULL)
		return 0;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char l[PATH_MAX];
		ssize_t k = readlinkat(dirfd(d), e->d_name, l, sizeof l - 1);
		if (k <= 0)
			continue;
		l[k] = '\0';
		rc = fn(atoi(e->d_name), l, arg);
	}
	closedir(d);
	return rc;
}

ssize_t
actor_read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int
actor_parse_stat(const char *buf, pid_t *ppid, uint64_t *start, char comm[17])
{
	/* "pid (comm) S ppid ..." - comm may hold spaces and ')' */
	const char *l = strchr(buf, '(');
	const char *r = strrchr(buf, ')');
	if (l == NULL || r == NULL || r < l)
		return -1;
	size_t n = (size_t)(r - l - 1);
	if (n > 16)
		n = 16;
	memcpy(comm, l + 1, n);
	comm[n] = '\0';
	/* fields after ')' start with field 3 (state) */
	const char *p = r + 1;
	unsigned long long v = 0;
	int field = 2;
	while (*p && field < 22) {
		while (*p == ' ')
			p++;
		field++;
		if (field == 4 || field == 22) {
			char *end;
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || end == p)
				return -1;
			if (field == 4)
				*ppid = (pid_t)v;
			else
				*start = v;
		}
		while (*p && *p != ' ')
			p++;
	}
	return field == 22 ? 0 : -1;
}

int
actor_parse_status(const char *buf, pid_t *tgid, uid_t *uid)
{
	const char *t = strstr(buf, "\nTgid:");
	const char *u = strstr(buf, "\nUid:");
	if (t == NULL || u == NULL)
		return -1;
	long tg = strtol(t + 6, NULL, 10);
	long ruid = strtol(u + 5, NULL, 10);
	if (tg <= 0 || ruid < 0)
		return -1;
	*tgid = (pid_t)tg;
	*uid = (uid_t)ruid;
	return 0;
}

static void
read_cmdline(pid_t pid, char *out, size_t len)
{
	char buf[ACTOR_CMD_MAX];
	ssize_t n = actor_read_proc(pid, "cmdline", buf, sizeof buf);
	out[0] = '\0';
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	/* keep only printable bytes: this text ends up in logs and JSON */
	size_t o = 0;
	for (ssize_t i = 0; i < n && buf[i] && o + 1 < len; i++)
		out[o++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : '?';
	out[o] = '\0';
}

static void
read_cgroup(pid_t pid, char *out, size_t len)
{
	char buf[1024];
	out[0] = '\0';
	if (actor_read_proc(pid, "cgroup", buf, sizeof buf) <= 0)
		return;
	/* cgroup v2: "0::/path" */
	char *p = strstr(buf, "0::");
	if (p == NULL)
		p = buf;
	else
		p += 3;
	char *nl = strchr(p, '\n');
	if (nl)
		*nl = '\0';
	snprintf(out, len, "%s", p);
}

static unsigned
hash_key(pid_t pid, uint64_t start)
{
	uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ULL ^ start;
	return (unsigned)(h ^ (h >> 29)) % BUCKETS;
}

static struct actor *
find_locked(pid_t pid, uint64_t start)
{
	for (struct actor *a = C.bucket[hash_key(pid, start)]; a; a = a->hnext)
		if (a->pid == pid && a->start == start)
			return a;
	return NULL;
}

/* Resolve process pid whose start time is start; recursion walks parents. */
static struct actor *
resolve_process_locked(pid_t pid, uint64_t start, pid_t ppid,
    const char *comm, int depth)
{
	struct actor *a = find_locked(pid, start);
	if (a)
		return a;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return NULL;
	a->pid = pid;
	a->start = start;
	a->ppid = ppid;
	snprintf(a->comm, sizeof a->comm, "%s", comm);
	a->first_seen_ns = now_ns();
	char buf[2048];
	pid_t tg;
	uid_t uid = (uid_t)-1;
	if (actor_read_proc(pid, "status", buf, sizeof buf) > 0)
		actor_parse_status(buf, &tg, &uid);
	a->uid = uid;
	ssize_t n = 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	n = readlink(path, a->exe, sizeof a->exe - 1);
	if (n < 0) {
		a->exe[0] = '\0';
		/* no exe link: kernel threads (nfsd, kworker) */
		a->is_kernel = (errno == ENOENT);
	} else {
		a->exe[n] = '\0';
	}
	read_cmdline(pid, a->cmdline, sizeof a->cmdline);
	read_cgroup(pid, a->cgroup, sizeof a->cgroup);
	const char *base = strrchr(a->exe, '/');
	a->is_smbd = strcmp(a->comm, "smbd") == 0 ||
	    (base && strcmp(base + 1, "smbd") == 0);
	/* one smbd per client connection: its TCP peer is the client */
	if (a->is_smbd && smb_peer_of(pid, a->smb_client,
	    sizeof a->smb_client) < 0)
		a->smb_client[0] = '\0';
	a->id = C.next_id++;
	if (ppid > 1 && depth < MAX_CHAIN) {
		pid_t pp;
		uint64_t pstart;
		char pcomm[17];
		if (actor_read_proc(ppid, "stat", buf, sizeof buf) > 0 &&
		    actor_parse_stat(buf, &pp, &pstart, pcomm) == 0) {
			struct actor *p = resolve_process_locked(ppid, pstart,
			    pp, pcomm, depth + 1);
			if (p) {
				a->parent_id = p->id;
				a->parent = p;
			}
		}
	}
	unsigned h = hash_key(pid, start);
	a->hnext = C.bucket[h];
	C.bucket[h] = a;
	if (C.cb)
		C.cb(a, C.cb_arg);
	return a;
}

const struct actor *
actor_from_tid(pid_t tid)
{
	char buf[1024];
	pid_t ppid;
	uint64_t start;
	char comm[17];
	if (actor_read_proc(tid, "stat", buf, sizeof buf) <= 0 ||
	    actor_parse_stat(buf, &ppid, &start, comm) < 0)
		return NULL;
	struct tid_slot *s = &C.tids[(unsigned)tid % TID_SLOTS];
	pthread_mutex_lock(&C.mu);
	if (s->tid == tid && s->start == start && s->a) {
		struct actor *a = s->a;
		pthread_mutex_unlock(&C.mu);
		return a;
	}
	pthread_mutex_unlock(&C.mu);
	/* A thread: find its process (tgid) and that process' own start. */
	pid_t tgid = tid;
	uid_t uid;
	char sbuf[2048];
	if (actor_read_proc(tid, "status", sbuf, sizeof sbuf) > 0)
		actor_parse_status(sbuf, &tgid, &uid);
	uint64_t pstart = start;
	pid_t pppid = ppid;
	char pcomm[17];
	snprintf(pcomm, sizeof pcomm, "%s", comm);
	if (tgid != tid) {
		if (actor_read_proc(tgid, "stat", buf, sizeof buf) <= 0 ||
		    actor_parse_stat(buf, &pppid, &pstart, pcomm) < 0)
			return NULL;
	}
	pthread_mutex_lock(&C.mu);
	struct actor *a = resolve_process_locked(tgid, pstart, pppid, pcomm, 0);
	if (a) {
		s->tid = tid;
		s->start = start;
		s->a = a;
	}
	pthread_mutex_unlock(&C.mu);
	return a;
}

#define PROBE_SLOTS 1024

static struct probe_slot {
	pid_t tid;
	int fd;
	const struct actor *a;
} probes[PROBE_SLOTS];

ssize_t
actor_probe(pid_t tid, char *buf, size_t len, const struct actor **a)
{
	struct probe_slot *s = &probes[(unsigned)tid % PROBE_SLOTS];
	if (s->tid == tid && s->fd > 0) {
		ssize_t n = pread(s->fd, buf, len - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			*a = s->a;
			return n;
		}
	}
	if (s->fd > 0)
		close(s->fd);
	s->fd = 0;
	s->tid = 0;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/syscall", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	*a = actor_from_tid(tid);
	ssize_t n = pread(fd, buf, len - 1, 0);
	if (n <= 0) {
		close(fd);
		return -1;
	}
	buf[n] = '\0';
	s->tid = tid;
	s->fd = fd;
	s->a = *a;
	return n;
}

/* pid -> (pidfd, actor) for actor_from_pid.  A notification names its
 * process by pid only, and checking the start time in /proc/<pid>/stat
 * for each one took a sixth of the notification thread's time under
 * sed -i.  A pidfd opened before that read pins the process it saw:
 * while signal 0 through the pidfd succeeds, the pid was not reused. */
#define PID_SLOTS 256
static struct pid_slot {
	pid_t pid;   /* 0: empty */
	int fd;
	const struct actor *a;
	int64_t alive_ns;   /* when the pidfd last said it lives */
} pids[PID_SLOTS];
/* A process found alive this recently is not asked again: sed -i made
 * 3.5 such checks per file, one per notification.  For its pid to name
 * another process meanwhile, it would have to exit and the kernel hand
 * out its pid again within this window. */
#define PID_ALIVE_NS 1000000LL
static pthread_mutex_t pids_mu = PTHREAD_MUTEX_INITIALIZER;

static const struct actor *
pid_cached(pid_t pid)
{
	struct pid_slot *s = &pids[(unsigned)pid % PID_SLOTS];
	const struct actor *a = NULL;
	pthread_mutex_lock(&pids_mu);
	if (s->pid == pid) {
		int64_t now = mono_ns();
		int fresh = now - s->alive_ns < PID_ALIVE_NS;
		if (fresh ||
		    syscall(SYS_pidfd_send_signal, s->fd, 0, NULL, 0) == 0) {
			a = s->a;
			if (!fresh)
				s->alive_ns = now;
		}
	}
	pthread_mutex_unlock(&pids_mu);
	return a;
}

static void
pid_remember(pid_t pid, int fd, const struct actor *a)
{
	struct pid_slot *s = &pids[(unsigned)pid % PID_SLOTS];
	pthread_mutex_lock(&pids_mu);
	int old = s->pid ? s->fd : -1;
	s->pid = pid;
	s->fd = fd;
	s->a = a;
	s->alive_ns = mono_ns();
	pthread_mutex_unlock(&pids_mu);
	if (old >= 0)
		close(old);
}

const struct actor *
actor_from_pid(pid_t pid)
{
	const struct actor *a = pid_cached(pid);
	if (a)
		return a;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	a = actor_from_tid(pid);
	if (a && fd >= 0)
		pid_remember(pid, fd, a);
	else if (fd >= 0)
		close(fd);
	if (a)
		return a;
	/* Gone already: a short-lived process (one fork per file) often
	 * exits before its notification is read.  The permission path saw
	 * it moments ago; its slot still names it.  A pid recycled in that
	 * window would be misattributed, which is why this is only a
	 * fallback and only for processes that left no /proc entry. */
	struct tid_slot *s = &C.tids[(unsigned)pid % TID_SLOTS];
	pthread_mutex_lock(&C.mu);
	if (s->tid == pid && s->a && s->a->pid == pid)
		a = s->a;
	pthread_mutex_unlock(&C.mu);
	return a;
}

size_t
actor_readers(const struct actor **out, unsigned long *reads, size_t max)
{
	size_t n = 0;
	pthread_mutex_lock(&C.mu);
	for (unsigned b = 0; b < BUCKETS && n < max; b++)
		for (struct actor *a = C.bucket[b]; a && n < max; a = a->hnext) {
			unsigned long r = atomic_load(&a->reads);
			if (r == 0)
				continue;
			out[n] = a;
			reads[n] = r;
			n++;
		}
	pthread_mutex_unlock(&C.mu);
	return n;
}
