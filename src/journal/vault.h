/*
 * vault.h - where preserved contents live, one vault per filesystem.
 *
 * Layout (directory mode 0700, owned by root, never inside a marked
 * directory's reach of users):
 *   <vault>/versions/<id>    preserved contents: a reflink or copy taken
 *                            before a write, or of an inode whose last name
 *                            went away (from the fd vigild held, hold.c)
 *   <vault>/pending          the metadata of each version, appended
 *                            before its file is linked and its row queued
 *                            (vault_journal): a version whose row a crash
 *                            kept from the database is put back from here
 *                            at the next start.  Rotated once its rows are
 *                            committed (vault_log_rotate).
 *   <vault>/pending.old      the log being retired by a rotation
 * Versions made before this log existed carry the same text in the xattr
 * trusted.vigil.meta; the start-up reconcile still reads it.  An xattr per
 * version cost an xattr block (4 KiB) per version on ext4, and its
 * allocation a third of the time spent keeping a small file.
 * Owns: creating, filling and removing vault files.  Does not own: when
 * to preserve (daemon/perm.c, daemon/notify.c) or the database rows.
 */
#ifndef VIGIL_VAULT_H
#define VIGIL_VAULT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "store.h"

#define VAULT_META_XATTR "trusted.vigil.meta"

struct vault {
	char path[4096];
	dev_t dev;
	int dirfd, versions_fd;
	atomic_int reflink;   /* -1 unknown, 0 no, 1 yes: set by the first
	                       * preserve, read by every worker */
	int log_fd;           /* <vault>/pending, the daemon's only (-1) */
	off_t log_size;
	pthread_mutex_t log_mu;   /* a record, its link and its row queued */
};

/* Find the root of the filesystem holding tree (walks up while st_dev
 * stays the same). */
int vault_fs_root(const char *tree, char *out, size_t len);
/* Open or create the vault at path; it must be on device dev. */
int vault_open(struct vault *v, const char *path, dev_t dev, char *err,
    size_t errlen);
void vault_close(struct vault *v);

/* Preserve the current content of src_fd as versions/<m->id>, reflinked
 * when the filesystem can, else copied (holes kept).  Fills m->bytes.
 * m->ctime_ns/size from before the copy are compared after it: if the
 * file changed during the copy the version is marked torn.  Journals
 * the version (vault_journal): the caller queues no row of its own. */
int vault_preserve(struct vault *v, int src_fd, struct version_meta *m);
/* The same; *keep (when not NULL) is then an fd on the new version, for
 * the caller to read and close, and -1 on failure. */
int vault_preserve_keep(struct vault *v, int src_fd, struct version_meta *m,
    int *keep);
/* The daemon's metadata log (<vault>/pending): open it for appending. */
int vault_log_open(struct vault *v);
/* Journal version m: append its record to the log, link dst (an
 * O_TMPFILE holding the content; -1 for a version already linked) as
 * versions/<m->id>, and queue its row; all under one lock, so that a
 * rotation that has the lock knows every record before it is queued. */
int vault_journal(struct vault *v, int dst, const struct version_meta *m);
/* Rotate the log once it holds more than max bytes: the records before
 * the rotation are dropped once their rows are committed. */
void vault_log_rotate(struct vault *v, off_t max);
/* What the log takes on disk now (a rotation's old log counted). */
uint64_t vault_log_bytes(struct vault *v);
/* Every record in the log (pending.old, then pending) whose version file
 * exists, in the order written; then empty the log. */
void vault_log_replay(struct vault *v,
    void (*fn)(const struct version_meta *m, void *arg), void *arg);
/* Open a version's content read-only. */
int vault_open_version(struct vault *v, uint64_t id);
int vault_remove_version(struct vault *v, uint64_t id);

/* Fill the file fields of m (dev, ino, size, mode, owner, times) from st. */
void vault_meta_from_stat(struct version_meta *m, const struct stat *st);
/* All of a new version's metadata but its id: the file's, created now. */
void vault_meta_init(struct version_meta *m, const struct stat *st, int tree_id,
    const char *path, const char *reason, const char *state,
    uint64_t actor_id);

/* Metadata xattr text <-> struct (exposed for tests and the fuzzer). */
int vault_meta_format(const struct version_meta *m, char *buf, size_t len);
int vault_meta_parse(const char *buf, size_t len, struct version_meta *m);

/* Copy content from src to dst (both regular files), keeping holes;
 * tries FICLONE first when try_reflink. Returns 1 if reflinked, 0 if
 * copied, -1 on error. */
int vault_copy_content(int src, int dst, int try_reflink);
/* Copy [off, end) of src to the same offsets of dst, skipping holes. */
int vault_copy_sparse(int src, int dst, off_t off, off_t end);
/* Copy user-visible xattrs (not trusted.vigil.*) from src to dst. */
void vault_copy_xattrs(int src, int dst);

#endif
