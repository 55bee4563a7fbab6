/*
 * rollback.c - undo everything a contained actor did, and undo the undo.
 *
 * DESIGN
 * An incident names its actors (the judge's group: the process tree and
 * every member seen); the journal holds every event those actors caused,
 * in order.  Rollback walks those events newest first and undoes each one
 * whose effect is still in place:
 *   rename a -> b        b is moved back to a (never over anything);
 *   create p             (or an O_CREAT open denied after the verdict,
 *                        which leaves an empty file behind)
 *                        the file it made (same inode) leaves p for the
 *                        vault ("quarantine": a version with reason
 *                        rollback-removed);
 *   open-write p         (the first one per inode) the content preserved
 *                        before that open is written back; what it
 *                        replaces (the actor's output) is kept as a version
 *                        (rollback-replaced);
 *   preserve p           an inode that lost its last name (delete,
 *                        rename-over) comes back at p, if p is free;
 *   mkdir p              removed if it is empty again.
 * Walking backwards makes every step see the tree as it was right after
 * the event being undone, so renames, rewrites and deletions compose.
 *
 * Safety rules (the reasons this file is careful):
 *  - it never deletes or overwrites anything it has not kept in the vault
 *    first, and records each step in rollback_items so --undo can put the
 *    actor's output back (a false alarm is reversible);
 *  - every path is resolved beneath its tree with openat2(RESOLVE_BENEATH
 *    | RESOLVE_NO_SYMLINKS); renames use RENAME_NOREPLACE;
 *  - it touches only what the actor changed: a file that another actor
 *    wrote after the attacker is left alone and reported as a conflict,
 *    and an inode is checked (dev, ino) before its content is replaced.
 * Runs in the vigil CLI (also when vigild starts it for rollback = auto);
 * works with vigild stopped.
 */
#define _GNU_SOURCE
#include "rollback.h"
#include "restore.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/store.h"
#include "../journal/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TREES_RB 64

struct ev {
	int64_t id, time;
	char op[16];
	char *path, *path2;
	uint64_t dev, ino, vid;
};

struct rb {
	sqlite3 *db;
	uint64_t incident;
	int dry, json, no_items;
	FILE *out;
	int first;
	int seq;
	/* actors of the incident */
	int64_t *actors;
	size_t nactors;
	/* trees and their vaults, opened on demand */
	struct tree_row trees[MAX_TREES_RB];
	struct vault vaults[MAX_TREES_RB];
	int rootfd[MAX_TREES_RB];
	int ntrees;
	/* inodes the actors created (never "restored"), with the event id:
	 * inode numbers are reused, so only later events are about them */
	uint64_t (*created)[3];
	size_t ncreated;
	/* counts */
	int restored, removed, renamed, undeleted, rmdirs, conflicts, failed;
};

/* ---- loading ---- */

static int
has_actor(const struct rb *r, int64_t id)
{
	for (size_t i = 0; i < r->nactors; i++)
		if (r->actors[i] == id)
			return 1;
	return 0;
}

static void
add_actor(struct rb *r, int64_t id)
{
	if (id <= 0 || has_actor(r, id))
		return;
	int64_t *n = realloc(r->actors, (r->nactors + 1) * sizeof *n);
	if (n == NULL)
		return;
	r->actors = n;
	r->actors[r->nactors++] = id;
}

/* actor_ids is the JSON array the daemon wrote: "[12,13,40]". */
static void
parse_ids(struct rb *r, const char *s)
{
	while (s && *s) {
		while (*s && (*s < '0' || *s > '9'))
			s++;
		if (*s == '\0')
			break;
		char *end;
		long long v = strtoll(s, &end, 10);
		add_actor(r, v);
		s = end;
	}
}

/* Children seen after the incident was recorded belong to it too. */
static void
close_over_children(struct rb *r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT id, parent_id FROM actors "
	    "ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return;
	/* actors are numbered in creation order, so one pass finds
	 * children, grandchildren ... of known members */
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t parent = sqlite3_column_int64(st, 1);
		if (parent > 0 && has_actor(r, parent))
			add_actor(r, id);
	}
	sqlite3_finalize(st);
}

