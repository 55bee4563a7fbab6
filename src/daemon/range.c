/*
 * range.c - range pre-images: large files on filesystems without reflink.
 *
 * DESIGN
 * On ext4 a write-open of a 1 GiB file used to wait while the whole file
 * was copied into the vault (about a second), and the copy then competed
 * with the writer for the disk.  Since Linux 6.14 fanotify reports
 * FAN_PRE_ACCESS before every read, write and truncate, with the byte
 * range about to be touched (kernel-facts.md).  With it, a write-open of
 * a large file (range_preimage_min, default 64 MiB) no longer waits:
 *
 *   begin   the open's worker creates an empty, sparse version of the
 *           file's size in the vault (state "filling", linked and
 *           journaled at once) and lets the open proceed;
 *   cover   every pre-access event that may change content (a write, a
 *           truncate, a shared mmap: anything but a read, decided from
 *           the blocked thread's syscall) first copies the 64 KiB chunks
 *           it touches that are not in the version yet, then is allowed;
 *   fill    a filler thread copies the remaining chunks in the
 *           background, 256 KiB at a time (under the version's lock, so
 *           that no write lands in a chunk while it is copied) and at
 *           most range_fill_rate bytes a second;
 *   done    once every chunk is in, the version is an ordinary whole-file
 *           version (state "ok"), and the file's FAN_PRE_ACCESS ignore
 *           mark (one that survives modification) comes back: the rest of
 *           the session, and every read until the next version, raise no
 *           event.
 *
 * A chunk not yet in the version has not been written since the open
 * (every write is preceded by its cover), so copying it later from the
 * live file gives the content as of the open: the finished version is the
 * same whole-file pre-image a synchronous copy would have made, and
 * restore, rollback and retention need no change.  Whoever needs a
 * version complete (rollback, restore through the control socket's flush)
 * finishes it on its own thread (range_finish_all); the analyser copies
 * in just the parts it reads (range_fill_span).
 *
 * Which files raise pre-access events is decided at open time: files
 * opened before a pre-content mark covered them never do.  So the marks
 * are deterministic: every protected directory carries FAN_PRE_ACCESS
 * for its children from the moment it is marked (capture/fanotify.c), and
 * every file gets a surviving ignore mark when it is first seen, so reads
 * cost no event (a large file's reads would otherwise each be a round
 * trip, and its readahead lost to them).  begin swaps that ignore mark
 * for a FAN_PRE_ACCESS mark on the inode itself before the open is
 * allowed (mark_quiet says why the inode is never left without a mark),
 * so every write of the session reaches cover.  A truncate(2) by path,
 * which has no open, is therefore not seen: docs/guarantees.md says so.
 * A begin while an older version of the same inode is still filling
 * finishes that one first, a step at a time so that covers are
 * never held up by the whole copy; two begins from the same content (two
 * writers opening at once) share one version.
 *
 * If vigild dies while a version fills, the version is incomplete: the
 * next start marks it "partial" and restore refuses it.
 *
 * Owns: the table of filling versions, the filler thread, the pre-access
 * ignore marks.  Must not: log synchronously or touch SQLite (store_* only
 * queue), or be called with the index lock held.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHUNK (64 * 1024)       /* copied per cover, at least */
#define FILL_CHUNKS 4           /* the filler copies 256 KiB at a time */
#define COMPLETE_CHUNKS 16      /* a finish on demand, 1 MiB at a time */

struct rver {
	uint64_t dev, ino;
	int src, dst;              /* a dup of the held fd; the vault file */
	uint64_t size;             /* the file's size at the open */
	uint64_t nchunks, copied, cursor;
	unsigned char *bits;
	int failed, done;
	int refs;                  /* the table's and each user's; R.mu */
	struct version_meta m;
	struct vault *vault;
	pthread_mutex_t mu;        /* copying, the bitmap, done */
	struct rver *next;
};

/* Versions completed in the last FINISHED_NS, until the next begin of
 * the same inode.  A pre-access event the kernel queued before the
 * ignore mark came back may be handled after completion: the session's
 * content as of its open is in the finished version, but the file has
 * changed since (the session's own covered writes), so preserving "what
 * is not preserved yet" would take a second version of half-written
 * content, which the analyser then compared against (esxiargs-vm went
 * undetected about one run in eight: random against random). */
#define FINISHED 64
#define FINISHED_NS (1000 * 1000000LL)

static struct {
	pthread_mutex_t mu;        /* the table, refs and the ignore marks */
	pthread_cond_t cv;
	struct rver *list;
	pthread_t filler;
	int running;
	struct { uint64_t dev, ino; int64_t t; } finished[FINISHED];
	unsigned nfinished;        /* next slot, modulo FINISHED */
} R = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void
finished_add_locked(uint64_t dev, uint64_t ino)
{
	unsigned i = R.nfinished++ % FINISHED;
	R.finished[i].dev = dev;
	R.finished[i].ino = ino;
	R.finished[i].t = mono_ns();
}

