/*
 * perm.c - the permission path: answer every FAN_OPEN_PERM, in bounded time.
 *
 * DESIGN
 * The reader thread reads events and answers the common case itself: a
 * read-only open of an inode vigild already holds needs nothing but an
 * fstat, one pread of /proc/<tid>/syscall through a cached fd (actor.c),
 * and an index lookup; none of these can block on disk, logging or the
 * database.  So does a write-open that needs no copy (an empty file, or
 * content already preserved) when the judge would admit it without a
 * wait (judge_admit_now; its bookkeeping takes the judge's mutex, held
 * briefly by every thread).  Everything else (a write to content not
 * preserved, an inode not yet held, an open the judge would hold back;
 * vigild's own opens aside) goes to a slot table and a FIFO.  Workers do
 * the real work for one event: hold the inode (hold.c) and, when the open
 * is a write to content not preserved yet, preserve it into the vault;
 * then they answer ALLOW.  With detection on, a worker first asks the judge
 * (judge/): an actor with too many writes not yet analysed waits there
 * (bounded: half the permission deadline at most), and a contained actor
 * is answered DENY.  The deadline thread's fail-open still bounds it all.
 *
 * Every answer goes through answer_once(), an atomic exchange on the
 * slot, so the deadline thread and a worker can race safely: whoever
 * comes first answers, the other does nothing.  A slot's fd is closed only
 * after the slot is released under the table lock, so the deadline thread
 * can never answer for a recycled fd number.
 *
 * Must not: log synchronously, touch SQLite, or wait on anything but the
 * copy of one file (and the deadline bounds even that wait for the opener).
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../actor/actor.h"
#include "../capture/intent.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"
#include "../judge/judge.h"
#include "../warn/canary.h"
#include "../intel/exec.h"
#include "../warn/warn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 8192
#define MAX_WORKERS 64

struct slot {
	int fd;
	pid_t tid;
	enum intent intent;
	uint64_t actor_id;
	const struct actor *a;
	int deny;              /* the judge said no: answer FAN_DENY */
	int exec;              /* FAN_OPEN_EXEC_PERM: check the hash */
	int pre;               /* FAN_PRE_ACCESS of a large file */
	enum pre_kind pre_kind;  /* from the reader's look at the syscall */
	uint64_t off, count;   /* its range */
	struct stat st;
	int64_t t0;            /* mono ns at read */
	atomic_int answered;
	int used;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot slots[SLOTS];
	int fifo[SLOTS];
	unsigned head, tail;   /* fifo of slot indices */
	int free_list[SLOTS];
	int nfree;
	pthread_t reader, deadline, workers[MAX_WORKERS];
	unsigned nworkers;
	int running;
} P = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
respond(int fd, uint32_t verdict)
{
	struct fanotify_response r = { .fd = fd, .response = verdict };
	while (write(D.perm_fd, &r, sizeof r) < 0 && errno == EINTR)
		;
}

static int
answer_once(struct slot *s)
{
	if (atomic_exchange(&s->answered, 1))
		return 0;
	respond(s->fd, s->deny ? FAN_DENY : FAN_ALLOW);
	int64_t dt = mono_ns() - s->t0;
	atomic_fetch_add(&D.c.perm_ns_total, (unsigned long long)dt);
	unsigned long long mx = atomic_load(&D.c.perm_ns_max);
	while ((unsigned long long)dt > mx &&
	    !atomic_compare_exchange_weak(&D.c.perm_ns_max, &mx,
	    (unsigned long long)dt))
		;
	return 1;
}

static int64_t
ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The index entry's last version holds the content st describes (same
 * inode, ctime and size).  Index lock held. */
static int
preserved_as_now(const struct ient *e, const struct stat *st)
{
	return e && e->pres_ctime == ts_ns(st->st_ctim) &&
	    e->pres_size == (uint64_t)st->st_size;
}