static int
load_incident(struct rb *r, char *state, size_t slen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT actor_ids, state FROM incidents "
	    "WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->incident);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		parse_ids(r, (const char *)sqlite3_column_text(st, 0));
		snprintf(state, slen, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		rc = 0;
	}
	sqlite3_finalize(st);
	if (rc == 0)
		close_over_children(r);
	return rc;
}

static struct ev *
load_events(struct rb *r, size_t *n)
{
	*n = 0;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT id, time, op, path, path2, dev, "
	    "ino, version_id, actor_id FROM events ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK)
		return NULL;
	size_t cap = 256;
	struct ev *v = malloc(cap * sizeof *v);
	while (v && sqlite3_step(st) == SQLITE_ROW) {
		if (!has_actor(r, sqlite3_column_int64(st, 8)))
			continue;
		if (*n == cap) {
			cap *= 2;
			struct ev *nv = realloc(v, cap * sizeof *v);
			if (nv == NULL)
				break;
			v = nv;
		}
		struct ev *e = &v[(*n)++];
		memset(e, 0, sizeof *e);
		e->id = sqlite3_column_int64(st, 0);
		e->time = sqlite3_column_int64(st, 1);
		snprintf(e->op, sizeof e->op, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		const char *p = (const char *)sqlite3_column_text(st, 3);
		const char *p2 = (const char *)sqlite3_column_text(st, 4);
		e->path = p ? strdup(p) : NULL;
		e->path2 = p2 ? strdup(p2) : NULL;
		e->dev = (uint64_t)sqlite3_column_int64(st, 5);
		e->ino = (uint64_t)sqlite3_column_int64(st, 6);
		e->vid = (uint64_t)sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	return v;
}

/*
 * Put events back in the order they happened.  Permission events (open-*,
 * denied*) are journaled by the thread that answers them, renames by the
 * notification thread a little later, so "rename a -> b; open b" can be
 * journaled as "open b; rename a -> b".  Walking that backwards would
 * rename b back to a before the open's pre-image is written to b, and the
 * write-back would find nothing at b.  The rule: an event of inode X at
 * path p that is followed by a rename of X *to* p (the next rename of X,
 * from another name) happened after that rename, so it is sorted just
 * behind it.  key = 2 * id, or 2 * rename id + 1 for a moved event.
 */
struct ordkey {
	int64_t key, id;
	size_t at;
};

static int
cmp_inode_id(const void *a, const void *b, void *arg)
{
	const struct ev *v = arg;
	const struct ev *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
cmp_key(const void *a, const void *b)
{
	const struct ordkey *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
moved_into(const struct ev *e, const struct ev *ren)
{
	return e->path && ren->path && ren->path2 &&
	    strcmp(e->path, ren->path2) == 0 && strcmp(e->path, ren->path) != 0;
}

static void
order_events(struct ev *v, size_t n)
{
	size_t *idx = malloc(n * sizeof *idx);
	struct ordkey *k = malloc(n * sizeof *k);
	struct ev *out = malloc(n * sizeof *out);
	if (idx == NULL || k == NULL || out == NULL || n < 2)
		goto done;   /* journal order: right nearly always */
	for (size_t i = 0; i < n; i++) {
		idx[i] = i;
		k[i] = (struct ordkey){ .key = 2 * v[i].id, .id = v[i].id,
		    .at = i };
	}
	qsort_r(idx, n, sizeof *idx, cmp_inode_id, v);
	for (size_t a = 0; a < n; a++) {
		const struct ev *e = &v[idx[a]];
		if (e->ino == 0 || strcmp(e->op, "rename") == 0)
			continue;
		for (size_t b = a + 1; b < n; b++) {
			const struct ev *f = &v[idx[b]];
			if (f->dev != e->dev || f->ino != e->ino)
				break;
			if (strcmp(f->op, "rename") != 0)
				continue;
			if (moved_into(e, f))
				k[idx[a]].key = 2 * f->id + 1;
			break;
		}
	}
	qsort(k, n, sizeof *k, cmp_key);
	for (size_t i = 0; i < n; i++)
		out[i] = v[k[i].at];
	memcpy(v, out, n * sizeof *v);
done:
	free(idx);
	free(k);
	free(out);
}

/* ---- trees ---- */

static int
tree_for(struct rb *r, const char *path)
{
	if (path == NULL || !path_is_clean_absolute(path))
		return -1;
	for (int i = 0; i < r->ntrees; i++)
		if (path_is_under(path, r->trees[i].path) &&
		    strcmp(path, r->trees[i].path) != 0)
			return i;
	if (r->ntrees == MAX_TREES_RB)
		return -1;
	struct tree_row *t = &r->trees[r->ntrees];
	if (find_tree(r->db, path, t) < 0 || strcmp(path, t->path) == 0)
		return -1;
	char err[512];
	if (vault_open(&r->vaults[r->ntrees], t->vault, (dev_t)t->dev, err,
	    sizeof err) < 0) {
		fprintf(stderr, "vigil: rollback: %s\n", err);
		return -1;
	}
	r->rootfd[r->ntrees] = open(t->path, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (r->rootfd[r->ntrees] < 0) {
		vault_close(&r->vaults[r->ntrees]);
		return -1;
	}
	return r->ntrees++;
}

static const char *
rel_of(struct rb *r, int ti, const char *path)
{
	const char *s = path + strlen(r->trees[ti].path);
	while (*s == '/')
		s++;
	return s;
}

/* Open the existing parent of path (never creating it). */
static int
parent_beneath(struct rb *r, int ti, const char *path, char *name,
    size_t nlen)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", rel_of(r, ti, path));
	char *sl = strrchr(parent, '/');
	if (snprintf(name, nlen, "%s", sl ? sl + 1 : parent) >= (int)nlen)
		return -1;
	if (sl)
		*sl = '\0';
	return openat2_beneath(r->rootfd[ti], sl ? parent : ".", O_RDONLY |
	    O_DIRECTORY, 0);
}

/* lstat of path beneath its tree, never following a link. */
static int
stat_beneath(struct rb *r, int ti, const char *path, struct stat *st)
{
	char name[NAME_MAX + 1];
	int pfd = parent_beneath(r, ti, path, name, sizeof name);
	if (pfd < 0)
		return -1;
	int rc = fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW);
	int e = errno;
	close(pfd);
	errno = e;
	return rc;
}

/* ---- reporting ---- */

static void
record(struct rb *r, const char *action, const char *path, const char *path2,
    uint64_t kept, uint64_t restored, const char *note)
{
	if (r->json) {
		fprintf(r->out, "%s{\"action\":\"%s\",\"path\":", r->first ? "" :
		    ",", action);
		json_str(r->out, path);
		if (path2) {
			fprintf(r->out, ",\"to\":");
			json_str(r->out, path2);
		}
		if (kept)
			fprintf(r->out, ",\"kept_version\":%" PRIu64, kept);
		if (restored)
			fprintf(r->out, ",\"restored_version\":%" PRIu64,
			    restored);
		if (note) {
			fprintf(r->out, ",\"note\":");
			json_str(r->out, note);
		}
		fprintf(r->out, "}");
		r->first = 0;
	} else {
		fprintf(r->out, "%-16s %s%s%s%s%s\n", action, path,
		    path2 ? " -> " : "", path2 ? path2 : "", note ? "  # " : "",
		    note ? note : "");
	}
	if (r->dry || r->no_items || strcmp(action, "conflict") == 0 ||
	    strcmp(action, "failed") == 0)
		return;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "INSERT INTO rollback_items(incident_id,"
	    "seq,action,path,path2,kept_version,restored_version,time) "
	    "VALUES(?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->incident);
	sqlite3_bind_int(st, 2, ++r->seq);
	sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	if (path2)
		sqlite3_bind_text(st, 5, path2, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)kept);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)restored);
	sqlite3_bind_int64(st, 8, now_ns());
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
conflict(struct rb *r, const char *path, const char *why)
{
	r->conflicts++;
	record(r, "conflict", path, NULL, 0, 0, why);
}

static void
failed(struct rb *r, const char *path, const char *what)
{
	r->failed++;
	char msg[256];
	snprintf(msg, sizeof msg, "%s: %s", what, strerror(errno));
	record(r, "failed", path, NULL, 0, 0, msg);
}

/* ---- the steps ---- */

static int
was_created(const struct rb *r, const struct ev *e)
{
	for (size_t i = 0; i < r->ncreated; i++)
		if (r->created[i][0] == e->dev && r->created[i][1] == e->ino &&
		    r->created[i][2] < (uint64_t)e->id)
			return 1;
	return 0;
}

/* Did another actor write this inode after time t?  Fills why with the
 * first such event ("close-write by actor 12 (sed)"). */
static int
written_by_other(struct rb *r, uint64_t dev, uint64_t ino, int64_t t,
    char *why, size_t wlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT e.actor_id, e.op, a.comm FROM "
	    "events e LEFT JOIN actors a ON a.id=e.actor_id WHERE e.dev=? AND "
	    "e.ino=? AND e.time>? AND e.op IN ('open-write','open-trunc',"
	    "'close-write')", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ino);
	sqlite3_bind_int64(st, 3, t);
	int other = 0;
	while (!other && sqlite3_step(st) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(st, 0);
		other = a > 0 && !has_actor(r, a);
		if (other && why)
			snprintf(why, wlen, "%s by actor %lld (%s)",
			    (const char *)sqlite3_column_text(st, 1),
			    (long long)a, sqlite3_column_text(st, 2) ?
			    (const char *)sqlite3_column_text(st, 2) : "?");
	}
	sqlite3_finalize(st);
	return other;
}

