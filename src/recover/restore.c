/*
 * restore.c - resolve versions and write them back without following links.
 *
 * DESIGN
 * The journal is inode-centred.  The names table says which inode held a
 * path over which interval; the versions table holds, per inode, the
 * content captured just before each destructive change.  So the content of
 * path P at time T is: the inode I that held P at T; then the first version
 * of I captured after T (every change is preceded by a capture, so that
 * capture still shows the content of T); and if I has no later capture,
 * I itself, unchanged since T, under its current name.  When
 * no name history covers P (it predates the journal), the first version
 * recorded under P after T is used.
 */
#define _GNU_SOURCE
#include "restore.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/store.h"
#include "../journal/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
find_tree(sqlite3 *db, const char *path, struct tree_row *t)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT id, path, vault, dev FROM trees",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 1);
		if (p && path_is_under(path, p)) {
			t->id = sqlite3_column_int(st, 0);
			snprintf(t->path, sizeof t->path, "%s", p);
			snprintf(t->vault, sizeof t->vault, "%s",
			    (const char *)sqlite3_column_text(st, 2));
			t->dev = (uint64_t)sqlite3_column_int64(st, 3);
			rc = 0;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* One nullable integer from a query with one text parameter. */
static int
q_max(sqlite3 *db, const char *sql, const char *text, int64_t *out)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* Default time: just before the most recent change under this name. */
static int
latest_change(sqlite3 *db, const char *path, int64_t *t)
{
	int64_t v = 0, u = 0;
	int f1 = q_max(db, "SELECT max(created) FROM versions WHERE path=? AND "
	    "evicted=0", path, &v);
	int f2 = q_max(db, "SELECT max(until) FROM names WHERE path=?", path,
	    &u);
	if (!f1 && !f2)
		return -1;
	int64_t m = f1 ? v : INT64_MIN;
	if (f2 && u > m)
		m = u;
	*t = m - 1;
	return 0;
}

int
restore_resolve(sqlite3 *db, const char *path, int64_t t, uint64_t *version,
    uint64_t *dev, uint64_t *ino)
{
	sqlite3_stmt *st;
	*version = 0;
	*dev = *ino = 0;
	int have_ino = 0;
	if (sqlite3_prepare_v2(db, "SELECT dev, ino FROM names WHERE path=? "
	    "AND since<=? AND (until IS NULL OR until>?) ORDER BY since DESC "
	    "LIMIT 1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t);
		sqlite3_bind_int64(st, 3, t);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*dev = (uint64_t)sqlite3_column_int64(st, 0);
			*ino = (uint64_t)sqlite3_column_int64(st, 1);
			have_ino = 1;
		}
		sqlite3_finalize(st);
	}
	const char *sql = have_ino ?
	    "SELECT id FROM versions WHERE dev=? AND ino=? AND created>? AND "
	    "evicted=0 ORDER BY created LIMIT 1" :
	    "SELECT id FROM versions WHERE path=? AND created>? AND "
	    "evicted=0 ORDER BY created LIMIT 1";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (have_ino) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)*dev);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)*ino);
		sqlite3_bind_int64(st, 3, t);
	} else {
		sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, t);
	}
	int rc = have_ino ? 0 : -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*version = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

