/*
 * fanotify.c - the two fanotify groups and the marks on protected trees.
 *
 * DESIGN
 * Permission classes cannot report file handles, and dirent events
 * (create, delete, rename) need handles, so vigild runs two groups:
 *   perm_fd   FAN_CLASS_PRE_CONTENT, FAN_REPORT_TID: FAN_OPEN_PERM on the
 *             children of every protected directory.  The event carries an
 *             fd to the file, and the blocked thread's id, whose open flags
 *             tell reads from writes (intent.c).
 *             Where the vault cannot reflink (ext4) and the kernel has
 *             FAN_PRE_ACCESS (6.14+), also that: the range pre-images of
 *             large files (daemon/range.c) stand on it.
 *   notif_fd  FAN_REPORT_DFID_NAME|FID|TARGET_FID: create, delete,
 *             rename and close-write on the same directories.  No pidfd
 *             per event: the actor is looked up by pid (actor.c checks
 *             the start time), and a pidfd costs an fd install, a pidfs
 *             inode and its release for every event.
 * Marks are inode marks with FAN_EVENT_ON_CHILD placed on each directory,
 * not a filesystem or mount mark: a share under /srv usually lives on the
 * root filesystem, and a filesystem mark would make every open on the
 * machine wait on vigild.  With inode marks only the protected trees pay.
 * New directories are marked when their creation is reported.  The vault
 * is never marked, so vigild's own copies raise no events.
 */
#define _GNU_SOURCE
#include "../daemon/daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x00001000
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif

/* FAN_OPEN_EXEC_PERM: executables run from a protected tree are checked
 * against imported indicators (intel/exec.c) */
#define PERM_MASK (FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_EVENT_ON_CHILD)
#define NOTIF_MASK (FAN_CREATE | FAN_DELETE | FAN_RENAME | FAN_CLOSE_WRITE | \
	FAN_ONDIR | FAN_EVENT_ON_CHILD)