static void
set_preserved(const struct stat *st, int64_t ct, uint64_t vid)
{
	index_lock();
	struct ient *e = index_by_ino(st->st_dev, st->st_ino);
	if (e) {
		e->pres_ctime = ct;
		e->pres_size = (uint64_t)st->st_size;
		e->pres_vid = vid;
	}
	index_unlock();
}

/* Preserve the content behind fd unless this very content already is.
 * A large file on a filesystem without reflink gets a range pre-image
 * (range.c) unless the open truncates it, which raises no pre-access
 * event. */
static uint64_t
preserve(struct tree *t, int fd, const struct stat *st, const char *path,
    uint64_t actor_id, enum intent in)
{
	int64_t ct = ts_ns(st->st_ctim);
	index_lock();
	int same = preserved_as_now(index_by_ino(st->st_dev, st->st_ino), st);
	index_unlock();
	if (same) {
		atomic_fetch_add(&D.c.skipped_same, 1);
		return 0;
	}
	uint64_t rid = in != INTENT_TRUNC && range_large(t, st) ?
	    range_begin(t, fd, st, path, actor_id) : 0;
	if (rid) {
		set_preserved(st, ct, rid);
		return rid;
	}
	struct version_meta *m = malloc(sizeof *m);
	if (m == NULL)
		return 0;
	vault_meta_init(m, st, t->id, path, "write", "ok", actor_id);
	m->id = version_next_id();
	int64_t t0 = mono_ns();
	if (vault_preserve(t->vault, fd, m) < 0) {
		atomic_fetch_add(&D.c.preserve_failed, 1);
		store_alert(LOG_LVL_CRIT, "preserve-failed", "cannot preserve "
		    "%s before a write: %s", path, strerror(errno));
		free(m);
		return 0;
	}
	atomic_fetch_add(&D.c.preserve_ns_total,
	    (unsigned long long)(mono_ns() - t0));
	atomic_fetch_add(&D.c.preserved, 1);
	if (strcmp(m->state, "torn") == 0) {
		atomic_fetch_add(&D.c.torn, 1);
		store_alert(LOG_LVL_WARN, "torn", "%s changed while it was "
		    "being preserved (opener released by the deadline); "
		    "version %llu may be inconsistent", path,
		    (unsigned long long)m->id);
	}
	set_preserved(st, ct, m->id);
	uint64_t id = m->id;
	free(m);
	return id;
}

/* What the index says of an inode, for the judge: *known, indexed at
 * all; *own, made by a's own group (its rewrites are not counted as
 * destroying someone else's content).  1 when the inode is held and its
 * content is preserved as it is now (what preserve() would skip). */
static int
index_facts(const struct stat *st, const struct actor *a, int *known,
    int *own)
{
	index_lock();
	struct ient *e = index_by_ino(st->st_dev, st->st_ino);
	*known = e != NULL;
	int same = e && e->held_fd >= 0 && preserved_as_now(e, st);
	uint64_t cg = e ? e->created_group : 0;
	index_unlock();
	*own = cg && a && cg == judge_group_id(a);
	return same;
}

/* An executable about to run from a protected tree: deny it if its
 * SHA-256 was imported as an indicator (vigil ioc import). */
static void
handle_exec(struct slot *s, const char *path)
{
	char hex[65] = "";
	int bad = exec_cached(&s->st);
	if (bad < 0)
		bad = exec_check(s->fd, &s->st, hex);
	if (bad != 1)
		return;
	s->deny = 1;
	store_event(now_ns(), s->actor_id, "exec-denied", path, NULL,
	    s->st.st_dev, s->st.st_ino, 0);
	if (s->a) {
		warn_tell(s->a, "exec-denied", path, "execution of %s denied: "
		    "its SHA-256 %s is a known-bad indicator (by %s, pid %d)",
		    path, hex[0] ? hex : "(cached)", s->a->exe,
		    (int)s->a->pid);
		if (D.cfg.detect)
			judge_exec_denied(s->a, path, hex);
	}
}

/* The group an empty file's write opener belongs to, for hold_made. */
static uint64_t
made_by(const struct stat *st, enum intent in, const struct actor *a)
{
	if (a == NULL || !D.cfg.detect || st->st_size != 0 ||
	    !intent_is_destructive(in))
		return 0;
	return judge_group_id(a);
}

