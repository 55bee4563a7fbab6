/*
 * index.c - chained hash tables for inodes, paths and directory handles.
 * Sized for hundreds of thousands of entries; they grow by doubling.
 */
#define _GNU_SOURCE
#include "index.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct dent {
	void *key;
	size_t keylen;
	char *path;
	struct dent *next;
};

static struct {
	pthread_mutex_t mu;
	struct ient **by_ino, **by_path;
	size_t nb, count;
	struct dent **dirs;
	size_t ndb, dcount;
} X = { .mu = PTHREAD_MUTEX_INITIALIZER };

static uint64_t
fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t
ino_slot(uint64_t dev, uint64_t ino, size_t nb)
{
	uint64_t k[2] = { dev, ino };
	return fnv(k, sizeof k) & (nb - 1);
}

static size_t
path_slot(const char *p, size_t nb)
{
	return fnv(p, strlen(p)) & (nb - 1);
}

void
index_init(void)
{
	X.nb = 1 << 14;
	X.by_ino = calloc(X.nb, sizeof *X.by_ino);
	X.by_path = calloc(X.nb, sizeof *X.by_path);
	X.ndb = 1 << 12;
	X.dirs = calloc(X.ndb, sizeof *X.dirs);
	if (!X.by_ino || !X.by_path || !X.dirs)
		abort();
}

void index_lock(void) { pthread_mutex_lock(&X.mu); }
void index_unlock(void) { pthread_mutex_unlock(&X.mu); }
size_t index_count(void) { return X.count; }
size_t index_dir_count(void) { return X.dcount; }

struct ient *
index_by_ino(uint64_t dev, uint64_t ino)
{
	for (struct ient *e = X.by_ino[ino_slot(dev, ino, X.nb)]; e;
	    e = e->inext)
		if (e->dev == dev && e->ino == ino)
			return e;
	return NULL;
}

