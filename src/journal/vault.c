/*
 * vault.c - versions on the protected filesystem.
 *
 * Every function here works relative to directory fds opened once at
 * start with O_NOFOLLOW, and names vault entries by numbers only, so no
 * path from a protected tree (which users control) is ever resolved here.
 */
#define _GNU_SOURCE
#include "vault.h"
#include "../common/log.h"
#include "../common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

int
vault_fs_root(const char *tree, char *out, size_t len)
{
	char cur[4096];
	struct stat st, pst;
	if (snprintf(cur, sizeof cur, "%s", tree) >= (int)sizeof cur)
		return -1;
	if (lstat(cur, &st) < 0)
		return -1;
	while (strcmp(cur, "/") != 0) {
		char parent[4096];
		snprintf(parent, sizeof parent, "%s", cur);
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			parent[1] = '\0';
		else
			*slash = '\0';
		if (lstat(parent, &pst) < 0 || pst.st_dev != st.st_dev)
			break;
		snprintf(cur, sizeof cur, "%s", parent);
	}
	if (snprintf(out, len, "%s", cur) >= (int)len)
		return -1;
	return 0;
}

static int
open_subdir(int parent, const char *name)
{
	if (mkdirat(parent, name, 0700) < 0 && errno != EEXIST)
		return -1;
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 0077)) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Can this filesystem reflink?  Two unnamed files decide it before the
 * first preserve, so the permission path knows which pre-image to take. */
static void
probe_reflink(struct vault *v)
{
	int a = openat(v->versions_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600);
	int b = openat(v->versions_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
	    0600);
	char block[4096] = { 1 };
	if (a >= 0 && b >= 0 && pwrite(a, block, sizeof block, 0) ==
	    (ssize_t)sizeof block)
		atomic_store(&v->reflink, ioctl(b, FICLONE, a) == 0);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

int
vault_open(struct vault *v, const char *path, dev_t dev, char *err,
    size_t errlen)
{
	memset(v, 0, sizeof *v);
	v->dirfd = v->versions_fd = v->log_fd = -1;
	pthread_mutex_init(&v->log_mu, NULL);
	atomic_store(&v->reflink, -1);
	snprintf(v->path, sizeof v->path, "%s", path);
	v->dev = dev;
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "vault %s: %s", path, strerror(errno));
		return -1;
	}
	v->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (v->dirfd < 0 || fstat(v->dirfd, &st) < 0) {
		snprintf(err, errlen, "vault %s: %s", path, strerror(errno));
		goto fail;
	}
	if (st.st_dev != dev) {
		snprintf(err, errlen, "vault %s is not on the protected tree's "
		    "filesystem (hard links and reflinks cannot cross "
		    "filesystems)", path);
		goto fail;
	}
	if (st.st_uid != 0 || (st.st_mode & 0077)) {
		snprintf(err, errlen, "vault %s must be owned by root with "
		    "mode 0700 (it holds copies of protected files)", path);
		goto fail;
	}
	v->versions_fd = open_subdir(v->dirfd, "versions");
	if (v->versions_fd < 0) {
		snprintf(err, errlen, "vault %s/versions: %s", path,
		    strerror(errno));
		goto fail;
	}
	probe_reflink(v);
	return 0;
fail:
	vault_close(v);
	return -1;
}