static void
journal_write_open(uint64_t aid, enum intent in, const char *path,
    const struct stat *st, uint64_t vid)
{
	atomic_fetch_add(&D.c.writes_seen, 1);
	store_event(now_ns(), aid, in == INTENT_TRUNC ? "open-trunc" :
	    in == INTENT_WRITE ? "open-write" : "open-unknown", path, NULL,
	    st->st_dev, st->st_ino, vid);
}

/* The path behind an event's fd, or -1. */
static int
fd_path(int fd, char *path, size_t len)
{
	char lnk[64];
	snprintf(lnk, sizeof lnk, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(lnk, path, len - 1);
	if (n <= 0)
		return -1;
	path[n] = '\0';
	return 0;
}

/* A change to a large file with no version filling and no ignore mark
 * (one vigild could not mark when it first saw it): a write of a session
 * whose content a finished version already holds (then the rest of it is
 * silenced), or one that nothing preserved yet. */
static void
pre_unannounced(struct slot *s, const struct actor *a)
{
	char path[PATH_MAX];
	if (fd_path(s->fd, path, sizeof path) < 0)
		return;
	struct tree *t = tree_of_path(path);
	if (t == NULL || path_in_vault(path) || s->st.st_dev != t->dev)
		return;
	hold_inode(t, s->fd, 0, &s->st, path);
	uint64_t aid = a ? a->id : 0;
	uint64_t vid = preserve(t, s->fd, &s->st, path, aid, INTENT_WRITE);
	if (vid == 0)
		range_session_covered(s->fd, s->st.st_dev, s->st.st_ino);
	else
		journal_write_open(aid, INTENT_TRUNC, path, &s->st, vid);
}

/* A pre-access event of a large file: a write, truncate or mmap first
 * copies what it is about to change into the version (range.c).  The
 * reader already read the syscall (pre_fast). */
static void
handle_pre(struct slot *s)
{
	enum pre_kind k = s->pre_kind;
	if (k == PRE_READ)
		return;
	if (!range_claims(s->fd, s->st.st_dev, s->st.st_ino))
		pre_unannounced(s, s->a);
	uint64_t end = k == PRE_RANGE && s->count > 0 ? s->off + s->count :
	    UINT64_MAX;
	range_cover(s->st.st_dev, s->st.st_ino, s->off, end);
}

static void
handle(struct slot *s)
{
	if (s->pre) {
		handle_pre(s);
		return;
	}
	const struct stat st = s->st;
	char path[PATH_MAX];
	if (fd_path(s->fd, path, sizeof path) < 0)
		return;
	if (s->exec) {
		handle_exec(s, path);
		return;
	}
	struct tree *t = tree_of_path(path);
	if (t == NULL || path_in_vault(path) || st.st_dev != t->dev)
		return;
	enum intent in = s->intent;
	uint64_t aid = s->actor_id;
	if (D.cfg.canaries && canary_is(st.st_dev, st.st_ino)) {
		int destroy = intent_is_destructive(in);
		if (warn_canary(s->a, path, destroy ? "opened for writing" :
		    "opened", destroy)) {
			s->deny = 1;
			store_event(now_ns(), aid, "denied", path, NULL,
			    st.st_dev, st.st_ino, 0);
			return;
		}
	}
	if (D.cfg.detect && s->a) {
		/* back-pressure: wait for analysis of this actor's earlier
		 * writes, never past half the permission deadline */
		int64_t dl = s->t0 + (int64_t)D.cfg.perm_timeout_ms * 500000LL;
		/* counted: may destroy content someone else made (a program
		 * rewriting its own files, e.g. a database, is not held back).
		 * made: this inode was created by the actor's own group (or
		 * is not indexed yet: created by this very open) */
		int known, own;
		index_facts(&st, s->a, &known, &own);
		int counted = intent_is_destructive(in) && st.st_size > 0 &&
		    !own;
		int behind = !counted && judge_creating(s->a) &&
		    notify_behind();
		if (judge_admit(s->a, counted, behind, st.st_dev, st.st_ino,
		    dl, notify_catch_up) == ADMIT_DENY) {
			s->deny = 1;
			/* an O_CREAT open creates the file before it is
			 * checked: a denied one leaves an empty file that
			 * the actor made, which rollback must remove */
			int made = st.st_size == 0 && (!known || own);
			store_event(now_ns(), aid, made ? "denied-create" :
			    "denied", path, NULL, st.st_dev, st.st_ino, 0);
			return;
		}
	}
	hold_made(t, s->fd, 0, &st, path, made_by(&st, in, s->a));
	if (!intent_is_destructive(in)) {
		if (s->a)
			atomic_fetch_add(&((struct actor *)s->a)->reads, 1);
		return;
	}
	uint64_t vid = 0;
	if (st.st_size > 0)
		vid = preserve(t, s->fd, &st, path, aid, in);
	journal_write_open(aid, in, path, &st, vid);
}

static void
release(int idx)
{
	struct slot *s = &P.slots[idx];
	pthread_mutex_lock(&P.mu);
	int fd = s->fd;
	s->used = 0;
	P.free_list[P.nfree++] = idx;
	pthread_mutex_unlock(&P.mu);
	close(fd);
}

static void *
worker(void *arg)
{
	(void)arg;
	self_register_thread("vigild-worker", 0);
	for (;;) {
		pthread_mutex_lock(&P.mu);
		while (P.head == P.tail && !atomic_load(&D.stopping))
			pthread_cond_wait(&P.cv, &P.mu);
		if (P.head == P.tail) {
			pthread_mutex_unlock(&P.mu);
			break;
		}
		int idx = P.fifo[P.tail++ % SLOTS];
		pthread_mutex_unlock(&P.mu);
		struct slot *s = &P.slots[idx];
		atomic_fetch_add(&D.busy, 1);
		if (!atomic_load(&s->answered))
			handle(s);
		answer_once(s);
		release(idx);
		atomic_fetch_sub(&D.busy, 1);
	}
	return NULL;
}

static void
allow_now(int fd)
{
	respond(fd, FAN_ALLOW);
	close(fd);
}

/* The opener's syscall line.  The event is readable as soon as the kernel
 * queues it, a moment before the opener goes to sleep waiting for the
 * answer; until then /proc says "running" and the open's flags cannot be
 * read.  On a busy machine that is several percent of events, and an
 * unknown intent is treated as a write (preserved, and held back by the
 * judge).  So ask again, yielding, for at most PROBE_RETRY_NS. */
#define PROBE_RETRY_NS 200000LL
static ssize_t
probe_syscall(pid_t tid, char *sc, size_t len, const struct actor **a)
{
	ssize_t n = actor_probe(tid, sc, len, a);
	int64_t until = 0;
	while (n > 0 && strncmp(sc, "running", 7) == 0) {
		int64_t now = mono_ns();
		if (until == 0)
			until = now + PROBE_RETRY_NS;
		else if (now >= until)
			break;
		sched_yield();
		n = actor_probe(tid, sc, len, a);
	}
	return n;
}

/* A write open that needs no copy: of an empty file (most often one its
 * opener creates with this very open), or of content already preserved
 * (a program opening the same document read-write again).  The reader
 * holds the inode and journals the open itself rather than hand it to a
 * worker: that hand-off wakes two threads, about 200 µs per open on this
 * project's VMs (openlat, docs/performance.md).  Only when the judge
 * would admit it at once (judge_admit_now, with the same bookkeeping as
 * the worker's judge_admit); otherwise a worker waits there. */
static int
fast_write(const struct fanotify_event_metadata *m, const struct stat *st,
    enum intent in, uint64_t aid, const struct actor *a)
{
	int known, own = 0, counted = 0;
	if (st->st_size != 0) {
		if (!index_facts(st, a, &known, &own))
			return 0;
		counted = !own;   /* as handle() counts it */
	}
	char path[PATH_MAX];
	struct tree *t = fd_path(m->fd, path, sizeof path) == 0 ?
	    tree_of_path(path) : NULL;
	int ours = t != NULL && !path_in_vault(path) && st->st_dev == t->dev;
	if (ours && D.cfg.detect) {
		int behind = !counted && judge_creating(a) && notify_behind();
		if (judge_admit_now(a, counted, behind, st->st_dev, st->st_ino,
		    notify_backlog) != ADMIT_ALLOW)
			return 0;
	}
	if (ours && st->st_size != 0)
		atomic_fetch_add(&D.c.skipped_same, 1);
	/* the opener goes on at once: the event's fd already pins the
	 * inode, so holding it a moment later loses nothing (a name gone
	 * before the index knows it is found by the orphan sweep) */
	respond(m->fd, FAN_ALLOW);
	atomic_fetch_add(&D.c.perm_fast, 1);
	if (ours) {
		hold_made(t, m->fd, 0, st, path, made_by(st, in, a));
		journal_write_open(aid, in, path, st, 0);
	}
	close(m->fd);
	return 1;
}

/* Fast path, on the reader thread: 1 if answered here. */
static int
fast_path(const struct fanotify_event_metadata *m, struct stat *st,
    enum intent *in, uint64_t *aid, const struct actor **ap)
{
	if (fstat(m->fd, st) < 0 || !S_ISREG(st->st_mode)) {
		allow_now(m->fd);
		return 1;
	}
	char sc[256];
	const struct actor *a = NULL;
	*in = INTENT_UNKNOWN;
	if (probe_syscall(m->pid, sc, sizeof sc, &a) > 0)
		*in = intent_parse(sc, m->pid, intent_fetch_mem);
	*aid = a ? a->id : 0;
	*ap = a;
	if (canary_is(st->st_dev, st->st_ino))   /* a decoy: the worker tells */
		return 0;
	if (intent_is_destructive(*in)) {
		if (D.cfg.detect && st->st_size == 0)
			judge_new_file(a);
		return fast_write(m, st, *in, *aid, a);
	}
	if (judge_needs_worker(a))
		return 0;
	/* a group writing new files while the notification thread is
	 * behind: its deletions may sit unread (creating() in judge.c) */
	if (D.cfg.detect && judge_creating(a) && notify_behind()) {
		atomic_fetch_add(&D.c.busy_gate, 1);
		return 0;
	}
	index_lock();
	struct ient *e = index_by_ino(st->st_dev, st->st_ino);
	int held = e && e->held_fd >= 0;
	/* known, but no fd is left to hold it: a worker could do no more */
	int full = e && !held && atomic_load(&D.held_now) >= D.held_max;
	index_unlock();
	if (!held && !full)
		return 0;
	atomic_fetch_add(&D.c.perm_fast, 1);
	if (a)   /* mass-read detection sums these (warn/massread.c) */
		atomic_fetch_add(&((struct actor *)a)->reads, 1);
	allow_now(m->fd);
	return 1;
}

/* A pre-access event answered on the reader: a read, or a write of a few
 * pages into a version already filling (a copy from the page cache,
 * cheaper than the hand-off to a worker).  Otherwise *kind and *ap say
 * what the worker needs. */
#define PRE_FAST_MAX (256 * 1024)
static int
pre_fast(const struct fanotify_event_metadata *m, const struct stat *st,
    uint64_t off, uint64_t count, enum pre_kind *kind,
    const struct actor **ap)
{
	char sc[256];
	*kind = PRE_TO_END;   /* undecodable: assume the worst */
	if (probe_syscall(m->pid, sc, sizeof sc, ap) <= 0)
		return 0;
	enum pre_kind k = *kind = intent_pre_kind(sc);
	if (k == PRE_TO_END || (k == PRE_RANGE && (count == 0 ||
	    count > PRE_FAST_MAX || !range_cover(st->st_dev, st->st_ino, off,
	    off + count))))
		return 0;
	atomic_fetch_add(&D.c.perm_fast, 1);
	allow_now(m->fd);
	return 1;
}

/* The range record of a FAN_PRE_ACCESS event. */
static int
event_range(const struct fanotify_event_metadata *m, uint64_t *off,
    uint64_t *count)
{
	const char *p = (const char *)m + m->metadata_len;
	const char *end = (const char *)m + m->event_len;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;
		if (h->len < sizeof *h || p + h->len > end)
			break;
		if (h->info_type == FAN_EVENT_INFO_TYPE_RANGE &&
		    h->len >= sizeof *h + 4 + 16) {
			memcpy(off, p + sizeof *h + 4, 8);
			memcpy(count, p + sizeof *h + 12, 8);
			return 0;
		}
		p += h->len;
	}
	return -1;
}