struct ient *
index_by_path(const char *path)
{
	for (struct ient *e = X.by_path[path_slot(path, X.nb)]; e;
	    e = e->pnext)
		if (e->path && strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

static void
unlink_path(struct ient *e)
{
	if (e->path == NULL)
		return;
	struct ient **pp = &X.by_path[path_slot(e->path, X.nb)];
	for (; *pp; pp = &(*pp)->pnext)
		if (*pp == e) {
			*pp = e->pnext;
			break;
		}
	free(e->path);
	e->path = NULL;
}

static void
link_path(struct ient *e, const char *path)
{
	/* a path names one inode: drop a stale holder */
	struct ient *old = index_by_path(path);
	if (old && old != e)
		unlink_path(old);
	e->path = strdup(path);
	if (e->path == NULL)
		return;
	size_t s = path_slot(path, X.nb);
	e->pnext = X.by_path[s];
	X.by_path[s] = e;
}

static void
grow(void)
{
	size_t nb = X.nb * 2;
	struct ient **bi = calloc(nb, sizeof *bi), **bp = calloc(nb, sizeof *bp);
	if (!bi || !bp) {
		free(bi);
		free(bp);
		return;
	}
	for (size_t i = 0; i < X.nb; i++) {
		struct ient *e = X.by_ino[i];
		while (e) {
			struct ient *nx = e->inext;
			size_t s = ino_slot(e->dev, e->ino, nb);
			e->inext = bi[s];
			bi[s] = e;
			if (e->path) {
				size_t ps = path_slot(e->path, nb);
				e->pnext = bp[ps];
				bp[ps] = e;
			}
			e = nx;
		}
	}
	free(X.by_ino);
	free(X.by_path);
	X.by_ino = bi;
	X.by_path = bp;
	X.nb = nb;
}

struct ient *
index_set(uint64_t dev, uint64_t ino, const char *path, int tree)
{
	struct ient *e = index_by_ino(dev, ino);
	if (e == NULL) {
		if (X.count >= X.nb)
			grow();
		e = calloc(1, sizeof *e);
		if (e == NULL)
			return NULL;
		e->dev = dev;
		e->ino = ino;
		e->pres_ctime = -1;
		e->held_fd = -1;
		size_t s = ino_slot(dev, ino, X.nb);
		e->inext = X.by_ino[s];
		X.by_ino[s] = e;
		X.count++;
	}
	e->tree = tree;
	if (path && (e->path == NULL || strcmp(e->path, path) != 0)) {
		unlink_path(e);
		link_path(e, path);
	}
	return e;
}

void
index_foreach(void (*fn)(struct ient *, void *), void *arg)
{
	for (size_t i = 0; i < X.nb; i++)
		for (struct ient *e = X.by_ino[i]; e; e = e->inext)
			fn(e, arg);
}

void
index_forget(struct ient *e)
{
	unlink_path(e);
	struct ient **pp = &X.by_ino[ino_slot(e->dev, e->ino, X.nb)];
	for (; *pp; pp = &(*pp)->inext)
		if (*pp == e) {
			*pp = e->inext;
			break;
		}
	X.count--;
	free(e);
}

static char *
reprefix(const char *path, const char *oldp, const char *newp)
{
	size_t ol = strlen(oldp);
	if (strncmp(path, oldp, ol) != 0 || (path[ol] != '/' && path[ol]))
		return NULL;
	size_t nl = strlen(newp), rl = strlen(path + ol);
	char *s = malloc(nl + rl + 1);
	if (s) {
		memcpy(s, newp, nl);
		memcpy(s + nl, path + ol, rl + 1);
	}
	return s;
}

void
index_rename_prefix(const char *oldp, const char *newp)
{
	/* collect first: relinking while walking buckets would revisit */
	size_t n = 0, cap = 64;
	struct ient **list = malloc(cap * sizeof *list);
	if (list == NULL)
		return;
	for (size_t i = 0; i < X.nb; i++)
		for (struct ient *e = X.by_ino[i]; e; e = e->inext) {
			if (e->path == NULL)
				continue;
			size_t ol = strlen(oldp);
			if (strncmp(e->path, oldp, ol) == 0 &&
			    (e->path[ol] == '/' || e->path[ol] == '\0')) {
				if (n == cap) {
					cap *= 2;
					struct ient **nl = realloc(list,
					    cap * sizeof *list);
					if (nl == NULL)
						break;
					list = nl;
				}
				list[n++] = e;
			}
		}
	for (size_t i = 0; i < n; i++) {
		char *np = reprefix(list[i]->path, oldp, newp);
		if (np) {
			unlink_path(list[i]);
			link_path(list[i], np);
			free(np);
		}
	}
	free(list);
	for (size_t i = 0; i < X.ndb; i++)
		for (struct dent *d = X.dirs[i]; d; d = d->next) {
			char *np = reprefix(d->path, oldp, newp);
			if (np) {
				free(d->path);
				d->path = np;
			}
		}
}

void
index_dir_set(const void *key, size_t keylen, const char *path)
{
	size_t s = fnv(key, keylen) & (X.ndb - 1);
	for (struct dent *d = X.dirs[s]; d; d = d->next)
		if (d->keylen == keylen && memcmp(d->key, key, keylen) == 0) {
			char *p = strdup(path);
			if (p) {
				free(d->path);
				d->path = p;
			}
			return;
		}
	struct dent *d = calloc(1, sizeof *d);
	if (d == NULL)
		return;
	d->key = malloc(keylen);
	d->path = strdup(path);
	if (!d->key || !d->path) {
		free(d->key);
		free(d->path);
		free(d);
		return;
	}
	memcpy(d->key, key, keylen);
	d->keylen = keylen;
	d->next = X.dirs[s];
	X.dirs[s] = d;
	X.dcount++;
}

int
index_dir_get(const void *key, size_t keylen, char *out, size_t len)
{
	size_t s = fnv(key, keylen) & (X.ndb - 1);
	for (struct dent *d = X.dirs[s]; d; d = d->next)
		if (d->keylen == keylen && memcmp(d->key, key, keylen) == 0) {
			size_t n = strlen(d->path);
			if (n >= len)
				return -1;
			memcpy(out, d->path, n + 1);
			return 0;
		}
	return -1;
}

void
index_dir_forget_path(const char *path)
{
	for (size_t i = 0; i < X.ndb; i++)
		for (struct dent **pp = &X.dirs[i]; *pp;) {
			struct dent *d = *pp;
			if (strcmp(d->path, path) == 0) {
				*pp = d->next;
				free(d->key);
				free(d->path);
				free(d);
				X.dcount--;
			} else {
				pp = &d->next;
			}
		}
}