static void
finished_forget_locked(uint64_t dev, uint64_t ino)
{
	for (unsigned i = 0; i < FINISHED; i++)
		if (R.finished[i].t && R.finished[i].dev == dev &&
		    R.finished[i].ino == ino)
			R.finished[i].t = 0;
}

static int
just_finished_locked(uint64_t dev, uint64_t ino)
{
	int64_t now = mono_ns();
	for (unsigned i = 0; i < FINISHED; i++)
		if (R.finished[i].t && now - R.finished[i].t < FINISHED_NS &&
		    R.finished[i].dev == dev && R.finished[i].ino == ino)
			return 1;
	return 0;
}

int
range_enabled(const struct tree *t)
{
	return D.range_on && D.cfg.range_preimage_min > 0 &&
	    atomic_load(&t->vault->reflink) == 0;
}

int
range_large(const struct tree *t, const struct stat *st)
{
	return range_enabled(t) &&
	    (uint64_t)st->st_size >= D.cfg.range_preimage_min;
}

/* Reads of a large file raise no event while its ignore mark is on; a
 * filling version needs every change reported.  The inode keeps a mark
 * of its own throughout: the ignore bit while quiet, a FAN_PRE_ACCESS
 * bit while a version fills.  Removing the ignore bit alone would drop
 * the inode's last mark, and a file then opened would depend on the
 * kernel seeing its parent's mark at open time (which decides once per
 * open whether pre-content events are raised for that file at all);
 * under load a second writer's open was seen to get none, and its writes
 * went unpreserved (range.sh "conc").  Each switch adds the new bit
 * before it removes the old, so there is no moment without a mark. */
static void
mark_quiet(int fd, int quiet)
{
	unsigned ign = FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY;
	unsigned add = quiet ? FAN_MARK_ADD | ign : FAN_MARK_ADD;
	unsigned del = quiet ? FAN_MARK_REMOVE : FAN_MARK_REMOVE |
	    FAN_MARK_IGNORE;
	if (fanotify_mark(D.perm_fd, add, FAN_PRE_ACCESS, fd, NULL) < 0) {
		log_debug("range: pre-access %s mark: %s", quiet ? "ignore" :
		    "inode", strerror(errno));
		return;
	}
	fanotify_mark(D.perm_fd, del, FAN_PRE_ACCESS, fd, NULL);
}

void
range_quiet(const struct tree *t, int fd)
{
	if (range_enabled(t))
		mark_quiet(fd, 1);
}

static struct rver *
find_locked(uint64_t dev, uint64_t ino)
{
	for (struct rver *r = R.list; r; r = r->next)
		if (r->dev == dev && r->ino == ino)
			return r;
	return NULL;
}

void
range_session_covered(int fd, uint64_t dev, uint64_t ino)
{
	pthread_mutex_lock(&R.mu);
	if (find_locked(dev, ino) == NULL)
		mark_quiet(fd, 1);
	pthread_mutex_unlock(&R.mu);
}

int
range_claims(int fd, uint64_t dev, uint64_t ino)
{
	pthread_mutex_lock(&R.mu);
	int on = find_locked(dev, ino) != NULL;
	if (!on && just_finished_locked(dev, ino)) {
		/* a late event of a finished session: silence the rest */
		mark_quiet(fd, 1);
		on = 1;
	}
	pthread_mutex_unlock(&R.mu);
	return on;
}

static void
unlink_locked(struct rver *r)
{
	struct rver **pp = &R.list;
	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = r->next;
		r->next = NULL;
		r->refs--;           /* the table's reference */
	}
}

