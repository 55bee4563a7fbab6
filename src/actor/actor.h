/*
 * actor.h - who did it: attribution of file events to processes.
 *
 * Owns: reading /proc for a thread that raised an event, and a cache of
 * actors keyed by (tgid, process start time), so that a recycled pid can
 * never be mistaken for the process that used it before.  Each actor
 * knows its parent actor, giving the process tree that detection
 * aggregates over.  smbd processes are flagged so the Samba layer can map
 * them to client sessions.
 * Does not own: the journal rows (the caller stores new actors) and
 * anything about what the actor did.
 */
#ifndef VIGIL_ACTOR_H
#define VIGIL_ACTOR_H

#include <stdint.h>
#include <sys/types.h>

#define ACTOR_EXE_MAX 512
#define ACTOR_CMD_MAX 512
#define ACTOR_CG_MAX 256

struct actor {
	uint64_t id;             /* journal id, never reused */
	pid_t pid;               /* tgid */
	uint64_t start;          /* start time, clock ticks after boot */
	pid_t ppid;
	uid_t uid;
	uint64_t parent_id;      /* 0 when unknown or at pid 1 */
	const struct actor *parent; /* the same, as a pointer (or NULL) */
	void *_Atomic group;     /* judge.c's group, set on first use */
	_Atomic int allow;       /* judge.c's allowlist answer, cached */
	_Atomic unsigned long reads; /* read opens of protected files */
	int is_smbd;
	char smb_client[48];     /* an smbd's client address, or "" */
	int is_kernel;           /* kernel thread (e.g. nfsd) */
	char comm[17];
	char exe[ACTOR_EXE_MAX];
	char cmdline[ACTOR_CMD_MAX];
	char cgroup[ACTOR_CG_MAX];
	int64_t first_seen_ns;
	struct actor *hnext;     /* cache chain */
	int stored;              /* written to the journal */
};

/* Called for each actor the cache creates, with the cache lock held:
 * it must only queue, never block. */
typedef void (*actor_new_cb)(const struct actor *a, void *arg);

void actor_cache_init(uint64_t first_id, actor_new_cb cb, void *arg);
/* Resolve the thread tid (alive: it is blocked in our event, or was just
 * seen).  Returns a pointer valid for the daemon's lifetime (actors are
 * never freed while running; the cache is bounded by eviction of the
 * oldest entries' lookup slots, not the records) or NULL. */
const struct actor *actor_from_tid(pid_t tid);
/* The permission path's probe: read /proc/<tid>/syscall into buf through
 * an fd cached per thread, and give the thread's actor.  A cached proc fd
 * is bound to its task: after the thread exits it reads ESRCH, so a
 * successful read proves the cached actor is still the right one.  Only
 * one thread (the permission reader) may call this.  Returns bytes read,
 * or -1. */
ssize_t actor_probe(pid_t tid, char *buf, size_t len, const struct actor **a);
/* Same for a process id from a notification event. */
const struct actor *actor_from_pid(pid_t pid);

/* Actors with read opens counted, and how many (at most max); for
 * mass-read detection.  Actors are never freed, so the pointers stay. */
size_t actor_readers(const struct actor **out, unsigned long *reads,
    size_t max);

/* Call fn with the number and target of each of pid's open fds
 * (/proc/<pid>/fd; the text is whatever the file is called: compare it,
 * never trust it) until fn returns non-zero.  Returns that value, or 0. */
int actor_fd_links(pid_t pid, int (*fn)(int fd, const char *link,
    void *arg), void *arg);

/* Read /proc/<pid>/<what> into buf (NUL-terminated); bytes or -1. */
ssize_t actor_read_proc(pid_t pid, const char *what, char *buf, size_t len);

/* Parsing helpers, exposed for unit tests. */
int actor_parse_stat(const char *buf, pid_t *ppid, uint64_t *start,
    char comm[17]);
int actor_parse_status(const char *buf, pid_t *tgid, uid_t *uid);

#endif
