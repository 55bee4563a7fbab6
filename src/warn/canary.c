/*
 * canary.c - decoy files that warn before encryption starts (canary.h).
 *
 * DESIGN
 * Before it encrypts, ransomware walks the share; before it exfiltrates,
 * it reads it.  A decoy that no person and no program of the hospital has
 * a reason to open is the earliest, cheapest and least ambiguous signal
 * there is.  To be opened early, a decoy must look like what an attacker
 * wants and sort early: "00_Admissions_Summary_2022.pdf" in the folder's
 * own listing.  Each folder gets one (the tree roots and, by default, the
 * folders just below them), with a name and a format (PDF, CSV, RTF)
 * chosen from the folder's path and a per-installation seed, so decoys
 * differ between folders and between hospitals but stay the same across
 * restarts; content is valid for its format and entirely made up (fake
 * names and record numbers); dates are set in the past, ownership is the
 * folder's.  Each carries the xattr trusted.vigil.canary (root-only) and
 * is listed in STATE_DIR/canaries, which is how administrators, restore
 * and reports recognise them.
 * A decoy that disappears (deleted, renamed away) is put back at the
 * next plant (every retention_interval), so they stay fresh.
 * Must not: overwrite anything, follow symlinks, or lock for long on the
 * lookup, which the permission path calls.
 */
#define _GNU_SOURCE
#include "canary.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* ---- content ---- */

static uint64_t
mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
hash_str(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static const char *const first[] = { "Amira", "John", "Siobhan", "Kwame",
	"Maria", "Peter", "Aoife", "Liam", "Grace", "Tomasz", "Fatima",
	"David", "Niamh", "Oluwaseun", "Anna", "Michael" };
static const char *const last[] = { "Byrne", "Okafor", "Murphy", "Nowak",
	"Kelly", "Walsh", "Hassan", "Smith", "Doyle", "Brennan", "Lynch",
	"Adeyemi", "Keane", "Quinn", "Farrell", "Moran" };
static const char *const wards[] = { "St Brigid's", "Cardiology", "ICU",
	"Maternity", "Oncology", "A&E", "Renal", "Orthopaedics" };

struct buf {
	char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n :
		    0, fmt, ap);
		va_end(ap);
		if (k < 0)
			return;
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
		char *np = realloc(b->p, cap);
		if (np == NULL)
			return;
		b->p = np;
		b->cap = cap;
	}
}

static void
person(uint64_t *s, char *out, size_t len)
{
	snprintf(out, len, "%s %s", first[mix(s) % 16], last[mix(s) % 16]);
}

static void
make_csv(struct buf *b, uint64_t *s)
{
	put(b, "MRN,Name,DOB,Ward,Admitted,Consultant,Insurance No\r\n");
	int rows = 150 + (int)(mix(s) % 250);
	for (int i = 0; i < rows; i++) {
		char p[64], c[64];
		person(s, p, sizeof p);
		person(s, c, sizeof c);
		put(b, "H%07" PRIu64 ",%s,19%02d-%02d-%02d,%s,2023-%02d-%02d,"
		    "Dr %s,IE%09" PRIu64 "\r\n", mix(s) % 10000000, p,
		    (int)(30 + mix(s) % 70), (int)(1 + mix(s) % 12),
		    (int)(1 + mix(s) % 28), wards[mix(s) % 8],
		    (int)(1 + mix(s) % 12), (int)(1 + mix(s) % 28), c,
		    mix(s) % 1000000000);
	}
}

static void
make_rtf(struct buf *b, uint64_t *s)
{
	put(b, "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Calibri;}}\\f0\\fs22\r\n"
	    "{\\b Discharge letters - index}\\par\\par\r\n");
	int rows = 60 + (int)(mix(s) % 120);
	for (int i = 0; i < rows; i++) {
		char p[64];
		person(s, p, sizeof p);
		put(b, "H%07" PRIu64 "\\tab %s\\tab %s\\tab discharged "
		    "2023-%02d-%02d, letter sent to GP\\par\r\n",
		    mix(s) % 10000000, p, wards[mix(s) % 8],
		    (int)(1 + mix(s) % 12), (int)(1 + mix(s) % 28));
	}
	put(b, "}\r\n");
}

/* A one-page PDF with a table of made-up admissions; byte offsets in the
 * cross-reference table are computed as it is written. */