static void
put(struct rver *r)
{
	pthread_mutex_lock(&R.mu);
	int last = --r->refs == 0;
	pthread_mutex_unlock(&R.mu);
	if (!last)
		return;
	close(r->src);
	close(r->dst);
	free(r->bits);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static int
bit(const struct rver *r, uint64_t c)
{
	return (r->bits[c / 8] >> (c % 8)) & 1;
}

/* Copy the missing chunks among [c, c + n); r->mu held.  The kernel
 * copies (copy_file_range, holes skipped): one pass over the data. */
static void
copy_chunks(struct rver *r, uint64_t c, uint64_t n)
{
	uint64_t last = c + n > r->nchunks ? r->nchunks : c + n;
	while (c < last && !r->failed) {
		if (bit(r, c)) {
			c++;
			continue;
		}
		uint64_t e = c;
		while (e < last && !bit(r, e))
			e++;
		uint64_t off = c * CHUNK, end = e * CHUNK;
		if (end > r->size)
			end = r->size;
		if (vault_copy_sparse(r->src, r->dst, (off_t)off,
		    (off_t)end) < 0) {
			r->failed = errno ? errno : EIO;
			return;
		}
		for (uint64_t k = c; k < e; k++)
			r->bits[k / 8] |= (unsigned char)(1u << (k % 8));
		r->copied += e - c;
		c = e;
	}
}

/* Every chunk is in (or copying failed): record the version as finished,
 * take it off the table and, if no newer version of the inode began
 * meanwhile, silence the rest of the session.  r->mu held. */
static void
finish_locked(struct rver *r)
{
	struct stat st;
	if (fstat(r->dst, &st) == 0)
		r->m.bytes = (uint64_t)st.st_blocks * 512;
	snprintf(r->m.state, sizeof r->m.state, "%s", r->failed ? "partial" :
	    "ok");
	if (vault_journal(r->vault, -1, &r->m) < 0)
		log_warn("range: version %" PRIu64 " metadata", r->m.id);
	if (r->failed) {
		atomic_fetch_add(&D.c.preserve_failed, 1);
		store_alert(LOG_LVL_CRIT, "preserve-failed", "cannot complete "
		    "version %" PRIu64 " of %s: %s; it is partial", r->m.id,
		    r->m.path, strerror(r->failed));
	}
	r->done = 1;
	pthread_mutex_lock(&R.mu);
	unlink_locked(r);
	if (!r->failed)
		finished_add_locked(r->dev, r->ino);
	/* quiet again: the rest of the session and later reads */
	if (!r->failed && find_locked(r->dev, r->ino) == NULL)
		mark_quiet(r->src, 1);
	pthread_mutex_unlock(&R.mu);
	atomic_fetch_add(&D.c.range_done, 1);
}

/* One step of a fill (up to n chunks from the cursor on), under the
 * version's lock: writers whose cover falls in the step wait for it, so
 * steps are kept short.  Returns the bytes copied; *done once the version
 * is finished. */
static uint64_t
fill_step(struct rver *r, uint64_t n, int *done)
{
	pthread_mutex_lock(&r->mu);
	uint64_t before = r->copied;
	if (!r->done) {
		while (r->cursor < r->nchunks && bit(r, r->cursor))
			r->cursor++;
		copy_chunks(r, r->cursor, n);
		if (r->copied >= r->nchunks || r->failed)
			finish_locked(r);
	}
	uint64_t moved = (r->copied - before) * CHUNK;
	*done = r->done;
	pthread_mutex_unlock(&r->mu);
	return moved;
}

/* Finish r on the caller's thread, a step at a time: between steps the
 * lock is free, so a writer's cover (and the permission reader, which
 * answers most covers itself) waits for one step, never for the copy of
 * the whole file.  Consumes the caller's reference. */
static void
complete(struct rver *r)
{
	int done = 0;
	while (!done)
		fill_step(r, COMPLETE_CHUNKS, &done);
	put(r);
}

/* A referenced version of (dev, ino), or with id vid, or the first. */
static struct rver *
get(uint64_t dev, uint64_t ino, uint64_t vid, int first)
{
	pthread_mutex_lock(&R.mu);
	struct rver *r = R.list;
	while (r && !first && !(vid ? r->m.id == vid :
	    r->dev == dev && r->ino == ino))
		r = r->next;
	if (r)
		r->refs++;
	pthread_mutex_unlock(&R.mu);
	return r;
}

static struct rver *
rver_new(struct tree *t, int fd, const struct stat *st)
{
	struct rver *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->dev = st->st_dev;
	r->ino = st->st_ino;
	r->size = (uint64_t)st->st_size;
	r->nchunks = (r->size + CHUNK - 1) / CHUNK;
	r->bits = calloc(r->nchunks / 8 + 1, 1);
	r->src = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	r->dst = openat(t->vault->versions_fd, ".", O_TMPFILE | O_RDWR |
	    O_CLOEXEC, 0600);
	pthread_mutex_init(&r->mu, NULL);
	r->refs = 1;
	if (r->bits && r->src >= 0 && r->dst >= 0 &&
	    ftruncate(r->dst, (off_t)r->size) == 0)
		return r;
	int e = errno;
	put(r);
	errno = e;
	return NULL;
}

/* Under R.mu: the version already filling from this very content (two
 * write-opens of the same file at once), or, after completing any older
 * one, NULL with R.mu still held so that nothing can slip in before the
 * caller's insert. */
static struct rver *
same_or_none_locked(const struct stat *st)
{
	for (;;) {
		struct rver *old = find_locked(st->st_dev, st->st_ino);
		if (old == NULL)
			return NULL;
		if (old->m.ctime_ns == (int64_t)st->st_ctim.tv_sec *
		    1000000000LL + st->st_ctim.tv_nsec &&
		    old->m.size == (uint64_t)st->st_size)
			return old;
		/* an older version still filling: finish it first (its
		 * missing chunks are still the content of its open) */
		old->refs++;
		pthread_mutex_unlock(&R.mu);
		complete(old);
		pthread_mutex_lock(&R.mu);
	}
}

uint64_t
range_begin(struct tree *t, int fd, const struct stat *st, const char *path,
    uint64_t actor_id)
{
	struct rver *r = rver_new(t, fd, st);
	if (r == NULL)
		return 0;
	struct version_meta *m = &r->m;
	vault_meta_init(m, st, t->id, path, "write", "filling", actor_id);
	vault_copy_xattrs(fd, r->dst);
	pthread_mutex_lock(&R.mu);
	struct rver *same = same_or_none_locked(st);
	if (same) {
		uint64_t id = same->m.id;
		pthread_mutex_unlock(&R.mu);
		put(r);
		return id;
	}
	/* linked and journaled before any write of the session */
	m->id = version_next_id();
	r->vault = t->vault;
	if (vault_journal(t->vault, r->dst, m) < 0) {
		int e = errno;
		pthread_mutex_unlock(&R.mu);
		put(r);
		errno = e;
		return 0;
	}
	/* a new session: its late events are its own, not a finished one's */
	finished_forget_locked(r->dev, r->ino);
	/* from here on every write of the inode reaches range_cover */
	mark_quiet(r->src, 0);
	r->next = R.list;
	R.list = r;
	pthread_cond_signal(&R.cv);
	pthread_mutex_unlock(&R.mu);
	atomic_fetch_add(&D.c.range_begun, 1);
	return m->id;
}

/* Copy [off, end) of r's file in, if still missing; consumes the caller's
 * reference. */
static void
copy_span(struct rver *r, uint64_t off, uint64_t end)
{
	pthread_mutex_lock(&r->mu);
	if (end > r->size)
		end = r->size;
	if (!r->done && off < end)
		copy_chunks(r, off / CHUNK, (end - 1) / CHUNK - off / CHUNK + 1);
	pthread_mutex_unlock(&r->mu);
	put(r);
}

int
range_cover(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end)
{
	struct rver *r = get(dev, ino, 0, 0);
	if (r == NULL)
		return 0;
	copy_span(r, off, end);
	atomic_fetch_add(&D.c.range_covers, 1);
	return 1;
}

void
range_fill_span(uint64_t vid, uint64_t off, uint64_t len)
{
	struct rver *r = vid && len > 0 ? get(0, 0, vid, 0) : NULL;
	if (r)
		copy_span(r, off, off + len);
}

void
range_finish_all(void)
{
	struct rver *r;
	while ((r = get(0, 0, 0, 1)) != NULL)
		complete(r);
}

/* Move r to the end of the table: the next version gets the next MiB. */
static void
rotate(struct rver *r)
{
	pthread_mutex_lock(&R.mu);
	struct rver **pp = &R.list;
	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp && r->next) {
		*pp = r->next;
		while (*pp)
			pp = &(*pp)->next;
		*pp = r;
		r->next = NULL;
	}
	pthread_mutex_unlock(&R.mu);
}