static void
dispatch(const struct fanotify_event_metadata *m)
{
	atomic_fetch_add(&D.c.perm_events, 1);
	if (self_is_tid(m->pid)) {
		atomic_fetch_add(&D.c.perm_own, 1);
		allow_now(m->fd);
		return;
	}
	struct stat st;
	enum intent in = INTENT_UNKNOWN;
	uint64_t aid = 0;
	const struct actor *a = NULL;
	int64_t t0 = mono_ns();
	int exec = (m->mask & FAN_OPEN_EXEC_PERM) != 0;
	int pre = (m->mask & FAN_PRE_ACCESS) != 0;
	enum pre_kind kind = PRE_TO_END;
	uint64_t off = 0, count = 0;
	if (pre) {
		/* a file below the threshold (not yet held: its ignore mark
		 * comes with the hold): nothing to do */
		atomic_fetch_add(&D.c.pre_events, 1);
		if (fstat(m->fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size < D.cfg.range_preimage_min) {
			allow_now(m->fd);
			return;
		}
		if (event_range(m, &off, &count) < 0)
			off = count = 0;      /* no range: all of the file */
		if (pre_fast(m, &st, off, count, &kind, &a))
			return;
		aid = a ? a->id : 0;
	} else if (exec) {
		/* no indicators, or a verdict cached as good: run it now;
		 * anything else is hashed on a worker */
		if (exec_iocs_count() == 0 || fstat(m->fd, &st) < 0 ||
		    !S_ISREG(st.st_mode) || exec_cached(&st) == 0) {
			allow_now(m->fd);
			return;
		}
		char sc[16];
		actor_probe(m->pid, sc, sizeof sc, &a);
		aid = a ? a->id : 0;
	} else if (fast_path(m, &st, &in, &aid, &a)) {
		atomic_fetch_add(&D.c.perm_ns_total,
		    (unsigned long long)(mono_ns() - t0));
		return;
	}
	pthread_mutex_lock(&P.mu);
	if (P.nfree == 0) {
		pthread_mutex_unlock(&P.mu);
		/* more openers in flight than slots: never make them wait */
		respond(m->fd, FAN_ALLOW);
		close(m->fd);
		atomic_fetch_add(&D.c.failopen, 1);
		store_alert(LOG_LVL_CRIT, "overload", "permission queue full; "
		    "an open was allowed without preservation");
		return;
	}
	int idx = P.free_list[--P.nfree];
	struct slot *s = &P.slots[idx];
	s->fd = m->fd;
	s->tid = m->pid;
	s->st = st;
	s->intent = in;
	s->actor_id = aid;
	s->a = a;
	s->deny = 0;
	s->exec = exec;
	s->pre = pre;
	s->pre_kind = kind;
	s->off = off;
	s->count = count;
	s->t0 = t0;
	atomic_store(&s->answered, 0);
	s->used = 1;
	P.fifo[P.head++ % SLOTS] = idx;
	pthread_cond_signal(&P.cv);
	pthread_mutex_unlock(&P.mu);
}

#define READER_SPIN_NS 100000LL
static void *
reader(void *arg)
{
	(void)arg;
	self_register_thread("vigild-perm", 0);
	char buf[16384] __attribute__((aligned(8)));
	int64_t spin_until = 0, last = 0;
	while (!atomic_load(&D.stopping)) {
		ssize_t len = -1;
		if (spin_until) {
			/* an opener answered a moment ago usually opens the
			 * next file within microseconds (grep, tar, smbd):
			 * look again before sleeping in poll, which costs a
			 * wakeup, an inter-processor interrupt on a VM */
			len = read(D.perm_fd, buf, sizeof buf);
			if (len <= 0 && mono_ns() < spin_until)
				continue;
			if (len <= 0)
				spin_until = 0;
		}
		if (len <= 0) {
			struct pollfd pfd = { D.perm_fd, POLLIN, 0 };
			int r = poll(&pfd, 1, 200);
			if (r <= 0)
				continue;
			len = read(D.perm_fd, buf, sizeof buf);
			if (len <= 0)
				continue;
		}
		/* spin only within a burst (an event that came soon after
		 * the previous one; a lone open costs no spinning), and only
		 * while the opener and the reader have a core each: on a
		 * small server where the notification thread or an analyser
		 * is busy, a spinning reader takes the core they and the
		 * opener need (an A/B of sed -i on 2 cores: 10-20% faster
		 * with no spin at all, but grep -r then fell into a 2-3x
		 * slower mode in 2 runs of 6) */
		int64_t now = mono_ns();
		spin_until = now - last < 2 * READER_SPIN_NS &&
		    atomic_load(&D.busy) + 2 <= D.ncpu ?
		    now + READER_SPIN_NS : 0;
		last = now;
		struct fanotify_event_metadata *m = (void *)buf;
		for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				fatalx("fanotify metadata version mismatch");
			if (m->mask & FAN_Q_OVERFLOW) {
				store_alert(LOG_LVL_CRIT, "overflow",
				    "permission queue overflowed");
				continue;
			}
			if (m->fd < 0)
				continue;
			dispatch(m);
		}
	}
	return NULL;
}

