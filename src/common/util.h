/*
 * util.h - small helpers shared by vigild and vigil: clocks, time and size
 * parsing, path checks, and read/write helpers on fds the caller opened.
 */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VIGIL_VERSION "0.1.0"
/* Bumped whenever the on-disk state (database schema, vault layout) changes
 * incompatibly; a state dir of another format is refused, never converted
 * silently. */
#define VIGIL_STATE_FORMAT 2

int64_t now_ns(void);          /* CLOCK_REALTIME in ns */
int64_t mono_ns(void);         /* CLOCK_MONOTONIC in ns */

/* A condition variable whose timed waits count in CLOCK_MONOTONIC (a
 * clock step must not stretch or cut a wait short). */
void cond_init_monotonic(pthread_cond_t *cv);
/* Wait on cv (mu held) until signalled, until until_ns (mono_ns) or for
 * step_ns, whichever comes first; at once if until_ns has passed.  The
 * caller loops, re-checking its condition and limits. */
void cond_wait_step(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns,
    int64_t step_ns);

/* The last PIDSET_N pids added, each with the time (now_ns) it was added;
 * the caller locks.  A pid is "in" for ttl_ns after it was added. */
#define PIDSET_N 64
struct pidset {
	struct { int pid; int64_t t; } e[PIDSET_N];
	unsigned n;
};
void pidset_add(struct pidset *s, int pid);
int pidset_has(const struct pidset *s, int pid, int64_t ttl_ns);

/* Parse "2026-11-24T10:00:00[Z]", "2026-11-24 10:00", "@<epoch>",
 * or a relative age "-90s", "-15m", "-2h", "-3d".  Local time unless Z. */
int parse_time(const char *s, int64_t *out_ns);
/* ISO-8601 UTC with milliseconds into buf (>= 32 bytes). */
char *format_time(int64_t ns, char *buf, size_t len);
/* "512", "64K", "10M", "2G", "1T" (binary units) */
int parse_size(const char *s, uint64_t *out);
int parse_uint(const char *s, unsigned long long max, unsigned long long *out);

/* 1 if path is absolute, has no "." / ".." / empty components. */
int path_is_clean_absolute(const char *path);
/* 1 if child equals root or lies below it (both clean absolute paths). */
int path_is_under(const char *child, const char *root);

/* write all of buf, retrying on EINTR / short writes */
int write_full(int fd, const void *buf, size_t len);
/* The first cap bytes of a regular file, with one pread (retried on
 * EINTR): the count, or -1.  A regular file's read comes back short
 * only at its end, or when a signal handler interrupts it, and vigild's
 * threads block the signals it takes (vigild.c) and install no
 * handlers: a count under cap is the whole file. */
ssize_t pread_head(int fd, void *buf, size_t cap);

/* mkdir -p with mode, refusing symlinks in the created components */
int mkdir_p(const char *path, unsigned mode);

/* SHA-256 of a buffer, lowercase hex (libcrypto): 0, or -1. */
int sha256_hex(const void *buf, size_t len, char hex[65]);

#endif
