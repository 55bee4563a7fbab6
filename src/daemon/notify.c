/*
 * notify.c - the notification path: names appearing, moving, vanishing.
 *
 * DESIGN
 * Unlink and rename-over have no permission event, so their content must
 * already be reachable when vigild hears of them: every protected inode
 * is held open (hold.c).  When an event says a name went away (FAN_DELETE)
 * or was replaced (FAN_RENAME onto an existing name), the inode that held
 * the name is looked up in the index; if it has no link left, its content
 * is preserved from the held fd into a version.  A periodic sweep
 * (retention.c) catches any inode this path missed.
 * New directories are marked and scanned here, new files held unless the
 * permission path holds them first (a create's hold is deferred to this
 * thread's next event or 1 ms of quiet for that: resolve_pending), and
 * renames keep the index and the path history (names table) true.
 * Runs on its own thread, which reads ahead of what it handles and tells
 * the judge of deletions when it reads them (read_ahead).  Nothing here
 * delays an opener.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../judge/judge.h"
#include "../warn/canary.h"
#include "../warn/warn.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif

static pthread_t notify_thread;
static int notify_running;
/* Held fds are closed only by notify_retire, under this lock: whoever
 * holds it may use one without a dup (notify_read_held).  Taken before
 * the index lock, never after it. */
static pthread_mutex_t retire_mu = PTHREAD_MUTEX_INITIALIZER;
/* events read from the group and events handled, since start: the
 * difference is what the thread holds but has not handled yet.  Counted
 * in events, not bytes: FIONREAD on a fanotify group gives 24 bytes (the
 * metadata) per queued event, whatever its info records add. */
static atomic_ulong read_total, handled_total;
/* notify_catch_up() sleeps on this until the bytes it waits for are
 * handled; the notification thread takes the mutex only when someone
 * waits */
static pthread_mutex_t batch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t batch_cv;
static atomic_int batch_waiters;

struct dname {
	int have;
	uint64_t fsid;
	char dir[PATH_MAX];
	int dir_known;
	char name[NAME_MAX + 1];
	unsigned char key[8 + 4 + 128];
	size_t keylen;
	struct file_handle *fh;
};

int
tree_open(struct tree *t, const char *path, int flags)
{
	if (strncmp(path, t->path, t->pathlen) != 0)
		return -1;
	const char *rel = path + t->pathlen;
	while (*rel == '/')
		rel++;
	if (*rel == '\0')
		rel = ".";
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC |
		O_NOFOLLOW, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		RESOLVE_NO_MAGICLINKS };
	return (int)syscall(SYS_openat2, t->rootfd, rel, &how, sizeof how);
}

uint64_t
notify_retire(struct tree *t, uint64_t ino, const char *path,
    const char *reason, uint64_t actor_id, int *vfd)
{
	uint64_t vid = 0;
	if (vfd)
		*vfd = -1;
	pthread_mutex_lock(&retire_mu);
	index_lock();
	struct ient *e = index_by_ino(t->dev, ino);
	int fd = e ? e->held_fd : -1;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_nlink != 0) {
		index_unlock();
		pthread_mutex_unlock(&retire_mu);
		return 0;
	}
	e->held_fd = -1;
	index_forget(e);
	index_unlock();
	struct version_meta *m = calloc(1, sizeof *m);
	if (m == NULL)
		goto out;
	vault_meta_init(m, &st, t->id, path, reason, "ok", actor_id);
	m->id = version_next_id();
	if (vault_preserve_keep(t->vault, fd, m, vfd) < 0) {
		store_alert(LOG_LVL_CRIT, "retire-failed", "cannot keep %s "
		    "after %s: %s", path, reason, strerror(errno));
	} else {
		atomic_fetch_add(&D.c.retired, 1);
		vid = m->id;
		store_event(m->created_ns, actor_id, "preserve", path, NULL,
		    m->dev, m->ino, m->id);
	}
	free(m);
out:
	close(fd);
	atomic_fetch_sub(&D.held_now, 1);
	pthread_mutex_unlock(&retire_mu);
	return vid;
}

