/*
 * vault.h - where preserved contents live, one vault per filesystem.
 *
 * Layout (directory mode 0700, owned by root, never inside a marked
 * directory's reach of users):
 *   <vault>/versions/<id>    preserved contents: a reflink or copy taken
 *                            before a write, or of an inode whose last name
 *                            went away (from the fd vigild held, hold.c)
 * Each version file carries its own metadata in the xattr
 * trusted.vigil.meta, so the database can be rebuilt from the vault.
 * Owns: creating, filling and removing vault files.  Does not own: when
 * to preserve (daemon/perm.c, daemon/notify.c) or the database rows.
 */
#ifndef VIGIL_VAULT_H
#define VIGIL_VAULT_H

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
 * file changed during the copy the version is marked torn. */
int vault_preserve(struct vault *v, int src_fd, struct version_meta *m);
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
