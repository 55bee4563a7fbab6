/*
 * hold.c - keep every protected inode reachable, with no visible trace.
 *
 * DESIGN
 * Unlink and rename-over raise no permission event, so whatever they free
 * must be reachable before they happen.  vigild holds one read-only open
 * file description per protected inode: the one the permission event
 * hands over (duplicated), or one opened at scan time with O_NOATIME.
 * An open description keeps an inode alive after its last name is gone,
 * and reflink and copy work from it, so when the notification path hears
 * that a name went away it preserves the inode from the held fd into the
 * vault, then lets it go.
 * A hard link in the vault would do the same, but a link count is visible
 * to users: gzip, xz and others refuse files with more than one link, and
 * a protection tool must not change how ordinary programs behave.
 * The costs: one fd per protected file (vigild raises RLIMIT_NOFILE, and
 * says loudly when it runs out), and a deleted file's blocks stay in use
 * until its copy is made (milliseconds; a reflink on xfs/btrfs).
 * If vigild dies, held fds close: files deleted in the instant before their
 * copy was made are lost.  docs/guarantees.md says so.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_int warned_emfile;

int
hold_inode(struct tree *t, int fd, int take, const struct stat *st,
    const char *path)
{
	return hold_made(t, fd, take, st, path, 0);
}

int
hold_made(struct tree *t, int fd, int take, const struct stat *st,
    const char *path, uint64_t made_by)
{
	index_lock();
	struct ient *e = index_by_ino(st->st_dev, st->st_ino);
	if (e && e->held_fd >= 0) {
		index_unlock();
		if (take)
			close(fd);
		return 0;
	}
	int fresh = e == NULL;
	e = index_set(st->st_dev, st->st_ino, path, t->id);
	if (e && fresh && made_by && e->created_group == 0)
		e->created_group = made_by;
	/* reads raise no pre-access events, held or not: an inode that
	 * cannot be held (no fds left) must not pay for each read either */
	int quiet = e && !e->quiet;
	if (quiet)
		e->quiet = 1;
	int hfd = -1;
	if (atomic_load(&D.held_now) >= D.held_max) {
		/* the kernel DENIES a permission event whose fd it cannot
		 * install: never eat into the reserve kept for events */
		errno = EMFILE;
		e = NULL;
	}
	if (e)
		hfd = take ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (hfd < 0) {
		index_unlock();
		if (quiet)
			range_quiet(t, fd);
		if (take)
			close(fd);
		atomic_fetch_add(&D.c.hold_failed, 1);
		if (!atomic_exchange(&warned_emfile, 1))
			store_alert(LOG_LVL_CRIT, "hold-failed", "cannot hold "
			    "%s open (%s): unlinks of this and further new "
			    "files cannot be undone; raise LimitNOFILE",
			    path, strerror(errno));
		return -1;
	}
	e->held_fd = hfd;
	index_unlock();
	if (quiet)
		range_quiet(t, hfd);
	atomic_fetch_add(&D.held_now, 1);
	atomic_fetch_add(&D.c.held, 1);
	atomic_fetch_add(&t->files, 1);
	store_name_open(st->st_dev, st->st_ino, path, now_ns());
	return 0;
}

int
held_dup(uint64_t dev, uint64_t ino)
{
	int fd = -1;
	index_lock();
	struct ient *e = index_by_ino(dev, ino);
	if (e && e->held_fd >= 0)
		fd = fcntl(e->held_fd, F_DUPFD_CLOEXEC, 0);
	index_unlock();
	return fd;
}

int
held_fd_at(struct tree *t, const char *path)
{
	int pfd = tree_open(t, path, O_PATH);
	if (pfd < 0)
		return -1;
	struct stat st;
	int fd = -1;
	if (fstat(pfd, &st) == 0 && S_ISREG(st.st_mode))
		fd = held_dup(st.st_dev, st.st_ino);
	close(pfd);
	return fd;
}

int
hold_open_at(struct tree *t, int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != t->dev) {
		close(fd);
		return -1;
	}
	return hold_inode(t, fd, 1, &st, path);
}

struct orphan {
	uint64_t ino;
	char *path;
	int tree;
};

struct sweep {
	struct orphan *v;
	size_t n, cap;
};

static void
collect(struct ient *e, void *arg)
{
	struct sweep *s = arg;
	struct stat st;
	if (e->held_fd < 0 || fstat(e->held_fd, &st) < 0 || st.st_nlink != 0)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct orphan *nv = realloc(s->v, cap * sizeof *nv);
		if (nv == NULL)
			return;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n].ino = e->ino;
	s->v[s->n].tree = e->tree;
	s->v[s->n].path = e->path ? strdup(e->path) : NULL;
	s->n++;
}

void
hold_sweep_orphans(void)
{
	struct sweep s = { 0 };
	index_lock();
	index_foreach(collect, &s);
	index_unlock();
	for (size_t i = 0; i < s.n; i++) {
		struct tree *t = NULL;
		for (int k = 0; k < D.ntrees; k++)
			if (D.trees[k].id == s.v[i].tree)
				t = &D.trees[k];
		if (t)
			notify_retire(t, s.v[i].ino, s.v[i].path ? s.v[i].path :
			    t->path, "unlinked", 0, NULL);
		free(s.v[i].path);
	}
	free(s.v);
}