ssize_t
notify_read_held(uint64_t dev, uint64_t ino, uint8_t *buf, size_t cap)
{
	ssize_t r = -1;
	pthread_mutex_lock(&retire_mu);
	index_lock();
	struct ient *e = index_by_ino(dev, ino);
	int fd = e ? e->held_fd : -1;
	index_unlock();
	if (fd >= 0)
		r = pread_head(fd, buf, cap);
	pthread_mutex_unlock(&retire_mu);
	return r;
}

static void
parse_dname(struct fanotify_event_info_fid *fid, struct dname *d)
{
	struct file_handle *fh = (struct file_handle *)fid->handle;
	if (fh->handle_bytes > 128)
		return;
	d->have = 1;
	d->fh = fh;
	memcpy(&d->fsid, &fid->fsid, 8);
	memcpy(d->key, &d->fsid, 8);
	memcpy(d->key + 8, &fh->handle_type, 4);
	memcpy(d->key + 12, fh->f_handle, fh->handle_bytes);
	d->keylen = 12 + fh->handle_bytes;
	const char *name = (const char *)fh->f_handle + fh->handle_bytes;
	snprintf(d->name, sizeof d->name, "%s", name);
	index_lock();
	d->dir_known = index_dir_get(d->key, d->keylen, d->dir,
	    sizeof d->dir) == 0;
	index_unlock();
}

/* A directory the index does not know: resolve it by handle (it may come
 * from outside every tree, e.g. a rename into a protected tree). */