static void *
deadline(void *arg)
{
	(void)arg;
	self_register_thread("vigild-deadline", 0);
	int64_t limit = (int64_t)D.cfg.perm_timeout_ms * 1000000LL;
	while (!atomic_load(&D.stopping)) {
		usleep(limit >= 200000000LL ? 20000 : 2000);
		int64_t now = mono_ns();
		pthread_mutex_lock(&P.mu);
		for (int i = 0; i < SLOTS; i++) {
			struct slot *s = &P.slots[i];
			if (!s->used || atomic_load(&s->answered) ||
			    now - s->t0 < limit)
				continue;
			if (answer_once(s)) {
				atomic_fetch_add(&D.c.failopen, 1);
				store_alert(LOG_LVL_CRIT, "fail-open",
				    "an open by tid %d waited %u ms; allowed "
				    "before its content was preserved",
				    (int)s->tid, D.cfg.perm_timeout_ms);
			}
		}
		pthread_mutex_unlock(&P.mu);
	}
	return NULL;
}

int
perm_start(void)
{
	P.nfree = 0;
	for (int i = SLOTS - 1; i >= 0; i--)
		P.free_list[P.nfree++] = i;
	P.nworkers = D.cfg.workers > MAX_WORKERS ? MAX_WORKERS : D.cfg.workers;
	for (unsigned i = 0; i < P.nworkers; i++)
		if (pthread_create(&P.workers[i], NULL, worker, NULL) != 0)
			return -1;
	if (pthread_create(&P.deadline, NULL, deadline, NULL) != 0 ||
	    pthread_create(&P.reader, NULL, reader, NULL) != 0)
		return -1;
	P.running = 1;
	return 0;
}

void
perm_stop(void)
{
	if (!P.running)
		return;
	pthread_join(P.reader, NULL);
	pthread_mutex_lock(&P.mu);
	pthread_cond_broadcast(&P.cv);
	pthread_mutex_unlock(&P.mu);
	for (unsigned i = 0; i < P.nworkers; i++)
		pthread_join(P.workers[i], NULL);
	pthread_join(P.deadline, NULL);
	P.running = 0;
}