int
capture_init(char *err, size_t errlen)
{
	/* O_NOATIME: the event fds are what vigild holds, copies into the
	 * vault and analyses; its reads must leave no trace on the files
	 * (and dirty no inode: relatime updates the first read after each
	 * write) */
	unsigned int pflags = FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC |
	    FAN_NONBLOCK | FAN_REPORT_TID | FAN_UNLIMITED_QUEUE |
	    FAN_UNLIMITED_MARKS;
	D.perm_fd = fanotify_init(pflags, O_RDONLY | O_LARGEFILE | O_CLOEXEC |
	    O_NOATIME);
	if (D.perm_fd < 0 && errno == EINVAL)
		D.perm_fd = fanotify_init(pflags, O_RDONLY | O_LARGEFILE |
		    O_CLOEXEC);
	if (D.perm_fd < 0) {
		snprintf(err, errlen, "fanotify permission group: %s (vigild "
		    "needs root and a kernel with fanotify permission events)",
		    strerror(errno));
		return -1;
	}

	D.notif_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC |
	    FAN_NONBLOCK | FAN_REPORT_DFID_NAME | FAN_REPORT_FID |
	    FAN_REPORT_TARGET_FID | FAN_UNLIMITED_QUEUE |
	    FAN_UNLIMITED_MARKS, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (D.notif_fd < 0) {
		snprintf(err, errlen, "fanotify notification group: %s (needs "
		    "Linux 5.17 or later for FAN_RENAME and target FIDs)",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
remember_dir_handle(int dirfd, const char *path, struct tree *t)
{
	struct {
		uint64_t fsid;
		struct file_handle fh;
		unsigned char bytes[128];
	} k;
	memset(&k, 0, sizeof k);
	k.fh.handle_bytes = sizeof k.bytes;
	int mnt;
	if (name_to_handle_at(dirfd, "", &k.fh, &mnt, AT_EMPTY_PATH) < 0)
		return;
	k.fsid = t->fsid;
	/* key: fsid, handle type, handle bytes - as the event reports them */
	unsigned char key[8 + 4 + 128];
	memcpy(key, &k.fsid, 8);
	memcpy(key + 8, &k.fh.handle_type, 4);
	memcpy(key + 12, k.fh.f_handle, k.fh.handle_bytes);
	index_lock();
	index_dir_set(key, 12 + k.fh.handle_bytes, path);
	index_unlock();
}

/* The vault's versions directory: opens and deletions by anyone but
 * vigil are tamper alerts (warn/tamper.c). */
int
capture_watch_vault(int dirfd, const char *path, struct tree *t)
{
	if (fanotify_mark(D.notif_fd, FAN_MARK_ADD, FAN_OPEN | FAN_DELETE |
	    FAN_EVENT_ON_CHILD, dirfd, NULL) < 0)
		return -1;
	remember_dir_handle(dirfd, path, t);
	return 0;
}

/* Does the kernel report FAN_PRE_ACCESS (6.14+)?  Asked once, before any
 * event thread runs, with a throw-away group on a protected directory. */
void
capture_probe_pre_access(int dirfd)
{
	int g = fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDONLY);
	D.range_on = g >= 0 && fanotify_mark(g, FAN_MARK_ADD, FAN_PRE_ACCESS |
	    FAN_EVENT_ON_CHILD, dirfd, NULL) == 0;
	if (g >= 0)
		close(g);
	if (!D.range_on && D.cfg.range_preimage_min > 0)
		log_info("fanotify: no FAN_PRE_ACCESS (needs Linux 6.14): "
		    "writes to large files on ext4 wait for a whole copy");
}

static int
mark_perm(int dirfd, struct tree *t)
{
	uint64_t mask = PERM_MASK | (range_enabled(t) ? FAN_PRE_ACCESS : 0);
	return fanotify_mark(D.perm_fd, FAN_MARK_ADD, mask, dirfd, NULL);
}

int
capture_mark_dir(int dirfd, const char *path, struct tree *t)
{
	if (mark_perm(dirfd, t) < 0 || fanotify_mark(D.notif_fd, FAN_MARK_ADD,
	    NOTIF_MASK, dirfd, NULL) < 0) {
		atomic_fetch_add(&D.c.mark_failed, 1);
		store_alert(LOG_LVL_CRIT, "mark-failed", "cannot watch %s: %s"
		    " (files there are NOT protected)", path, strerror(errno));
		return -1;
	}
	remember_dir_handle(dirfd, path, t);
	atomic_fetch_add(&D.c.dirs_marked, 1);
	atomic_fetch_add(&t->dirs, 1);
	return 0;
}

void
capture_scan(struct tree *t, int dirfd, const char *path)
{
	if (capture_mark_dir(dirfd, path, t) < 0)
		return;
	int dup_fd = dup(dirfd);
	if (dup_fd < 0)
		return;
	DIR *d = fdopendir(dup_fd);
	if (d == NULL) {
		close(dup_fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && !atomic_load(&D.stopping)) {
		const char *n = de->d_name;
		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
			continue;
		char child[PATH_MAX];
		if (snprintf(child, sizeof child, "%s/%s", path, n) >=
		    (int)sizeof child)
			continue;
		struct stat st;
		if (fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (st.st_dev != t->dev)
			continue; /* another filesystem mounted here */
		if (S_ISDIR(st.st_mode)) {
			if (path_in_vault(child))
				continue;
			int cfd = openat(dirfd, n, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				continue;
			capture_scan(t, cfd, child);
			close(cfd);
		} else if (S_ISREG(st.st_mode)) {
			hold_open_at(t, dirfd, n, child);
		}
	}
	closedir(d);
}

void
capture_unmark_all(void)
{
	/* Closing the groups drops every mark and allows pending events. */
	if (D.perm_fd >= 0) {
		close(D.perm_fd);
		D.perm_fd = -1;
	}
	if (D.notif_fd >= 0) {
		close(D.notif_fd);
		D.notif_fd = -1;
	}
}