int
openat2_beneath(int dirfd, const char *rel, int flags, unsigned mode)
{
	struct open_how how = { .flags = (uint64_t)flags | O_CLOEXEC |
		O_NOFOLLOW, .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
		RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	return (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
}

/* Open (creating as needed) the parent directory of rel below rootfd. */
int
open_parent(int rootfd, const char *rel, char *name, size_t namelen)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", rel);
	char *slash = strrchr(buf, '/');
	const char *base = slash ? slash + 1 : buf;
	if (snprintf(name, namelen, "%s", base) >= (int)namelen ||
	    *base == '\0')
		return -1;
	if (slash == NULL)
		return openat2_beneath(rootfd, ".", O_RDONLY | O_DIRECTORY, 0);
	*slash = '\0';
	int fd = openat2_beneath(rootfd, ".", O_RDONLY | O_DIRECTORY, 0);
	for (char *c = buf, *next; fd >= 0 && c && *c; c = next) {
		next = strchr(c, '/');
		if (next)
			*next++ = '\0';
		if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		int nfd = openat2_beneath(fd, c, O_RDONLY | O_DIRECTORY, 0);
		close(fd);
		fd = nfd;
	}
	return fd;
}

/* A range pre-image that vigild did not finish (daemon/range.c). */
int
version_incomplete(sqlite3 *db, uint64_t id)
{
	sqlite3_stmt *st;
	int bad = 0;
	if (sqlite3_prepare_v2(db, "SELECT state FROM versions WHERE id=?",
	    -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		bad = s && (strcmp(s, "partial") == 0 ||
		    strcmp(s, "filling") == 0);
	}
	sqlite3_finalize(st);
	return bad;
}

int
version_meta(sqlite3 *db, uint64_t id, struct src_meta *m)
{
	sqlite3_stmt *st;
	m->have = 0;
	if (sqlite3_prepare_v2(db, "SELECT mode, uid, gid, atime, mtime FROM "
	    "versions WHERE id=?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		m->mode = (uint32_t)sqlite3_column_int(st, 0);
		m->uid = (uint32_t)sqlite3_column_int64(st, 1);
		m->gid = (uint32_t)sqlite3_column_int64(st, 2);
		m->atime = sqlite3_column_int64(st, 3);
		m->mtime = sqlite3_column_int64(st, 4);
		m->have = 1;
	}
	sqlite3_finalize(st);
	return m->have ? 0 : -1;
}

/* Keep whatever currently sits at parentfd/name before replacing it. */
int
keep_replaced(sqlite3 *db, struct vault *v, int tree_id, int parentfd,
    const char *name, const char *path, const char *reason, uint64_t *kept)
{
	struct stat st;
	if (kept)
		*kept = 0;
	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (st.st_dev != v->dev)
		return 0; /* restoring to --to elsewhere: no vault there */
	struct version_meta m = { 0 };
	m.id = (uint64_t)now_ns(); /* CLI ids: nanoseconds, above daemon ids */
	m.tree_id = tree_id;
	m.dev = st.st_dev;
	m.ino = st.st_ino;
	m.size = (uint64_t)st.st_size;
	m.bytes = (uint64_t)st.st_blocks * 512;
	m.mode = st.st_mode;
	m.uid = st.st_uid;
	m.gid = st.st_gid;
	m.atime_ns = (int64_t)st.st_atim.tv_sec * 1000000000LL +
	    st.st_atim.tv_nsec;
	m.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL +
	    st.st_mtim.tv_nsec;
	m.ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000LL +
	    st.st_ctim.tv_nsec;
	m.created_ns = now_ns();
	snprintf(m.reason, sizeof m.reason, "%s", reason);
	snprintf(m.state, sizeof m.state, "ok");
	snprintf(m.path, sizeof m.path, "%s", path);
	char vn[32];
	snprintf(vn, sizeof vn, "%" PRIu64, m.id);
	/* flags 0: a symlink is linked as itself, never followed */
	if (linkat(parentfd, name, v->versions_fd, vn, 0) < 0)
		return -1;
	if (kept)
		*kept = m.id;
	return store_insert_version(db, &m);
}

/* The live inode's current name, from the path history. */
static int
open_live(sqlite3 *db, const struct tree_row *t, uint64_t dev, uint64_t ino)
{
	sqlite3_stmt *st;
	int fd = -1;
	if (sqlite3_prepare_v2(db, "SELECT path FROM names WHERE dev=? AND "
	    "ino=? AND until IS NULL ORDER BY since DESC", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)dev);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ino);
	int root = open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	while (fd < 0 && root >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 0);
		if (!path_is_under(p, t->path) || strcmp(p, t->path) == 0)
			continue;
		fd = openat2_beneath(root, p + strlen(t->path) + 1, O_RDONLY |
		    O_NONBLOCK, 0);
		struct stat s;
		if (fd >= 0 && (fstat(fd, &s) < 0 || s.st_ino != ino ||
		    (uint64_t)s.st_dev != dev || !S_ISREG(s.st_mode))) {
			close(fd);
			fd = -1;
		}
	}
	if (root >= 0)
		close(root);
	sqlite3_finalize(st);
	if (fd < 0)
		errno = ENOENT;
	return fd;
}

static int
open_source(sqlite3 *db, const struct tree_row *t, struct vault *v,
    uint64_t version, uint64_t dev, uint64_t ino)
{
	if (version)
		return vault_open_version(v, version);
	return open_live(db, t, dev, ino);
}

int
write_back(sqlite3 *db, struct vault *v, int tree_id, int srcfd,
    const struct src_meta *sm, int rootfd, const char *rel,
    const char *shown_path, const char *reason, uint64_t *kept)
{
	char name[NAME_MAX + 1];
	int pfd = open_parent(rootfd, rel, name, sizeof name);
	if (pfd < 0)
		return -1;
	int tmp = openat(pfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	int rc = -1;
	if (tmp < 0)
		goto out;
	if (vault_copy_content(srcfd, tmp, 1) < 0)
		goto out;
	vault_copy_xattrs(srcfd, tmp);
	struct stat sst;
	fstat(srcfd, &sst);
	uint32_t mode = sm->have ? sm->mode : sst.st_mode;
	uid_t uid = sm->have ? sm->uid : sst.st_uid;
	gid_t gid = sm->have ? sm->gid : sst.st_gid;
	if (fchown(tmp, uid, gid) < 0 || fchmod(tmp, mode & 07777) < 0)
		goto out;
	struct timespec ts[2];
	if (sm->have) {
		ts[0].tv_sec = sm->atime / 1000000000LL;
		ts[0].tv_nsec = sm->atime % 1000000000LL;
		ts[1].tv_sec = sm->mtime / 1000000000LL;
		ts[1].tv_nsec = sm->mtime % 1000000000LL;
	} else {
		ts[0] = sst.st_atim;
		ts[1] = sst.st_mtim;
	}
	if (futimens(tmp, ts) < 0)
		goto out;
	if (keep_replaced(db, v, tree_id, pfd, name, shown_path, reason,
	    kept) < 0) {
		fprintf(stderr, "vigil: %s: cannot keep the current file "
		    "before replacing it (%s); not restored\n", shown_path,
		    strerror(errno));
		goto out;
	}
	char tname[64];
	snprintf(tname, sizeof tname, ".vigil-restore.%d.%" PRId64, getpid(),
	    now_ns());
	if (linkat(tmp, "", pfd, tname, AT_EMPTY_PATH) < 0)
		goto out;
	if (renameat(pfd, tname, pfd, name) < 0) {
		unlinkat(pfd, tname, 0);
		goto out;
	}
	rc = 0;
out:
	if (tmp >= 0)
		close(tmp);
	close(pfd);
	return rc;
}

/* Paths that a tree restore covers: everything journaled below dir. */
static char **
paths_below(sqlite3 *db, const char *dir, size_t *n)
{
	sqlite3_stmt *st;
	*n = 0;
	size_t cap = 64;
	char **v = malloc(cap * sizeof *v);
	if (v == NULL || sqlite3_prepare_v2(db, "SELECT path FROM versions "
	    "WHERE substr(path,1,?2)=?1 AND evicted=0 UNION SELECT path FROM "
	    "names WHERE substr(path,1,?2)=?1 ORDER BY 1", -1, &st, NULL) !=
	    SQLITE_OK) {
		free(v);
		return NULL;
	}
	char prefix[PATH_MAX + 1];
	snprintf(prefix, sizeof prefix, "%s/", dir);
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)strlen(prefix));
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap *= 2;
			char **nv = realloc(v, cap * sizeof *v);
			if (nv == NULL)
				break;
			v = nv;
		}
		v[(*n)++] = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return v;
}