static int
resolve_dir(struct dname *d)
{
	if (d->dir_known)
		return 0;
	struct tree *t = tree_of_fsid(d->fsid);
	if (t == NULL)
		return -1;
	int fd = open_by_handle_at(t->rootfd, d->fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char lnk[64];
	snprintf(lnk, sizeof lnk, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(lnk, d->dir, sizeof d->dir - 1);
	close(fd);
	if (n <= 0)
		return -1;
	d->dir[n] = '\0';
	return tree_of_path(d->dir) ? 0 : -1;
}

static int
full_path(const struct dname *d, char *out, size_t len)
{
	if (strcmp(d->name, ".") == 0 || d->name[0] == '\0')
		return snprintf(out, len, "%s", d->dir) < (int)len ? 0 : -1;
	return snprintf(out, len, "%s/%s", d->dir, d->name) < (int)len ? 0 : -1;
}

/* The inode a dirent event is about, as an O_PATH fd: by the handle the
 * event carries (FAN_REPORT_TARGET_FID) when there is one, for the name
 * may have moved on since (a file created, written and renamed before
 * this thread reads its create); else by its name.  -1 if it is gone. */
static int
child_open(struct tree *t, const struct fanotify_event_info_fid *fid,
    const char *path)
{
	if (fid != NULL) {
		struct file_handle *fh = (struct file_handle *)fid->handle;
		uint64_t fsid;
		memcpy(&fsid, &fid->fsid, sizeof fsid);
		if (fh->handle_bytes <= 128 && fsid == t->fsid)
			return open_by_handle_at(t->rootfd, fh, O_PATH |
			    O_CLOEXEC);
	}
	return tree_open(t, path, O_PATH);
}

/* A file created by an open is held by the permission path as it answers
 * that open, and the create event that this thread reads was queued a
 * moment before the open's permission event: this thread usually gets
 * there first (1,600-1,800 of 2,000 files written over SMB).  Holding it
 * here takes an open of its own, whose permission event the permission
 * thread must answer.  So the create's hold is deferred (struct pending)
 * until this thread handles its next event or has had nothing to do for
 * PENDING_IDLE_MS: by then the permission path has held the file almost
 * always.  Waiting for that hold with sched_yield instead (as up to
 * 2026-12-07) cost the thread 15-19 µs on average when the hold came and
 * 100 µs when it did not, and it did not for a third of the files
 * written over SMB (a perf profile of vigild during bench/smb.sh's
 * write-small: 9% of its samples in that wait, 5% in its own opens).
 * The wait is kept for a deferred create resolved at once by the next
 * event (await_hold, bounded by HOLD_WAIT_NS): a file made by a link() or
 * mknod() raises no permission event and is opened here after that. */
#define HOLD_WAIT_NS 100000LL
#define PENDING_IDLE_MS 1
static int
await_hold(const struct stat *st)
{
	int64_t until = mono_ns() + HOLD_WAIT_NS;
	int fd = -1;
	while (fd < 0 && mono_ns() < until) {
		sched_yield();
		fd = held_dup(st->st_dev, st->st_ino);
	}
	return fd;
}

/* Hold the inode behind pfd (an O_PATH fd, consumed) with an open of
 * vigild's own. */
static int
hold_own(struct tree *t, int pfd, const struct stat *st, const char *path)
{
	/* reopened through the O_PATH fd: the same inode, whatever its
	 * name is now, and only once it is known to be a regular file */
	char lnk[64];
	snprintf(lnk, sizeof lnk, "/proc/self/fd/%d", pfd);
	int fd = open(lnk, O_RDONLY | O_NONBLOCK | O_NOATIME | O_CLOEXEC);
	close(pfd);
	if (fd < 0)
		return -1;
	hold_inode(t, fd, 1, st, path);
	return 0;
}

/* The one create whose hold is deferred (the notification thread's
 * only): its inode, O_PATH fd and name, and the group that made it. */
static struct pending {
	int pfd;                /* -1: none */
	struct tree *t;
	struct stat st;
	uint64_t gid;
	char path[PATH_MAX];
} pend = { .pfd = -1 };

/* Settle the deferred create: held by the permission path by now, or
 * deleted since, or else held here. */
static void
resolve_pending(void)
{
	if (pend.pfd < 0)
		return;
	struct stat *st = &pend.st;
	int fd = held_dup(st->st_dev, st->st_ino);
	struct stat now;
	int gone = fstat(pend.pfd, &now) < 0 || now.st_nlink == 0;
	if (fd < 0 && !gone && atomic_load(&D.held_now) < D.held_max)
		fd = await_hold(st);
	if (fd >= 0 || gone) {
		if (fd >= 0)
			close(fd);
		close(pend.pfd);
	} else {
		hold_own(pend.t, pend.pfd, st, pend.path);
	}
	pend.pfd = -1;
	if (pend.gid) {
		index_lock();
		struct ient *e = index_by_ino(st->st_dev, st->st_ino);
		if (e)
			e->created_group = pend.gid;
		index_unlock();
	}
}

/* Hold the regular file a create or rename event is about, indexed under
 * the event's name (the events that follow in the queue rename it on);
 * *st tells which inode it is.  0, or -1 if there is none.
 * defer: the event is a create, which an open may be about to hold; if
 * it is not held yet, its hold is deferred (resolve_pending), the group
 * defer_gid (0: none) is marked as its maker then, and 1 is returned. */
static int
hold_child(struct tree *t, const struct fanotify_event_info_fid *fid,
    const char *path, struct stat *st, int defer, uint64_t defer_gid)
{
	int pfd = child_open(t, fid, path);
	if (pfd < 0)
		return -1;
	if (fstat(pfd, st) < 0 || !S_ISREG(st->st_mode) ||
	    st->st_dev != t->dev) {
		close(pfd);
		return -1;
	}
	/* most new files were held by the permission path already, when
	 * their creator opened them: then no open (and no event) here */
	int fd = held_dup(st->st_dev, st->st_ino);
	if (fd >= 0 || st->st_nlink == 0) {
		/* held already; or deleted since, with nothing to keep */
		if (fd >= 0)
			close(fd);
		close(pfd);
		return 0;
	}
	/* (with no fds left to hold anything, no one will) */
	if (defer && atomic_load(&D.held_now) < D.held_max &&
	    strlen(path) < sizeof pend.path) {
		resolve_pending();
		pend.pfd = pfd;
		pend.t = t;
		pend.st = *st;
		pend.gid = defer_gid;
		memcpy(pend.path, path, strlen(path) + 1);
		return 1;
	}
	return hold_own(t, pfd, st, path);
}

static void
scan_new_dir(struct tree *t, const char *path)
{
	int fd = tree_open(t, path, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return;
	capture_scan(t, fd, path);
	close(fd);
}

/* The inode that held path loses that name: keep it if nothing else
 * holds it any more.  1 if a file (other than keep_ino, which takes the
 * name) had it. */
static int
name_gone(struct tree *t, const char *path, const char *reason,
    const struct actor *a, uint64_t keep_ino)
{
	index_lock();
	struct ient *e = index_by_path(path);
	uint64_t dev = e ? e->dev : 0, ino = e ? e->ino : 0;
	uint64_t cg = e ? e->created_group : 0;
	index_unlock();
	if (e == NULL || ino == keep_ino)
		return 0;
	/* neither the file that lost the name nor one that replaced
	 * another is a note (the replacement is analysed as such) */
	notes_gone(dev, ino);
	notes_gone(dev, keep_ino);
	store_name_close(dev, ino, path, now_ns());
	/* a rename-over keeps the version open: its analysis, inline
	 * mostly, reads it without opening it again */
	int over = strcmp(reason, "delete") != 0, vfd = -1;
	uint64_t vid = notify_retire(t, ino, path, reason, a ? a->id : 0,
	    over ? &vfd : NULL);
	/* what a group made itself and then removed destroys nothing */
	if (vid && a && cg != judge_group_id(a)) {
		if (!over)
			analyser_submit(JOB_DELETED, t, a, path, dev, ino, vid);
		else {  /* the job names the inode that took the name */
			judge_replaced(a);
			analyser_replaced(t, a, path, dev, keep_ino, vid, vfd);
		}
	}
	if (vfd >= 0)
		close(vfd);
	return 1;
}

static void
on_create(struct tree *t, const char *path, int isdir, const struct actor *a,
    const struct fanotify_event_info_fid *child)
{
	uint64_t dev = 0, ino = 0;
	struct stat st;
	if (isdir) {
		if (!path_in_vault(path))
			scan_new_dir(t, path);
	} else {
		/* the inode, not the name: rollback removes what the actor
		 * made by (dev, ino), even if it was renamed since.  One
		 * already gone (deleted before this event was read) is
		 * found in the index by the name it had, if at all */
		uint64_t gid = a ? judge_group_id(a) : 0;
		int have = hold_child(t, child, path, &st, 1, gid) >= 0;
		index_lock();
		struct ient *e = have ? index_by_ino(st.st_dev, st.st_ino) :
		    index_by_path(path);
		if (e) {
			e->created_group = gid;
			dev = e->dev;
			ino = e->ino;
		} else if (have) {
			dev = (uint64_t)st.st_dev;
			ino = (uint64_t)st.st_ino;
		}
		index_unlock();
		if (a)
			judge_created(a, path);
	}
	store_event(now_ns(), a ? a->id : 0, isdir ? "mkdir" : "create", path,
	    NULL, dev, ino, 0);
}

/* A file was closed after a write: analyse what the write did to
 * content vigild preserved, or whether a new small file is a note. */
static void
on_close_write(struct tree *t, const char *path, const struct actor *a)
{
	index_lock();
	struct ient *e = index_by_path(path);
	uint64_t dev = e ? e->dev : 0, ino = e ? e->ino : 0;
	uint64_t vid = e ? e->pres_vid : 0, cg = e ? e->created_group : 0;
	index_unlock();
	store_event(now_ns(), a ? a->id : 0, "close-write", path, NULL, dev,
	    ino, 0);
	if (a == NULL || e == NULL)
		return;
	judge_closed(a, dev, ino);
	uint64_t gid = judge_group_id(a);
	if (cg && cg == gid) {
		/* a new file is read only to see whether it is a ransom
		 * note; one no one could open as a note (source code, an
		 * image, an archive: most of what tar or cp create) is
		 * not read at all */
		const char *base = strrchr(path, '/');
		if (judge_note_candidate(base ? base + 1 : path))
			notes_defer(t, a, path, dev, ino, mono_ns());
	} else if (vid)
		analyser_submit(JOB_MODIFIED, t, a, path, dev, ino, vid);
}

static void
on_delete(struct tree *t, const char *path, int isdir, const struct actor *a)
{
	uint64_t aid = a ? a->id : 0;
	if (isdir) {
		index_lock();
		index_dir_forget_path(path);
		index_unlock();
	} else {
		if (D.cfg.canaries && canary_is_path(path))
			warn_canary(a, path, "deleted", 1);
		name_gone(t, path, "delete", a, 0);
	}
	store_event(now_ns(), aid, isdir ? "rmdir" : "delete", path, NULL, 0, 0,
	    0);
}

static void
on_rename(struct dname *o, struct dname *n, int isdir, const struct actor *a,
    const struct fanotify_event_info_fid *child)
{
	uint64_t aid = a ? a->id : 0, mdev = 0, mino = 0;
	char op[PATH_MAX], np[PATH_MAX];
	int old_in = resolve_dir(o) == 0 && full_path(o, op, sizeof op) == 0;
	int new_in = resolve_dir(n) == 0 && full_path(n, np, sizeof np) == 0;
	struct tree *nt = new_in ? tree_of_path(np) : NULL;
	if (!old_in && !new_in)
		return;
	if (isdir) {
		if (old_in && new_in) {
			index_lock();
			index_rename_prefix(op, np);
			index_unlock();
		} else if (nt) {
			scan_new_dir(nt, np); /* moved in from outside */
		}
	} else if (nt) {
		if (old_in && D.cfg.canaries && canary_is_path(op))
			warn_canary(a, op, "renamed", 1);
		/* renamed over: what sed -i, or a program saving through a
		 * temporary file, does; the decoy's content is kept like any
		 * other (rename-over preserves it), so a warning, not an
		 * incident: bulk edits of a folder must not freeze */
		if (D.cfg.canaries && canary_is_path(np))
			warn_canary(a, np, "replaced (renamed over)", 0);
		index_lock();
		struct ient *m = old_in ? index_by_path(op) : NULL;
		mdev = m ? m->dev : 0;
		mino = m ? m->ino : 0;
		index_unlock();
		int over = name_gone(nt, np, "rename-over", a, mino);
		if (old_in && a)
			judge_rename(a, op, np);
		if (m) {
			index_lock();
			m = index_by_ino(mdev, mino);
			if (m)
				index_set(mdev, mino, np, nt->id);
			index_unlock();
			if (!over)
				notes_moved(mdev, mino, np);
			store_name_close(mdev, mino, op, now_ns());
			store_name_open(mdev, mino, np, now_ns());
		} else {
			struct stat st;
			if (hold_child(nt, child, np, &st, 0, 0) == 0) {
				mdev = (uint64_t)st.st_dev;
				mino = (uint64_t)st.st_ino;
			}
		}
	}
	/* the moved inode is journaled so that rollback can order this
	 * rename against the permission events of the same inode */
	store_event(now_ns(), aid, "rename", old_in ? op : NULL,
	    new_in ? np : NULL, mdev, mino, 0);
}

/* The info records of an event: its directory and name, a rename's old
 * and new ones, and the inode it is about (FAN_REPORT_TARGET_FID). */
struct infos {
	struct dname dn, od, nd;
	const struct fanotify_event_info_fid *child;
};

static void
parse_infos(const struct fanotify_event_metadata *m, struct infos *in)
{
	memset(in, 0, sizeof *in);
	const char *p = (const char *)(m + 1), *end = (const char *)m +
	    m->event_len;
	while (p + sizeof(struct fanotify_event_info_header) <= end) {
		const struct fanotify_event_info_header *h = (const void *)p;
		if (h->len == 0 || p + h->len > end)
			break;
		switch (h->info_type) {
		case FAN_EVENT_INFO_TYPE_DFID_NAME:
			parse_dname((void *)h, &in->dn);
			break;
		case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
			parse_dname((void *)h, &in->od);
			break;
		case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
			parse_dname((void *)h, &in->nd);
			break;
		case FAN_EVENT_INFO_TYPE_FID:
			in->child = (const void *)h;
			break;
		default:
			break;
		}
		p += h->len;
	}
}

static void
handle_event(struct fanotify_event_metadata *m)
{
	static struct infos in;   /* the notification thread's only */
	parse_infos(m, &in);
	struct dname *dn = &in.dn;
	const struct fanotify_event_info_fid *child = in.child;
	/* vigild's own activity (every preserve opens vault files, which
	 * the tamper watch reports): dropped before any lookup */
	static pid_t self;
	if (self == 0)
		self = getpid();
	if (m->pid > 0 && m->pid == self)
		return;
	const struct actor *a = NULL;
	if (m->pid > 0)
		a = actor_from_pid(m->pid);
	int isdir = (m->mask & FAN_ONDIR) != 0;
	if (m->mask & FAN_RENAME)
		on_rename(&in.od, &in.nd, isdir, a, child);
	if (!dn->have || resolve_dir(dn) < 0)
		return;
	char path[PATH_MAX];
	if (full_path(dn, path, sizeof path) < 0)
		return;
	if (path_in_vault(path)) {
		if (m->mask & (FAN_OPEN | FAN_DELETE))
			tamper_vault(a, m->pid, path, m->mask & FAN_DELETE ? "deleted" :
			    "opened");
		return;
	}
	struct tree *t = tree_of_path(path);
	if (t == NULL)
		return;
	if (m->mask & FAN_CREATE)
		on_create(t, path, isdir, a, child);
	if (m->mask & FAN_DELETE)
		on_delete(t, path, isdir, a);
	if ((m->mask & FAN_CLOSE_WRITE) && !isdir)
		on_close_write(t, path, a);
}

/* Events were read or handled: wake whoever waits for them. */
static void
wake_waiters(void)
{
	if (atomic_load(&batch_waiters) > 0) {
		pthread_mutex_lock(&batch_mu);
		pthread_cond_broadcast(&batch_cv);
		pthread_mutex_unlock(&batch_mu);
	}
}

static void
handled(unsigned long n)
{
	atomic_fetch_add(&handled_total, n);
	wake_waiters();
}

/* The length of the event at *off in buf, *off moved past it; 0 at the
 * end or at a torn record. */
static uint32_t
next_event(const char *buf, size_t len, size_t *off)
{
	uint32_t elen;
	if (*off + FAN_EVENT_METADATA_LEN > len)
		return 0;
	memcpy(&elen, buf + *off, sizeof elen);
	if (elen < FAN_EVENT_METADATA_LEN || *off + elen > len)
		return 0;
	*off += elen;
	return elen;
}

static unsigned long
count_events(const char *buf, size_t len)
{
	unsigned long n = 0;
	for (size_t off = 0; next_event(buf, len, &off) > 0;)
		n++;
	return n;
}

/* ---- read ahead: events leave the kernel queue as soon as they exist ----
 * Handling an event (vault copies, lookups, the journal) takes far longer
 * than reading it, and on a busy share the thread runs well behind.  A
 * deletion of someone else's file is the only back-pressure a
 * write-new-then-delete encryptor meets (deleting() in judge.c), so
 * between two events the thread reads whatever has been queued since,
 * keeps it in order in memory, and tells the judge of the deletions in it
 * at once: the encryptor is held back after its first file however long
 * the queue ahead of its deletion is, and no other group waits for it.
 * (A second thread reading would wake twice per event; measured on sed
 * -i, that doubled vigild's CPU time.) */

struct chunk {
	struct chunk *next;
	size_t len;
	_Alignas(8) char buf[];
};

/* read but unhandled events are kept in memory up to this much; beyond
 * it the kernel queue holds the rest (and notify_behind() says so) */
#define READ_AHEAD_MAX (64u << 20)
/* a look at the queue between two events at most this often; each look
 * that finds nothing doubles the wait before the next, up to
 * READ_AHEAD_IDLE_NS (under sed -i, 44,000 of 64,000 reads of the queue
 * found it empty: 4 syscalls per file for nothing) */
#define READ_AHEAD_NS 20000
#define READ_AHEAD_IDLE_NS 160000

static struct {
	struct chunk *head, *tail;   /* only the notification thread */
	size_t bytes;
	int64_t last_look, look_every;
} Q;

/* Read time: a file deletion, or a rename over a file, by a group that
 * did not make the file is told to the judge now (judge_deletion_read,
 * judge_rename_read; seq: the handled-event count at which this event
 * will have been handled).  Only what the index knows already is looked
 * at; anything else is found when the event is handled, as before. */
static void
look_at_loss(const char *raw, uint32_t elen, pid_t self, unsigned long seq)
{
	static _Alignas(8) char ev[4096];
	if (elen > sizeof ev)
		return;
	memcpy(ev, raw, elen);
	const struct fanotify_event_metadata *m = (const void *)ev;
	if ((m->mask & FAN_ONDIR) || m->pid <= 0 || m->pid == self)
		return;
	static struct infos in;   /* the notification thread's only */
	parse_infos(m, &in);
	int rename = (m->mask & FAN_RENAME) != 0;
	const struct dname *dn = rename ? &in.nd : &in.dn;
	char path[PATH_MAX];
	if (!dn->have || !dn->dir_known ||
	    full_path(dn, path, sizeof path) < 0)
		return;
	const struct actor *a = actor_from_pid(m->pid);
	if (a == NULL)
		return;
	index_lock();
	struct ient *e = index_by_path(path);
	int others = e && e->held_fd >= 0 &&
	    e->created_group != judge_group_id(a);
	index_unlock();
	if (!others)
		return;
	if (rename)
		judge_rename_read(a, seq);
	else
		judge_deletion_read(a);
}

/* base: the events read before this chunk */
static void
look_at_chunk(const char *buf, size_t len, unsigned long base)
{
	static pid_t self;
	if (self == 0)
		self = getpid();
	uint32_t elen;
	unsigned long seq = base;
	for (size_t off = 0; (elen = next_event(buf, len, &off)) > 0;) {
		const char *e = buf + off - elen;
		uint64_t mask;
		memcpy(&mask, e + offsetof(struct fanotify_event_metadata,
		    mask), sizeof mask);
		seq++;
		if (mask & (FAN_DELETE | FAN_RENAME))
			look_at_loss(e, elen, self, seq);
	}
}

/* Read what is queued now (never waits) onto the end of Q; 1 if any. */
static int
read_ahead(void)
{
	static _Alignas(8) char buf[65536];
	Q.last_look = mono_ns();
	if (Q.bytes >= READ_AHEAD_MAX)
		return 0;
	ssize_t len = read(D.notif_fd, buf, sizeof buf);
	if (len <= 0) {
		Q.look_every = Q.look_every < READ_AHEAD_NS ? READ_AHEAD_NS :
		    Q.look_every * 2;
		if (Q.look_every > READ_AHEAD_IDLE_NS)
			Q.look_every = READ_AHEAD_IDLE_NS;
		return 0;
	}
	Q.look_every = READ_AHEAD_NS;
	struct chunk *c = malloc(sizeof *c + (size_t)len);
	if (c == NULL) {
		store_alert(LOG_LVL_CRIT, "overflow", "out of memory for "
		    "%zd bytes of notifications; the orphan sweep will "
		    "catch lost unlinks", len);
		return 0;
	}
	c->next = NULL;
	c->len = (size_t)len;
	memcpy(c->buf, buf, (size_t)len);
	unsigned long base = atomic_fetch_add(&read_total,
	    count_events(buf, (size_t)len));
	if (D.cfg.detect)
		look_at_chunk(c->buf, c->len, base);
	wake_waiters();   /* notify_catch_up(.., read_only) */
	if (Q.tail)
		Q.tail->next = c;
	else
		Q.head = c;
	Q.tail = c;
	Q.bytes += c->len;
	return 1;
}

static void
handle_chunk(const char *buf, size_t len)
{
	/* events with file handles and names are padded to 4 bytes only:
	 * each is copied to an 8-aligned buffer before its fields are
	 * read.  Every event counted when read counts as handled, also
	 * one skipped (oversized) */
	static _Alignas(8) char ev[4096];
	uint32_t elen;
	for (size_t off = 0; (elen = next_event(buf, len, &off)) > 0;) {
		if (elen <= sizeof ev) {
			memcpy(ev, buf + off - elen, elen);
			struct fanotify_event_metadata *m = (void *)ev;
			atomic_fetch_add(&D.c.notify_events, 1);
			if (m->mask & FAN_Q_OVERFLOW)
				store_alert(LOG_LVL_CRIT, "overflow",
				    "notification queue overflowed; the "
				    "orphan sweep will catch lost unlinks");
			else {
				resolve_pending();
				handle_event(m);
			}
		}
		handled(1);
		int64_t now = mono_ns();
		notes_flush(now);
		if (now - Q.last_look >= Q.look_every)
			while (read_ahead())
				;
	}
}

static void *
notify_main(void *arg)
{
	(void)arg;
	self_register_thread("vigild-notify", 0);
	while (!atomic_load(&D.stopping)) {
		if (Q.head == NULL) {
			/* new files wait here a moment (notes.c): wake
			 * for them even if no event comes */
			struct pollfd pfd = { D.notif_fd, POLLIN, 0 };
			int r = poll(&pfd, 1, notes_pending() ? 1 :
			    pend.pfd >= 0 ? PENDING_IDLE_MS : 200);
			notes_flush(mono_ns());
			if (r == 0)
				resolve_pending();
			if (r <= 0 || !read_ahead())
				continue;
		}
		struct chunk *c = Q.head;
		Q.head = c->next;
		if (Q.head == NULL)
			Q.tail = NULL;
		atomic_fetch_add(&D.busy, 1);
		handle_chunk(c->buf, c->len);
		atomic_fetch_sub(&D.busy, 1);
		Q.bytes -= c->len;
		free(c);
	}
	/* stopping: what is left is dropped, as the kernel queue is */
	resolve_pending();
	notes_forget();
	for (struct chunk *c = Q.head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	Q.head = Q.tail = NULL;
	Q.bytes = 0;
	return NULL;
}

/* About two files of a write-new-then-delete encryptor (create,
 * close-write, rename, delete), three of one saving through a temporary
 * file (create, close-write, rename).  At 24 (five files), a notification
 * thread that did not run for 3-5 ms while such an encryptor did a file
 * every 0.1 ms let it touch 10-14 files before its first verdict. */
#define BEHIND_EVENTS 9

static unsigned long
queued_events(void)
{
	int pending = 0;
	if (ioctl(D.notif_fd, FIONREAD, &pending) < 0 || pending < 0)
		return 0;
	return (unsigned long)pending / FAN_EVENT_METADATA_LEN;
}

/* Events that exist now and are not handled yet, never more: what was
 * read is loaded before the queue is looked at, so a read in between
 * makes the figure smaller, not larger. */
static unsigned long
unhandled_events(unsigned long *target)
{
	unsigned long r = atomic_load(&read_total);
	*target = r + queued_events();
	unsigned long h = atomic_load(&handled_total);
	return *target > h ? *target - h : 0;
}

unsigned long
notify_handled(void)
{
	return atomic_load(&handled_total);
}

unsigned long
notify_backlog(void)
{
	unsigned long target;
	return unhandled_events(&target);
}

/* The reader has not read the queue: deletions in it are unseen.  What
 * was read but is not handled yet does not count (look_at_deletion has
 * told the judge of the deletions in it). */
int
notify_behind(void)
{
	return queued_events() > BEHIND_EVENTS;
}

/* Every event that existed at the call is handled (read_only: read):
 * the count reached the target, or nothing is queued and everything read
 * is handled (which holds even if a kernel counted FIONREAD
 * differently). */
static int
caught_up(unsigned long target, int read_only)
{
	unsigned long r = atomic_load(&read_total);
	if (read_only)
		return r >= target || queued_events() == 0;
	unsigned long h = atomic_load(&handled_total);
	return h >= target || (h == r && queued_events() == 0);
}

void
notify_catch_up(int64_t deadline_ns, const int *stop, int read_only)
{
	/* wait until every event queued or read by now is handled.  The
	 * target never counts events that do not exist yet, so the wait
	 * cannot outlive the events it waits for (write-opens once stalled
	 * for all of backpressure_ms on a wait for a batch that never
	 * came); a backlog larger than one read is waited out in full. */
	unsigned long target;
	if (unhandled_events(&target) == 0)
		return;
	/* the waiter count is raised before the look under the mutex, and
	 * the thread adds to handled_total (read_total) before it reads
	 * the count, so one of the two always sees the other */
	atomic_fetch_add(&batch_waiters, 1);
	pthread_mutex_lock(&batch_mu);
	while (!caught_up(target, read_only) && !atomic_load(&D.stopping) &&
	    !(stop && __atomic_load_n(stop, __ATOMIC_RELAXED))) {
		if (mono_ns() >= deadline_ns)
			break;
		/* at most 5 ms: stop (containment) is not signalled here */
		cond_wait_step(&batch_cv, &batch_mu, deadline_ns, 5000000);
	}
	pthread_mutex_unlock(&batch_mu);
	atomic_fetch_sub(&batch_waiters, 1);
}

int
notify_start(void)
{
	cond_init_monotonic(&batch_cv);
	judge_on_handled(notify_handled);
	if (pthread_create(&notify_thread, NULL, notify_main, NULL) != 0)
		return -1;
	notify_running = 1;
	return 0;
}

void
notify_stop(void)
{
	if (notify_running)
		pthread_join(notify_thread, NULL);
	notify_running = 0;
}
