/*
 * exec.c - refusing to run executables other sites have named (exec.h).
 *
 * DESIGN
 * The hashes are a sorted array of 32-byte digests (10,000 hashes are
 * 320 KB; a lookup is a binary search), swapped in whole on reload under
 * a read-write lock that lookups only ever try (a reload in progress
 * answers "unknown", and the worker hashes again).  Verdicts are cached
 * in a fixed table of 4096 slots keyed by (dev, ino) and checked against
 * ctime, mtime and size: a program that is rewritten in place gets a new
 * ctime and is hashed again.  Hashing reads the file through the event's
 * own fd with pread, so nothing can swap the file between hash and exec.
 */
#define _GNU_SOURCE
#include "exec.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE 4096

static struct {
	pthread_rwlock_t lk;
	unsigned char (*h)[32];
	unsigned n;
} S = { .lk = PTHREAD_RWLOCK_INITIALIZER };

static struct {
	pthread_mutex_t mu;
	struct { uint64_t dev, ino, size; int64_t ctime, mtime; int bad, used; }
	    e[CACHE];
} C = { .mu = PTHREAD_MUTEX_INITIALIZER };

static int
unhex(const char *hex, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int
cmp32(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

int
exec_iocs_load(sqlite3 *db)
{
	sqlite3_stmt *st;
	unsigned cap = 1024, n = 0;
	unsigned char (*h)[32] = malloc(cap * 32);
	if (h && sqlite3_prepare_v2(db, "SELECT sha256 FROM iocs", -1, &st,
	    NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *x = (const char *)sqlite3_column_text(st, 0);
			if (x == NULL || strlen(x) != 64)
				continue;
			if (n == cap) {
				void *nh = realloc(h, (size_t)cap * 2 * 32);
				if (nh == NULL)
					break;
				h = nh;
				cap *= 2;
			}
			if (unhex(x, h[n]) == 0)
				n++;
		}
		sqlite3_finalize(st);
	}
	if (h)
		qsort(h, n, 32, cmp32);
	pthread_rwlock_wrlock(&S.lk);
	free(S.h);
	S.h = h;
	S.n = h ? n : 0;
	pthread_rwlock_unlock(&S.lk);
	pthread_mutex_lock(&C.mu);          /* old verdicts may be wrong now */
	memset(C.e, 0, sizeof C.e);
	pthread_mutex_unlock(&C.mu);
	return (int)S.n;
}

unsigned
exec_iocs_count(void)
{
	return __atomic_load_n(&S.n, __ATOMIC_RELAXED);
}

static int
known_bin(const unsigned char d[32])
{
	if (pthread_rwlock_tryrdlock(&S.lk) != 0)
		return -1;
	int hit = S.n && bsearch(d, S.h, S.n, 32, cmp32) != NULL;
	pthread_rwlock_unlock(&S.lk);
	return hit;
}

int
exec_ioc_known(const char *hex)
{
	unsigned char d[32];
	return strlen(hex) == 64 && unhex(hex, d) == 0 && known_bin(d) == 1;
}

static unsigned
slot(const struct stat *st)
{
	return (unsigned)((st->st_ino * 0x9E3779B97F4A7C15ULL) ^ st->st_dev) %
	    CACHE;
}

int
exec_cached(const struct stat *st)
{
	unsigned k = slot(st);
	int v = -1;
	pthread_mutex_lock(&C.mu);
	if (C.e[k].used && C.e[k].dev == (uint64_t)st->st_dev &&
	    C.e[k].ino == (uint64_t)st->st_ino && C.e[k].size ==
	    (uint64_t)st->st_size && C.e[k].ctime == st->st_ctim.tv_sec *
	    1000000000LL + st->st_ctim.tv_nsec && C.e[k].mtime ==
	    st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec)
		v = C.e[k].bad;
	pthread_mutex_unlock(&C.mu);
	return v;
}

static void
remember(const struct stat *st, int bad)
{
	unsigned k = slot(st);
	pthread_mutex_lock(&C.mu);
	C.e[k].dev = st->st_dev;
	C.e[k].ino = st->st_ino;
	C.e[k].size = st->st_size;
	C.e[k].ctime = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
	C.e[k].mtime = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	C.e[k].bad = bad;
	C.e[k].used = 1;
	pthread_mutex_unlock(&C.mu);
}

int
exec_check(int fd, const struct stat *st, char hex[65])
{
	hex[0] = '\0';
	if ((uint64_t)st->st_size > EXEC_HASH_MAX)
		return -1;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return -1;
	}
	static _Thread_local unsigned char buf[1 << 16];
	off_t off = 0;
	ssize_t n;
	while ((n = pread(fd, buf, sizeof buf, off)) > 0) {
		EVP_DigestUpdate(c, buf, (size_t)n);
		off += n;
	}
	unsigned char d[32];
	unsigned int dl = 0;
	int ok = n == 0 && EVP_DigestFinal_ex(c, d, &dl) == 1 && dl == 32;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	int bad = known_bin(d);
	if (bad < 0)
		return -1;
	remember(st, bad);
	return bad;
}