void
vault_close(struct vault *v)
{
	int *fds[] = { &v->dirfd, &v->versions_fd, &v->log_fd };
	for (size_t i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static int64_t
ts_ns(struct timespec t)
{
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

void
vault_meta_from_stat(struct version_meta *m, const struct stat *st)
{
	m->dev = st->st_dev;
	m->ino = st->st_ino;
	m->size = (uint64_t)st->st_size;
	m->mode = st->st_mode;
	m->uid = st->st_uid;
	m->gid = st->st_gid;
	m->atime_ns = ts_ns(st->st_atim);
	m->mtime_ns = ts_ns(st->st_mtim);
	m->ctime_ns = ts_ns(st->st_ctim);
}

void
vault_meta_init(struct version_meta *m, const struct stat *st, int tree_id,
    const char *path, const char *reason, const char *state,
    uint64_t actor_id)
{
	memset(m, 0, sizeof *m);
	m->tree_id = tree_id;
	vault_meta_from_stat(m, st);
	m->created_ns = now_ns();
	m->actor_id = actor_id;
	snprintf(m->reason, sizeof m->reason, "%s", reason);
	snprintf(m->state, sizeof m->state, "%s", state);
	snprintf(m->path, sizeof m->path, "%s", path);
}

int
vault_meta_format(const struct version_meta *m, char *buf, size_t len)
{
	int n = snprintf(buf, len,
	    "v1\nid=%" PRIu64 "\ntree=%d\ndev=%" PRIu64 "\nino=%" PRIu64
	    "\nsize=%" PRIu64 "\nmode=%u\nuid=%u\ngid=%u\natime=%" PRId64
	    "\nmtime=%" PRId64 "\nctime=%" PRId64 "\ncreated=%" PRId64
	    "\nactor=%" PRIu64 "\nreason=%s\nstate=%s\npath=%s",
	    m->id, m->tree_id, m->dev, m->ino, m->size, m->mode, m->uid,
	    m->gid, m->atime_ns, m->mtime_ns, m->ctime_ns, m->created_ns,
	    m->actor_id, m->reason, m->state, m->path);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

int
vault_meta_parse(const char *buf, size_t len, struct version_meta *m)
{
	memset(m, 0, sizeof *m);
	if (len < 3 || memcmp(buf, "v1\n", 3) != 0)
		return -1;
	size_t i = 3;
	int seen_path = 0;
	while (i < len) {
		const char *line = buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;
		/* path comes last and may itself hold newlines: take the rest */
		if (len - i > 5 && memcmp(line, "path=", 5) == 0)
			ll = len - i;
		const char *eq = memchr(line, '=', ll);
		if (eq == NULL)
			return -1;
		size_t kl = (size_t)(eq - line), vl = ll - kl - 1;
		char val[4096];
		if (vl >= sizeof val)
			return -1;
		memcpy(val, eq + 1, vl);
		val[vl] = '\0';
		if (memchr(val, '\0', vl))
			return -1;
#define KEY(k) (kl == sizeof(k) - 1 && memcmp(line, k, kl) == 0)
		char *end = NULL;
		errno = 0;
		if (KEY("path")) {
			memcpy(m->path, val, vl + 1);
			seen_path = 1;
		} else if (KEY("reason")) {
			snprintf(m->reason, sizeof m->reason, "%s", val);
		} else if (KEY("state")) {
			snprintf(m->state, sizeof m->state, "%s", val);
		} else {
			long long x = strtoll(val, &end, 10);
			if (errno || end == val || *end)
				return -1;
			if (KEY("id")) m->id = (uint64_t)x;
			else if (KEY("tree")) m->tree_id = (int)x;
			else if (KEY("dev")) m->dev = (uint64_t)x;
			else if (KEY("ino")) m->ino = (uint64_t)x;
			else if (KEY("size")) m->size = (uint64_t)x;
			else if (KEY("mode")) m->mode = (uint32_t)x;
			else if (KEY("uid")) m->uid = (uint32_t)x;
			else if (KEY("gid")) m->gid = (uint32_t)x;
			else if (KEY("atime")) m->atime_ns = x;
			else if (KEY("mtime")) m->mtime_ns = x;
			else if (KEY("ctime")) m->ctime_ns = x;
			else if (KEY("created")) m->created_ns = x;
			else if (KEY("actor")) m->actor_id = (uint64_t)x;
			/* unknown numeric keys are ignored: forward compat */
		}
#undef KEY
		i += ll + 1;
	}
	return (seen_path && m->id) ? 0 : -1;
}

static int
copy_range(int src, int dst, off_t off, off_t end)
{
	while (off < end) {
		loff_t in = off, out = off;
		ssize_t n = copy_file_range(src, &in, dst, &out,
		    (size_t)(end - off), 0);
		if (n < 0 && (errno == EXDEV || errno == EINVAL ||
		    errno == EOPNOTSUPP || errno == ENOSYS)) {
			char buf[1 << 16];
			size_t want = (size_t)(end - off) < sizeof buf ?
			    (size_t)(end - off) : sizeof buf;
			n = pread(src, buf, want, off);
			if (n > 0 && pwrite(dst, buf, (size_t)n, off) != n)
				return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break; /* file shrank under us */
		off += n;
	}
	return 0;
}

int
vault_copy_sparse(int src, int dst, off_t off, off_t end)
{
	while (off < end) {
		off_t data = lseek(src, off, SEEK_DATA);
		if (data < 0) {
			if (errno == ENXIO)
				break; /* only a hole remains */
			data = off; /* no SEEK_DATA support: copy all */
		}
		if (data >= end)
			break;
		off_t hole = lseek(src, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		if (copy_range(src, dst, data, hole) < 0)
			return -1;
		off = hole;
	}
	return 0;
}

int
vault_copy_content(int src, int dst, int try_reflink)
{
	if (try_reflink && ioctl(dst, FICLONE, src) == 0)
		return 1;
	struct stat st;
	if (fstat(src, &st) < 0)
		return -1;
	/* a file with as many blocks as bytes has no holes worth keeping:
	 * one copy, no seeking for data, and no truncate to set the size
	 * (which under sed -i cost as much as the copy) */
	if ((off_t)st.st_blocks * 512 >= st.st_size)
		return copy_range(src, dst, 0, st.st_size) < 0 ? -1 : 0;
	if (vault_copy_sparse(src, dst, 0, st.st_size) < 0 ||
	    ftruncate(dst, st.st_size) < 0)
		return -1;
	return 0;
}

void
vault_copy_xattrs(int src, int dst)
{
	char names[8192];
	ssize_t n = flistxattr(src, names, sizeof names);
	if (n <= 0)
		return;
	for (char *k = names; k < names + n; k += strlen(k) + 1) {
		if (strncmp(k, "trusted.vigil.", 14) == 0)
			continue;
		char val[65536];
		ssize_t vl = fgetxattr(src, k, val, sizeof val);
		if (vl >= 0 && fsetxattr(dst, k, val, (size_t)vl, 0) < 0)
			log_debug("xattr %s not kept", k);
	}
}

static void
fill_bytes(int fd, struct version_meta *m)
{
	struct stat st;
	if (fstat(fd, &st) == 0)
		m->bytes = (uint64_t)st.st_blocks * 512;
}

/* ---- the metadata log ----
 * A record is "R", the text's length in 14 hex digits, "\n", then the
 * text vault_meta_format writes.  Records are appended with one write;
 * one that fails half-way is cut off again, so the log is always whole
 * records (a crash can leave a torn last one, which the reader drops). */
#define LOG_HDR 16
#define LOG_NAME "pending"
#define LOG_OLD "pending.old"

static int
log_open_fd(struct vault *v, int trunc)
{
	return openat(v->dirfd, LOG_NAME, O_WRONLY | O_APPEND | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC | (trunc ? O_TRUNC : 0), 0600);
}

int
vault_log_open(struct vault *v)
{
	v->log_fd = log_open_fd(v, 0);
	struct stat st;
	if (v->log_fd < 0 || fstat(v->log_fd, &st) < 0)
		return -1;
	v->log_size = st.st_size;
	return 0;
}

/* v->log_mu held */
static int
log_append(struct vault *v, const struct version_meta *m)
{
	if (v->log_fd < 0)
		return 0;
	char buf[LOG_HDR + 8192];
	int n = vault_meta_format(m, buf + LOG_HDR, sizeof buf - LOG_HDR);
	if (n < 0)
		return -1;
	char hdr[LOG_HDR + 1];
	snprintf(hdr, sizeof hdr, "R%014x\n", (unsigned)n);
	memcpy(buf, hdr, LOG_HDR);
	size_t len = LOG_HDR + (size_t)n;
	ssize_t w = write(v->log_fd, buf, len);
	if (w == (ssize_t)len) {
		v->log_size += (off_t)len;
		return 0;
	}
	int e = w < 0 ? errno : ENOSPC;
	if (w > 0 && ftruncate(v->log_fd, v->log_size) < 0)
		log_warn("vault %s: cannot cut a torn log record", v->path);
	errno = e;
	return -1;
}

int
vault_journal(struct vault *v, int dst, const struct version_meta *m)
{
	char name[32];
	snprintf(name, sizeof name, "%" PRIu64, m->id);
	pthread_mutex_lock(&v->log_mu);
	int r = log_append(v, m);
	if (r == 0 && dst >= 0)
		r = linkat(dst, "", v->versions_fd, name, AT_EMPTY_PATH);
	if (r == 0)
		store_version(m);
	int e = errno;
	pthread_mutex_unlock(&v->log_mu);
	errno = e;
	return r;
}

void
vault_log_rotate(struct vault *v, off_t max)
{
	pthread_mutex_lock(&v->log_mu);
	if (v->log_fd < 0 || v->log_size <= max) {
		pthread_mutex_unlock(&v->log_mu);
		return;
	}
	int fd = -1;
	if (renameat(v->dirfd, LOG_NAME, v->dirfd, LOG_OLD) == 0)
		fd = log_open_fd(v, 1);
	if (fd < 0) {
		log_warn("vault %s: cannot rotate the metadata log", v->path);
		pthread_mutex_unlock(&v->log_mu);
		return;
	}
	close(v->log_fd);
	v->log_fd = fd;
	v->log_size = 0;
	pthread_mutex_unlock(&v->log_mu);
	/* every record in pending.old had its row queued under the lock:
	 * once those are committed the old log says nothing new */
	store_flush();
	unlinkat(v->dirfd, LOG_OLD, 0);
}

uint64_t
vault_log_bytes(struct vault *v)
{
	pthread_mutex_lock(&v->log_mu);
	uint64_t n = v->log_size > 0 ? (uint64_t)v->log_size : 0;
	pthread_mutex_unlock(&v->log_mu);
	struct stat st;
	if (fstatat(v->dirfd, LOG_OLD, &st, AT_SYMLINK_NOFOLLOW) == 0)
		n += (uint64_t)st.st_size;
	return n;
}

static void
replay_file(struct vault *v, const char *name,
    void (*fn)(const struct version_meta *m, void *arg), void *arg)
{
	int fd = openat(v->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	FILE *f = fdopen(fd, "r");
	if (f == NULL) {
		close(fd);
		return;
	}
	char hdr[LOG_HDR + 1], text[8192];
	while (fread(hdr, 1, LOG_HDR, f) == LOG_HDR) {
		hdr[LOG_HDR] = '\0';
		size_t n = 0;
		int ok = hdr[0] == 'R' && hdr[LOG_HDR - 1] == '\n';
		for (int i = 1; ok && i < LOG_HDR - 1; i++) {
			int c = hdr[i], d = c >= '0' && c <= '9' ? c - '0' :
			    c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			ok = d >= 0 && n <= sizeof text;
			n = n * 16 + (size_t)(d < 0 ? 0 : d);
		}
		if (!ok || n == 0 || n > sizeof text || fread(text, 1, n, f) != n)
			break;   /* a torn or foreign tail: nothing after it */
		struct version_meta m;
		char vn[32];
		if (vault_meta_parse(text, n, &m) < 0)
			continue;
		snprintf(vn, sizeof vn, "%" PRIu64, m.id);
		struct stat st;
		if (fstatat(v->versions_fd, vn, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;   /* evicted since, or never linked */
		m.bytes = (uint64_t)st.st_blocks * 512;
		fn(&m, arg);
	}
	fclose(f);
}

void
vault_log_replay(struct vault *v,
    void (*fn)(const struct version_meta *m, void *arg), void *arg)
{
	replay_file(v, LOG_OLD, fn, arg);
	replay_file(v, LOG_NAME, fn, arg);
	unlinkat(v->dirfd, LOG_OLD, 0);
	int fd = openat(v->dirfd, LOG_NAME, O_WRONLY | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (v->log_fd >= 0)
		v->log_size = 0;
}

int
vault_preserve(struct vault *v, int src_fd, struct version_meta *m)
{
	return vault_preserve_keep(v, src_fd, m, NULL);
}

int
vault_preserve_keep(struct vault *v, int src_fd, struct version_meta *m,
    int *keep)
{
	if (keep)
		*keep = -1;
	/* O_NOATIME: a kept version is read for analysis at once, and the
	 * first read after its write would dirty its inode (relatime): on
	 * sed -i that was a fifth of the inline analysis's reading */
	int dst = openat(v->versions_fd, ".", O_TMPFILE | O_RDWR | O_NOATIME |
	    O_CLOEXEC, 0600);
	if (dst < 0 && errno == EPERM)
		dst = openat(v->versions_fd, ".", O_TMPFILE | O_RDWR |
		    O_CLOEXEC, 0600);
	if (dst < 0)
		return -1;
	int r = vault_copy_content(src_fd, dst,
	    atomic_load(&v->reflink) != 0);
	if (r < 0)
		goto fail;
	int unknown = -1;
	atomic_compare_exchange_strong(&v->reflink, &unknown, r);
	struct stat after;
	if (fstat(src_fd, &after) == 0 &&
	    ((int64_t)after.st_ctim.tv_sec * 1000000000LL +
	    after.st_ctim.tv_nsec != m->ctime_ns ||
	    (uint64_t)after.st_size != m->size))
		snprintf(m->state, sizeof m->state, "torn");
	vault_copy_xattrs(src_fd, dst);
	fill_bytes(dst, m);
	if (vault_journal(v, dst, m) < 0)
		goto fail;
	if (keep)
		*keep = dst;    /* the version is linked: reading it is safe */
	else
		close(dst);
	return 0;
fail:;
	int e = errno;
	close(dst);
	errno = e;
	return -1;
}

int
vault_open_version(struct vault *v, uint64_t id)
{
	char name[32];
	snprintf(name, sizeof name, "%" PRIu64, id);
	/* no atime update: analysing a new version would otherwise dirty
	 * its inode (relatime updates the first read after a write) */
	int fd = openat(v->versions_fd, name, O_RDONLY | O_NOFOLLOW |
	    O_NOATIME | O_CLOEXEC);
	if (fd < 0 && errno == EPERM)   /* not the owner, no CAP_FOWNER */
		fd = openat(v->versions_fd, name, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
	return fd;
}

int
vault_remove_version(struct vault *v, uint64_t id)
{
	char name[32];
	snprintf(name, sizeof name, "%" PRIu64, id);
	return unlinkat(v->versions_fd, name, 0);
}