static void
make_pdf(struct buf *b, uint64_t *s)
{
	struct buf text = { 0 };
	put(&text, "BT /F1 14 Tf 56 800 Td (Admissions summary - "
	    "confidential) Tj ET\n");
	int rows = 40 + (int)(mix(s) % 20);
	for (int i = 0; i < rows; i++) {
		char p[64];
		person(s, p, sizeof p);
		put(&text, "BT /F1 9 Tf 56 %d Td (H%07" PRIu64 "  %s  %s  "
		    "2023-%02d-%02d) Tj ET\n", 780 - 13 * (i + 1),
		    mix(s) % 10000000, p, wards[mix(s) % 8],
		    (int)(1 + mix(s) % 12), (int)(1 + mix(s) % 28));
	}
	size_t off[6];
	put(b, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
	off[1] = b->n;
	put(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[2] = b->n;
	put(b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[3] = b->n;
	put(b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
	    "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\n"
	    "endobj\n");
	off[4] = b->n;
	put(b, "4 0 obj\n<< /Length %zu >>\nstream\n", text.n);
	put(b, "%.*s", (int)text.n, text.p ? text.p : "");
	put(b, "endstream\nendobj\n");
	off[5] = b->n;
	put(b, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
	    ">>\nendobj\n");
	size_t xref = b->n;
	put(b, "xref\n0 6\n0000000000 65535 f \n");
	for (int i = 1; i <= 5; i++)
		put(b, "%010zu 00000 n \n", off[i]);
	put(b, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    xref);
	free(text.p);
}

static const struct {
	const char *fmt;      /* %d: a year or a quarter */
	int kind;             /* 0 pdf, 1 csv, 2 rtf */
} names[] = {
	{ "00_Admissions_Summary_%d.pdf", 0 },
	{ "!Insurance_Claims_%d.pdf", 0 },
	{ "0_Consent_Forms_Scanned_%d.pdf", 0 },
	{ "00_Patient_Export_%d.csv", 1 },
	{ "0_Billing_Export_%d.csv", 1 },
	{ "!Lab_Results_Archive_%d.csv", 1 },
	{ "00_Discharge_Letters_%d.rtf", 2 },
	{ "_Staff_Contacts_%d.rtf", 2 },
};
#define NNAMES (sizeof names / sizeof names[0])

int
canary_make(uint64_t seed, const char *dir, int attempt, int64_t now_s,
    struct canary_spec *out)
{
	memset(out, 0, sizeof *out);
	uint64_t s = hash_str(dir, seed ^ 0xcbf29ce484222325ULL) +
	    (uint64_t)attempt * 7919;
	unsigned k = (unsigned)(mix(&s) % NNAMES);
	snprintf(out->name, sizeof out->name, names[k].fmt,
	    2019 + (int)(mix(&s) % 5));
	struct buf b = { 0 };
	if (names[k].kind == 0)
		make_pdf(&b, &s);
	else if (names[k].kind == 1)
		make_csv(&b, &s);
	else
		make_rtf(&b, &s);
	if (b.p == NULL)
		return -1;
	out->data = b.p;
	out->len = b.n;
	/* last changed between one month and two and a half years ago */
	out->mtime = now_s - 86400 * (30 + (int64_t)(mix(&s) % 880)) -
	    (int64_t)(mix(&s) % 86400);
	return 0;
}

void
canary_spec_free(struct canary_spec *s)
{
	free(s->data);
	s->data = NULL;
}

/* ---- the registry ---- */

struct entry {
	uint64_t dev, ino;
	char *path;
};

static struct {
	pthread_rwlock_t lk;
	struct entry *v;     /* sorted by (dev, ino) */
	size_t n;
} R = { .lk = PTHREAD_RWLOCK_INITIALIZER };

static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int
canary_is(uint64_t dev, uint64_t ino)
{
	struct entry key = { dev, ino, NULL };
	/* tryrdlock: the permission path never waits for a re-plant */
	if (pthread_rwlock_tryrdlock(&R.lk) != 0)
		return 0;
	int hit = R.n && bsearch(&key, R.v, R.n, sizeof key, cmp_entry) != NULL;
	pthread_rwlock_unlock(&R.lk);
	return hit;
}

int
canary_is_path(const char *path)
{
	if (pthread_rwlock_tryrdlock(&R.lk) != 0)
		return 0;
	int hit = 0;
	for (size_t i = 0; i < R.n && !hit; i++)
		hit = strcmp(R.v[i].path, path) == 0;
	pthread_rwlock_unlock(&R.lk);
	return hit;
}

static void
publish(struct entry *v, size_t n, const char *state_dir)
{
	qsort(v, n, sizeof *v, cmp_entry);
	pthread_rwlock_wrlock(&R.lk);
	struct entry *old = R.v;
	size_t on = R.n;
	R.v = v;
	R.n = n;
	pthread_rwlock_unlock(&R.lk);
	for (size_t i = 0; i < on; i++)
		free(old[i].path);
	free(old);
	char p[PATH_MAX], tmp[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", state_dir, CANARY_FILE);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return;
	fprintf(f, "# vigil decoy files (canaries): dev, inode, path.  Any "
	    "open of one raises an alert.\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%s\n", v[i].dev, v[i].ino,
		    v[i].path);
	if (fclose(f) == 0)
		rename(tmp, p);
}

int
canary_path_listed(const char *state_dir, const char *path)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/%s", state_dir, CANARY_FILE);
	FILE *f = fopen(p, "re");
	if (f == NULL)
		return 0;
	char line[PATH_MAX + 64];
	int hit = 0;
	while (!hit && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		hit = t2 && strcmp(t2 + 1, path) == 0;
	}
	fclose(f);
	return hit;
}

/* ---- planting ---- */

/* The decoy of one folder: the existing one if it is still there, else a
 * new one.  Returns 0 with *e filled, or -1. */
static int
plant_one(int dirfd, const char *dirpath, uint64_t seed, struct entry *e)
{
	struct stat ds;
	if (fstat(dirfd, &ds) < 0)
		return -1;
	int64_t now = (int64_t)time(NULL);
	for (int attempt = 0; attempt < 4; attempt++) {
		struct canary_spec c;
		if (canary_make(seed, dirpath, attempt, now, &c) < 0)
			return -1;
		struct stat st;
		char mark[8];
		if (fstatat(dirfd, c.name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			/* ours already (the xattr says so), or a user's file:
			 * then another name */
			int fd = S_ISREG(st.st_mode) ? openat(dirfd, c.name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME) : -1;
			int ours = fd >= 0 && fgetxattr(fd, CANARY_XATTR, mark,
			    sizeof mark) > 0;
			if (fd >= 0)
				close(fd);
			if (ours) {
				e->dev = st.st_dev;
				e->ino = st.st_ino;
				if (asprintf(&e->path, "%s/%s", dirpath, c.name) < 0)
					e->path = NULL;
				canary_spec_free(&c);
				return e->path ? 0 : -1;
			}
			canary_spec_free(&c);
			continue;
		}
		int fd = openat(dirfd, c.name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0664);
		if (fd < 0) {
			canary_spec_free(&c);
			continue;
		}
		int ok = write(fd, c.data, c.len) == (ssize_t)c.len &&
		    fsetxattr(fd, CANARY_XATTR, "1", 1, 0) == 0;
		if (fchown(fd, ds.st_uid, ds.st_gid) < 0) {
			/* the folder's owner is cosmetic: root's is fine */
		}
		struct timespec ts[2] = { { c.mtime, 0 }, { c.mtime, 0 } };
		futimens(fd, ts);
		fsync(fd);
		fstat(fd, &st);
		close(fd);
		canary_spec_free(&c);
		if (!ok) {
			unlinkat(dirfd, c.name, 0);
			return -1;
		}
		e->dev = st.st_dev;
		e->ino = st.st_ino;
		if (asprintf(&e->path, "%s/%s", dirpath, c.name) < 0)
			return -1;
		return 0;
	}
	return -1;
}

static void
add(struct entry **v, size_t *n, size_t *cap, const struct entry *e)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct entry *nv = realloc(*v, nc * sizeof *nv);
		if (nv == NULL) {
			free(e->path);
			return;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *e;
}

int
canary_plant(const char *state_dir, int ntrees, const int *rootfds,
    const char *const *paths, int depth, uint64_t seed,
    int (*skip)(const char *path))
{
	struct entry *v = NULL, e;
	size_t n = 0, cap = 0;
	for (int t = 0; t < ntrees; t++) {
		if (plant_one(rootfds[t], paths[t], seed, &e) == 0)
			add(&v, &n, &cap, &e);
		if (depth < 1)
			continue;
		int dfd = openat(rootfds[t], ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (d == NULL) {
			if (dfd >= 0)
				close(dfd);
			continue;
		}
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' || strchr(de->d_name, '\n') ||
			    strchr(de->d_name, '\t'))
				continue;
			char sub[PATH_MAX];
			if (snprintf(sub, sizeof sub, "%s/%s", paths[t],
			    de->d_name) >= (int)sizeof sub || (skip && skip(sub)))
				continue;
			int cfd = openat(rootfds[t], de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				continue;
			if (plant_one(cfd, sub, seed, &e) == 0)
				add(&v, &n, &cap, &e);
			close(cfd);
		}
		closedir(d);
	}
	publish(v, n, state_dir);
	return (int)n;
}
