/*
 * exec.h - refusing to run executables other sites have named.
 *
 * Owns: the set of SHA-256 hashes imported with `vigil ioc import` (as
 * vigild holds it), and the verdict on one executable about to run from a
 * protected tree (FAN_OPEN_EXEC_PERM): its hash, cached by (device,
 * inode, change time, size) so that running the same program again costs
 * one lookup.
 * Does not own: the decision to contain (judge/), the import (intel/ioc.c).
 * Must never: hash on the permission reader thread (workers do), or keep
 * a cached verdict for a file that changed (ctime and size are part of
 * the key).
 */
#ifndef VIGIL_EXEC_H
#define VIGIL_EXEC_H

#include <sqlite3.h>
#include <stdint.h>
#include <sys/stat.h>

/* Load (or reload) the hashes from the journal's iocs table: count. */
int exec_iocs_load(sqlite3 *db);
/* How many hashes are loaded (0: no exec checks at all). */
unsigned exec_iocs_count(void);
/* Is this hex SHA-256 in the set? */
int exec_ioc_known(const char *hex);
/* The cached verdict for st: 1 bad, 0 good, -1 unknown (hash it). */
int exec_cached(const struct stat *st);
/* Hash fd (up to EXEC_HASH_MAX bytes) and judge it, caching the verdict:
 * 1 bad, 0 good, -1 could not tell (too large, read error).  hex gets the
 * hash when it was computed. */
int exec_check(int fd, const struct stat *st, char hex[65]);

#define EXEC_HASH_MAX (512u << 20)

#endif