static int
same_as_current(const char *path, uint64_t dev, uint64_t ino)
{
	struct stat st;
	return lstat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static int
restore_one(sqlite3 *db, struct vault *v, const struct tree_row *t,
    const char *path, int64_t at, int destfd, const char *rel, int in_place,
    int json, FILE *out, int *first)
{
	int64_t when = at;
	if (when == RESTORE_NOW && latest_change(db, path, &when) < 0)
		return 1;
	uint64_t ver, dev, ino;
	if (restore_resolve(db, path, when, &ver, &dev, &ino) < 0)
		return 1;
	if (ver == 0 && in_place && same_as_current(path, dev, ino))
		return 1; /* unchanged since then: nothing to do */
	if (ver && version_incomplete(db, ver)) {
		fprintf(stderr, "vigil: %s: version %" PRIu64 " is incomplete "
		    "(vigild stopped while it was still being filled); not "
		    "restored\n", path, ver);
		return 3;
	}
	int src = open_source(db, t, v, ver, dev, ino);
	if (src < 0) {
		fprintf(stderr, "vigil: %s: the preserved content is gone "
		    "from the vault (%s)\n", path, strerror(errno));
		return 3;
	}
	struct src_meta sm = { 0 };
	if (ver)
		version_meta(db, ver, &sm);
	int rc = write_back(db, v, t->id, src, &sm, destfd, rel, path,
	    "restore-replaced", NULL);
	close(src);
	if (rc < 0) {
		fprintf(stderr, "vigil: %s: restore failed: %s\n", path,
		    strerror(errno));
		return 3;
	}
	if (json) {
		fprintf(out, "%s{\"path\":", *first ? "" : ",");
		json_str(out, path);
		fprintf(out, ",\"version\":%" PRIu64 ",\"source\":\"%s\"}", ver,
		    ver ? "version" : "live");
	} else {
		fprintf(out, "restored %s (%s %" PRIu64 ")\n", path,
		    ver ? "version" : "live inode", ver ? ver : ino);
	}
	*first = 0;
	return 0;
}

static int
open_dest(const struct restore_opts *o, const struct tree_row *t,
    int is_dir, char *rel_prefix, size_t rlen)
{
	if (o->to == NULL) {
		/* in place: relative to the tree root */
		const char *r = o->path + strlen(t->path);
		while (*r == '/')
			r++;
		snprintf(rel_prefix, rlen, "%s", r);
		return open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	}
	if (mkdir_p(o->to, 0755) < 0)
		return -1;
	const char *base = strrchr(o->path, '/') + 1;
	snprintf(rel_prefix, rlen, "%s", is_dir ? "" : base);
	return open(o->to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
restore_run(sqlite3 *db, const struct restore_opts *o, FILE *out)
{
	struct tree_row t;
	if (!path_is_clean_absolute(o->path)) {
		fprintf(stderr, "vigil: restore: \"%s\" is not a clean absolute "
		    "path\n", o->path);
		return 2;
	}
	if (find_tree(db, o->path, &t) < 0) {
		fprintf(stderr, "vigil: restore: %s is outside every protected "
		    "tree\n", o->path);
		return 2;
	}
	if (o->to && (!path_is_clean_absolute(o->to) ||
	    path_is_under(o->to, o->path))) {
		fprintf(stderr, "vigil: restore: --to must be a clean absolute "
		    "path outside the tree being restored\n");
		return 2;
	}
	struct vault v;
	char err[1024];
	if (vault_open(&v, t.vault, (dev_t)t.dev, err, sizeof err) < 0) {
		fprintf(stderr, "vigil: %s\n", err);
		return 1;
	}
	size_t n = 0;
	char **paths = paths_below(db, o->path, &n);
	int is_dir = n > 0;
	char rel[PATH_MAX];
	int destfd = open_dest(o, &t, is_dir, rel, sizeof rel);
	if (destfd < 0) {
		fprintf(stderr, "vigil: restore: destination: %s\n",
		    strerror(errno));
		vault_close(&v);
		return 1;
	}
	int first = 1, done = 0, failed = 0;
	if (o->json)
		fprintf(out, "[");
	if (!is_dir) {
		int r = restore_one(db, &v, &t, o->path, o->at, destfd, rel,
		    o->to == NULL, o->json, out, &first);
		done += r == 0;
		failed += r == 3;
	}
	for (size_t i = 0; i < n; i++) {
		char r2[PATH_MAX];
		const char *sub = paths[i] + strlen(o->path) + 1;
		snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", sub);
		int r = restore_one(db, &v, &t, paths[i], o->at, destfd, r2,
		    o->to == NULL, o->json, out, &first);
		done += r == 0;
		failed += r == 3;
		free(paths[i]);
	}
	free(paths);
	if (o->json)
		fprintf(out, "]\n");
	close(destfd);
	vault_close(&v);
	if (!o->json)
		fprintf(out, "%d file(s) restored, %d failed\n", done, failed);
	if (failed)
		return 1;
	return done ? 0 : 1;
}
