/*
 * canary.h - decoy files that warn before encryption starts.
 *
 * Owns: placing decoys in the protected trees (one per folder, in the
 * tree root and the folders just below it), keeping them there, the
 * registry of them (STATE_DIR/canaries, read by the CLI too), and the
 * fast question "is this inode a decoy?".
 * Does not own: what happens when one is touched (the judge contains,
 * the alert is the caller's), or hiding them from users (they are meant
 * to be found: by ransomware).
 * Must never: overwrite an existing file (O_EXCL; another name is tried),
 * follow a symlink (openat beneath the tree, O_NOFOLLOW), put real data
 * in a decoy, or block the permission path (lookups are a read lock and
 * a binary search).
 */
#ifndef VIGIL_CANARY_H
#define VIGIL_CANARY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CANARY_XATTR "trusted.vigil.canary"
#define CANARY_FILE "canaries"        /* in the state dir */

struct canary_spec {
	char name[128];
	char *data;                        /* malloc'd content */
	size_t len;
	int64_t mtime;                     /* seconds, in the past */
};

/* Make the decoy for one folder: a plausible name and valid content
 * (PDF, CSV or RTF), deterministic in (seed, folder path, attempt).
 * 0, or -1.  Exposed for unit tests. */
int canary_make(uint64_t seed, const char *dir, int attempt, int64_t now_s,
    struct canary_spec *out);
void canary_spec_free(struct canary_spec *s);

/* Plant missing decoys in the given trees (root fds and paths) and
 * rewrite the registry; returns how many decoys exist.  depth: 0 the tree
 * roots only, 1 also the folders just below them; skip(path) may exclude
 * folders (e.g. the vault). */
int canary_plant(const char *state_dir, int ntrees, const int *rootfds,
    const char *const *paths, int depth, uint64_t seed,
    int (*skip)(const char *path));
/* Is (dev, ino) a decoy?  Never blocks for long. */
int canary_is(uint64_t dev, uint64_t ino);
/* Is this path a decoy (the daemon's registry)? */
int canary_is_path(const char *path);
/* Is this path a decoy (registry of state_dir; for the CLI)? */
int canary_path_listed(const char *state_dir, const char *path);

#endif