static void *
filler(void *arg)
{
	(void)arg;
	self_register_thread("vigild-range", NICE_BACKGROUND);
	for (;;) {
		pthread_mutex_lock(&R.mu);
		while (R.list == NULL && R.running)
			pthread_cond_wait(&R.cv, &R.mu);
		struct rver *r = R.running ? R.list : NULL;
		if (r)
			r->refs++;
		pthread_mutex_unlock(&R.mu);
		if (r == NULL)
			return NULL;
		int done;
		uint64_t moved = fill_step(r, FILL_CHUNKS, &done);
		rotate(r);
		put(r);
		if (D.cfg.range_fill_rate > 0 && moved > 0)
			usleep((useconds_t)(moved * 1000000ULL /
			    D.cfg.range_fill_rate));
	}
}

int
range_start(void)
{
	R.running = 1;
	if (pthread_create(&R.filler, NULL, filler, NULL) != 0) {
		R.running = 0;
		return -1;
	}
	return 0;
}

void
range_stop(void)
{
	range_finish_all();
	pthread_mutex_lock(&R.mu);
	int was = R.running;
	R.running = 0;
	pthread_cond_broadcast(&R.cv);
	pthread_mutex_unlock(&R.mu);
	if (was)
		pthread_join(R.filler, NULL);
}
