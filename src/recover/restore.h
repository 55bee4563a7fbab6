/*
 * restore.h - putting preserved versions back, safely.
 *
 * Owns: choosing which version of a path held its content at a time, and
 * writing it back.  Rules it must keep:
 *  - byte-identical: content, mode, owner, times, xattrs;
 *  - never follow a symlink: every component under the destination root is
 *    resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
 *  - never destroy: whatever a restore replaces is first hard-linked into
 *    the vault as a version (reason "restore-replaced"); a directory is
 *    never replaced by a file;
 *  - never write outside a protected tree (in place) or outside --to DEST.
 * Used by the CLI; works whether or not vigild is running.
 */
#ifndef VIGIL_RESTORE_H
#define VIGIL_RESTORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#define RESTORE_NOW INT64_MIN

struct restore_opts {
	const char *path;      /* clean absolute path inside a tree */
	int64_t at;            /* RESTORE_NOW: before the latest change */
	const char *to;        /* NULL: in place */
	int json;
};

/* Returns an exit status: 0 all restored, 1 nothing to restore or some
 * failed, 2 bad request (message on stderr). */
int restore_run(sqlite3 *db, const struct restore_opts *o, FILE *out);

/* Which content did path hold at time t?  Fills the version id (0 when
 * the inode's current content is the answer; then *ino is set). */
int restore_resolve(sqlite3 *db, const char *path, int64_t t,
    uint64_t *version, uint64_t *dev, uint64_t *ino);

/* ---- shared with rollback.c ---- */
#include <limits.h>
struct vault;
struct tree_row {
	int id;
	char path[PATH_MAX];
	char vault[PATH_MAX];
	uint64_t dev;
};
struct src_meta {
	uint32_t mode, uid, gid;
	int64_t atime, mtime;
	int have;
};
int find_tree(sqlite3 *db, const char *path, struct tree_row *t);
int openat2_beneath(int dirfd, const char *rel, int flags, unsigned mode);
int open_parent(int rootfd, const char *rel, char *name, size_t namelen);
int version_meta(sqlite3 *db, uint64_t id, struct src_meta *m);
/* 1 if version id is a range pre-image left unfinished. */
int version_incomplete(sqlite3 *db, uint64_t id);
/* Link what sits at parentfd/name into the vault as a version with this
 * reason (its id in *kept; 0 if nothing was there). */
int keep_replaced(sqlite3 *db, struct vault *v, int tree_id, int parentfd,
    const char *name, const char *path, const char *reason, uint64_t *kept);
/* Write srcfd's content and metadata to rootfd/rel (O_TMPFILE, then
 * rename), keeping what it replaces as a version. */
int write_back(sqlite3 *db, struct vault *v, int tree_id, int srcfd,
    const struct src_meta *sm, int rootfd, const char *rel,
    const char *shown_path, const char *reason, uint64_t *kept);

#endif
