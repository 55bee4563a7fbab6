/*
 * index.h - the daemon's in-memory picture of the protected trees.
 *
 * Owns two maps, both guarded by one mutex the caller takes with
 * index_lock(): inodes (dev, ino) <-> their current path, the fd that
 * holds them (daemon/hold.c) and preservation state; and directories, by file handle, to their path.
 * Notification events name a directory by handle and the entry by name,
 * often after the directory is gone (rm -rf), so the directory map must be
 * filled before such events arrive: at scan time and at mkdir.
 * Does not own: persistence (store.c records what matters).
 */
#ifndef VIGIL_INDEX_H
#define VIGIL_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct ient {
	uint64_t dev, ino;
	char *path;
	int tree;
	int held_fd;            /* read-only fd keeping the inode alive */
	int64_t pres_ctime;     /* ctime of the content last preserved */
	uint64_t pres_size;
	uint64_t pres_vid;      /* the version holding that content */
	uint64_t created_group; /* judge group that created it (0: older) */
	int quiet;              /* its pre-access ignore mark was set */
	struct ient *inext, *pnext;
};

void index_init(void);
void index_lock(void);
void index_unlock(void);

struct ient *index_by_ino(uint64_t dev, uint64_t ino);
struct ient *index_by_path(const char *path);
/* Insert or update; returns the entry (NULL on OOM). */
struct ient *index_set(uint64_t dev, uint64_t ino, const char *path, int tree);
void index_forget(struct ient *e);
/* Rename every inode and directory path under old_prefix. */
void index_rename_prefix(const char *old_prefix, const char *new_prefix);
size_t index_count(void);
void index_foreach(void (*fn)(struct ient *, void *), void *arg);

/* Directories by handle (bytes include fsid + handle type). */
void index_dir_set(const void *key, size_t keylen, const char *path);
/* Copy the path into out; 0 if known. */
int index_dir_get(const void *key, size_t keylen, char *out, size_t len);
void index_dir_forget_path(const char *path);
size_t index_dir_count(void);

#endif
