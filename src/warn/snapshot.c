/*
 * snapshot.c - the btrfs snapshots of the protected filesystems.
 *
 * DESIGN
 * Ransomware deletes what could undo it before it encrypts: Windows
 * shadow copies, and on a Linux file server the filesystem's snapshots.
 * For each protected tree on btrfs, snapshot_scan() lists the snapshots
 * of its filesystem (every subvolume with a parent UUID, through
 * libbtrfsutil, which walks the root tree with BTRFS_IOC_TREE_SEARCH as
 * root).  The guard thread (guard.c) calls it every snapshot_poll
 * seconds; a snapshot that was listed before and is gone now is a
 * tamper alert.  btrfs names no deleter in the root tree, so the alert
 * says what went and when, not who.
 * Not watched: LVM thin snapshots, ZFS, XFS (no snapshots of its own).
 * Owns: the last listing.  Must not: run on the permission or
 * notification paths (a tree search can take milliseconds).
 */
#define _GNU_SOURCE
#include "warn.h"
#include "../common/log.h"
#include "../daemon/daemon.h"

#include <btrfsutil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#ifndef BTRFS_SUPER_MAGIC
#define BTRFS_SUPER_MAGIC 0x9123683E
#endif
#define SNAP_MAX 4096          /* listed per poll; more are not watched */

struct snap {
	uint64_t fsid;
	uint8_t uuid[16];
	char path[512];        /* relative to the filesystem's top level */
	char tree[256];        /* a protected tree on that filesystem */
};

static struct {
	struct snap *last;
	size_t nlast;
	int have;              /* a first listing exists */
	int warned;            /* listing failed once: said so */
} S;

static int
is_btrfs(const char *path)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == BTRFS_SUPER_MAGIC;
}

/* Append the snapshots of the filesystem holding tree t to out. */
static void
list_fs(const struct tree *t, struct snap *out, size_t *n)
{
	struct btrfs_util_subvolume_iterator *it;
	enum btrfs_util_error e = btrfs_util_create_subvolume_iterator(t->path,
	    5 /* BTRFS_FS_TREE_OBJECTID: every subvolume */, 0, &it);
	if (e != BTRFS_UTIL_OK) {
		if (!S.warned++)
			log_warnx("snapshots: cannot list the subvolumes of %s "
			    "(%s); their deletion is not watched", t->path,
			    btrfs_util_strerror(e));
		return;
	}
	char *p;
	struct btrfs_util_subvolume_info si;
	static const uint8_t zero[16];
	while (*n < SNAP_MAX && btrfs_util_subvolume_iterator_next_info(it, &p,
	    &si) == BTRFS_UTIL_OK) {
		if (memcmp(si.parent_uuid, zero, 16) != 0) {
			struct snap *s = &out[(*n)++];
			s->fsid = t->fsid;
			memcpy(s->uuid, si.uuid, 16);
			snprintf(s->path, sizeof s->path, "%s", p);
			snprintf(s->tree, sizeof s->tree, "%s", t->path);
		}
		free(p);
	}
	btrfs_util_destroy_subvolume_iterator(it);
}

static int
listed(const struct snap *set, size_t n, const struct snap *s)
{
	for (size_t i = 0; i < n; i++)
		if (set[i].fsid == s->fsid && memcmp(set[i].uuid, s->uuid,
		    16) == 0)
			return 1;
	return 0;
}

int
snapshot_scan(void)
{
	struct snap *now = calloc(SNAP_MAX, sizeof *now);
	if (now == NULL)
		return -1;
	size_t n = 0;
	uint64_t done[64];
	int ndone = 0;
	for (int i = 0; i < D.ntrees && ndone < 64; i++) {
		const struct tree *t = &D.trees[i];
		int seen = 0;
		for (int j = 0; j < ndone; j++)
			seen |= done[j] == t->fsid;
		if (seen || !is_btrfs(t->path))
			continue;
		done[ndone++] = t->fsid;
		list_fs(t, now, &n);
	}
	int gone = 0;
	for (size_t i = 0; S.have && i < S.nlast; i++)
		if (!listed(now, n, &S.last[i])) {
			tamper_snapshot(S.last[i].path, S.last[i].tree);
			gone++;
		}
	if (!S.have && n > 0)
		log_info("snapshots: watching %zu btrfs snapshot(s) of the "
		    "protected filesystems", n);
	free(S.last);
	S.last = now;
	S.nlast = n;
	S.have = 1;
	return gone;
}

void
snapshot_forget(void)
{
	free(S.last);
	memset(&S, 0, sizeof S);
}