/* The content the inode had just before the open at time t. */
static uint64_t
version_before(struct rb *r, const struct ev *e)
{
	if (e->vid)
		return e->vid;
	sqlite3_stmt *st;
	uint64_t v = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT id FROM versions WHERE dev=? AND "
	    "ino=? AND created<=? AND evicted=0 ORDER BY created DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)e->ino);
	sqlite3_bind_int64(st, 3, e->time);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int
put_version(struct rb *r, int ti, uint64_t vid, const char *path,
    const char *reason, uint64_t *kept)
{
	int src = vault_open_version(&r->vaults[ti], vid);
	if (src < 0)
		return -1;
	struct src_meta sm = { 0 };
	version_meta(r->db, vid, &sm);
	int rc = write_back(r->db, &r->vaults[ti], r->trees[ti].id, src, &sm,
	    r->rootfd[ti], rel_of(r, ti, path), path, reason, kept);
	int e = errno;
	close(src);
	errno = e;
	return rc;
}

static void
undo_rename(struct rb *r, const struct ev *e)
{
	if (e->path == NULL || e->path2 == NULL)
		return;           /* moved in from / out to elsewhere */
	int ta = tree_for(r, e->path), tb = tree_for(r, e->path2);
	if (ta < 0 || tb < 0)
		return;
	struct stat sa, sb;
	if (stat_beneath(r, tb, e->path2, &sb) < 0)
		return;           /* nothing at b any more */
	if (stat_beneath(r, ta, e->path, &sa) == 0) {
		conflict(r, e->path, "cannot move the renamed file back: "
		    "the name is taken");
		return;
	}
	if (!r->dry) {
		char na[NAME_MAX + 1], nb[NAME_MAX + 1];
		int pa = parent_beneath(r, ta, e->path, na, sizeof na);
		int pb = parent_beneath(r, tb, e->path2, nb, sizeof nb);
		int rc = (pa >= 0 && pb >= 0) ?
		    renameat2(pb, nb, pa, na, RENAME_NOREPLACE) : -1;
		if (pa >= 0)
			close(pa);
		if (pb >= 0)
			close(pb);
		if (rc < 0) {
			failed(r, e->path2, "rename back");
			return;
		}
	}
	r->renamed++;
	record(r, "renamed-back", e->path2, e->path, 0, 0, NULL);
}

static void
undo_create(struct rb *r, const struct ev *e)
{
	int ti = tree_for(r, e->path);
	struct stat st;
	if (ti < 0 || stat_beneath(r, ti, e->path, &st) < 0 ||
	    !S_ISREG(st.st_mode))
		return;
	if (e->ino == 0 || (uint64_t)st.st_ino != e->ino ||
	    (uint64_t)st.st_dev != e->dev)
		return;           /* another file now has that name */
	if (e->op[0] == 'd' && st.st_size != 0)
		return;           /* a denied create left it empty; not this */
	char why[160], note[256];
	if (written_by_other(r, e->dev, e->ino, e->time, why, sizeof why)) {
		snprintf(note, sizeof note, "created by the actor but since "
		    "written by another program (%s): left in place", why);
		conflict(r, e->path, note);
		return;
	}
	uint64_t kept = 0;
	if (!r->dry) {
		char name[NAME_MAX + 1];
		int pfd = parent_beneath(r, ti, e->path, name, sizeof name);
		if (pfd < 0 || keep_replaced(r->db, &r->vaults[ti],
		    r->trees[ti].id, pfd, name, e->path, "rollback-removed",
		    &kept) < 0 || kept == 0 || unlinkat(pfd, name, 0) < 0) {
			if (pfd >= 0)
				close(pfd);
			failed(r, e->path, "quarantine");
			return;
		}
		close(pfd);
	}
	r->removed++;
	record(r, "removed", e->path, NULL, kept, 0, "created by the actor; "
	    "kept in the vault");
}

static void
undo_write(struct rb *r, const struct ev *e)
{
	int ti = tree_for(r, e->path);
	struct stat st;
	if (ti < 0 || was_created(r, e))
		return;
	if (stat_beneath(r, ti, e->path, &st) < 0 ||
	    (uint64_t)st.st_ino != e->ino || (uint64_t)st.st_dev != e->dev)
		return;           /* gone or replaced: handled by its own event */
	char why[160], note[256];
	if (written_by_other(r, e->dev, e->ino, e->time, why, sizeof why)) {
		snprintf(note, sizeof note, "written by another program after "
		    "the actor (%s): left as is (its earlier versions stay in "
		    "the journal)", why);
		conflict(r, e->path, note);
		return;
	}
	uint64_t vid = version_before(r, e);
	if (vid == 0) {
		if (e->op[5] == 't' || st.st_size > 0)
			conflict(r, e->path, "no preserved content before the "
			    "actor's write");
		return;
	}
	uint64_t kept = 0;
	if (!r->dry && put_version(r, ti, vid, e->path, "rollback-replaced",
	    &kept) < 0) {
		failed(r, e->path, "restore content");
		return;
	}
	r->restored++;
	record(r, "restored", e->path, NULL, kept, vid, NULL);
}

static void
undo_loss(struct rb *r, const struct ev *e)
{
	int ti = tree_for(r, e->path);
	struct stat st;
	if (ti < 0 || e->vid == 0 || was_created(r, e))
		return;
	if (stat_beneath(r, ti, e->path, &st) == 0) {
		conflict(r, e->path, "deleted by the actor, but the name is "
		    "taken again: version kept in the journal");
		return;
	}
	if (!r->dry && put_version(r, ti, e->vid, e->path, "rollback-replaced",
	    NULL) < 0) {
		failed(r, e->path, "bring back");
		return;
	}
	r->undeleted++;
	record(r, "undeleted", e->path, NULL, 0, e->vid, NULL);
}

static void
undo_mkdir(struct rb *r, const struct ev *e)
{
	int ti = tree_for(r, e->path);
	if (ti < 0)
		return;
	char name[NAME_MAX + 1];
	int pfd = parent_beneath(r, ti, e->path, name, sizeof name);
	if (pfd < 0)
		return;
	int rc = r->dry ? 0 : unlinkat(pfd, name, AT_REMOVEDIR);
	close(pfd);
	if (rc == 0) {
		r->rmdirs++;
		record(r, "rmdir", e->path, NULL, 0, 0, "created by the actor, "
		    "empty");
	}
}

/* The first content-changing event per inode is the one to undo. */
static int
first_write_of_inode(const struct ev *v, size_t n, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (v[i].ino == v[k].ino && v[i].dev == v[k].dev &&
		    strncmp(v[i].op, "open-", 5) == 0)
			return 0;
	return 1;
}

static void
collect_created(struct rb *r, const struct ev *v, size_t n)
{
	r->created = calloc(n ? n : 1, sizeof *r->created);
	for (size_t i = 0; r->created && i < n; i++)
		if (strcmp(v[i].op, "create") == 0 && v[i].ino) {
			r->created[r->ncreated][0] = v[i].dev;
			r->created[r->ncreated][1] = v[i].ino;
			r->created[r->ncreated][2] = (uint64_t)v[i].id;
			r->ncreated++;
		}
}

static void
walk_back(struct rb *r, struct ev *v, size_t n)
{
	for (size_t k = n; k-- > 0;) {
		const struct ev *e = &v[k];
		if (e->path == NULL)
			continue;
		if (strcmp(e->op, "rename") == 0)
			undo_rename(r, e);
		else if (strcmp(e->op, "create") == 0 ||
		    strcmp(e->op, "denied-create") == 0)
			undo_create(r, e);
		else if (strncmp(e->op, "open-", 5) == 0 &&
		    first_write_of_inode(v, n, k))
			undo_write(r, e);
		else if (strcmp(e->op, "preserve") == 0)
			undo_loss(r, e);
		else if (strcmp(e->op, "mkdir") == 0)
			undo_mkdir(r, e);
	}
}

/* ---- undo of a rollback ---- */

static void
undo_item(struct rb *r, const char *action, const char *path,
    const char *path2, uint64_t kept, uint64_t restored)
{
	int ti = tree_for(r, path);
	if (ti < 0)
		return;
	char name[NAME_MAX + 1];
	if (strcmp(action, "renamed-back") == 0) {
		/* we moved path -> path2; move it again */
		int tb = tree_for(r, path2);
		char n2[NAME_MAX + 1];
		int pa = parent_beneath(r, ti, path, name, sizeof name);
		int pb = tb >= 0 ? parent_beneath(r, tb, path2, n2, sizeof n2) :
		    -1;
		int rc = (pa >= 0 && pb >= 0 && !r->dry) ?
		    renameat2(pb, n2, pa, name, RENAME_NOREPLACE) : 0;
		if (pa >= 0)
			close(pa);
		if (pb >= 0)
			close(pb);
		if (rc < 0)
			failed(r, path2, "rename");
		else
			record(r, "renamed", path2, path, 0, 0, NULL);
	} else if (strcmp(action, "removed") == 0 ||
	    strcmp(action, "restored") == 0) {
		/* put the actor's output back; what we restored is kept */
		uint64_t k2 = 0;
		if (!r->dry && put_version(r, ti, kept, path, "undo-replaced",
		    &k2) < 0)
			failed(r, path, "put back");
		else
			record(r, "put-back", path, NULL, k2, kept, NULL);
	} else if (strcmp(action, "undeleted") == 0) {
		uint64_t k2 = 0;
		int pfd = parent_beneath(r, ti, path, name, sizeof name);
		if (pfd >= 0 && !r->dry && (keep_replaced(r->db,
		    &r->vaults[ti], r->trees[ti].id, pfd, name, path,
		    "undo-replaced", &k2) < 0 || k2 == 0 ||
		    unlinkat(pfd, name, 0) < 0))
			failed(r, path, "remove again");
		else
			record(r, "deleted-again", path, NULL, k2, restored,
			    NULL);
		if (pfd >= 0)
			close(pfd);
	} else if (strcmp(action, "rmdir") == 0) {
		int pfd = parent_beneath(r, ti, path, name, sizeof name);
		if (pfd >= 0 && !r->dry)
			mkdirat(pfd, name, 0755);
		if (pfd >= 0)
			close(pfd);
		record(r, "mkdir", path, NULL, 0, 0, NULL);
	}
}

static void
mark_undone(struct rb *r, int seq)
{
	sqlite3_stmt *u;
	if (sqlite3_prepare_v2(r->db, "UPDATE rollback_items SET undone=1 "
	    "WHERE incident_id=? AND seq=?", -1, &u, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(u, 1, (sqlite3_int64)r->incident);
	sqlite3_bind_int(u, 2, seq);
	sqlite3_step(u);
	sqlite3_finalize(u);
}

static int
run_undo(struct rb *r)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, "SELECT seq, action, path, path2, "
	    "kept_version, restored_version FROM rollback_items WHERE "
	    "incident_id=? AND undone=0 ORDER BY seq DESC", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)r->incident);
	r->no_items = 1;   /* undo steps mark items, they add none */
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		char action[32], path[PATH_MAX], path2[PATH_MAX];
		const char *p2 = (const char *)sqlite3_column_text(st, 3);
		snprintf(action, sizeof action, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		snprintf(path, sizeof path, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		snprintf(path2, sizeof path2, "%s", p2 ? p2 : "");
		int failed_before = r->failed;
		undo_item(r, action, path, p2 ? path2 : NULL,
		    (uint64_t)sqlite3_column_int64(st, 4),
		    (uint64_t)sqlite3_column_int64(st, 5));
		if (!r->dry && r->failed == failed_before)
			mark_undone(r, sqlite3_column_int(st, 0));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static void
set_state(struct rb *r, const char *state, const char *col)
{
	char sql[160];
	snprintf(sql, sizeof sql, "UPDATE incidents SET state=?, %s=? WHERE "
	    "id=?", col);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ns());
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->incident);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static void
summary(struct rb *r, int undo)
{
	if (r->json) {
		fprintf(r->out, "],\"summary\":{\"restored\":%d,\"removed\":%d,"
		    "\"renamed_back\":%d,\"undeleted\":%d,\"rmdir\":%d,"
		    "\"conflicts\":%d,\"failed\":%d}}\n", r->restored,
		    r->removed, r->renamed, r->undeleted, r->rmdirs,
		    r->conflicts, r->failed);
		return;
	}
	if (undo)
		fprintf(r->out, "incident %" PRIu64 ": rollback undone%s (%d "
		    "failed)\n", r->incident, r->dry ? " (dry run)" : "",
		    r->failed);
	else
		fprintf(r->out, "incident %" PRIu64 ": %s%d restored, %d "
		    "removed, %d renamed back, %d undeleted, %d conflict(s), "
		    "%d failed\n", r->incident, r->dry ? "(dry run) " : "",
		    r->restored, r->removed, r->renamed, r->undeleted,
		    r->conflicts, r->failed);
}

int
rollback_run(sqlite3 *db, uint64_t incident, int dry, int undo, int json,
    FILE *out)
{
	struct rb r = { .db = db, .incident = incident, .dry = dry,
		.json = json, .out = out, .first = 1 };
	char state[32] = "";
	if (load_incident(&r, state, sizeof state) < 0) {
		fprintf(stderr, "vigil: rollback: no incident %" PRIu64 "\n",
		    incident);
		return 2;
	}
	if (!undo && strcmp(state, "rolled-back") == 0) {
		fprintf(stderr, "vigil: rollback: incident %" PRIu64 " is "
		    "already rolled back (vigil rollback %" PRIu64 " --undo "
		    "reverses it)\n", incident, incident);
		return 1;
	}
	if (undo && strcmp(state, "rolled-back") != 0) {
		fprintf(stderr, "vigil: rollback --undo: incident %" PRIu64
		    " is not rolled back (state %s)\n", incident, state);
		return 1;
	}
	if (json)
		fprintf(out, "{\"incident\":%" PRIu64 ",\"dry_run\":%s,"
		    "\"undo\":%s,\"actions\":[", incident, dry ? "true" :
		    "false", undo ? "true" : "false");
	if (undo) {
		run_undo(&r);
	} else {
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(db, "SELECT coalesce(max(seq),0) FROM "
		    "rollback_items WHERE incident_id=?", -1, &st, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)incident);
			if (sqlite3_step(st) == SQLITE_ROW)
				r.seq = sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
		size_t n = 0;
		struct ev *v = load_events(&r, &n);
		if (v)
			order_events(v, n);
		collect_created(&r, v, n);
		walk_back(&r, v, n);
		for (size_t i = 0; i < n; i++) {
			free(v[i].path);
			free(v[i].path2);
		}
		free(v);
	}
	if (!dry) {
		if (undo)
			set_state(&r, "rollback-undone", "rolled_back");
		else
			set_state(&r, "rolled-back", "rolled_back");
	}
	summary(&r, undo);
	for (int i = 0; i < r.ntrees; i++) {
		close(r.rootfd[i]);
		vault_close(&r.vaults[i]);
	}
	free(r.actors);
	free(r.created);
	return r.failed ? 1 : 0;
}
