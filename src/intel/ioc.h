/*
 * ioc.h - indicators of compromise shared by other sites, read in.
 *
 * Owns: reading a STIX 2.1 bundle (from an ISAC, MISP, OpenCTI, CISA) and
 * taking from it the SHA-256 file hashes its indicators name, for the
 * execution blocking of the early-warning stage; and keeping them in the
 * journal (table iocs).
 * Does not own: deciding what to do with a hash (judge/, capture/).
 * Must never: trust the file: it is size-limited, parsed by jansson with
 * duplicate keys refused, every field's type is checked, and a bad file
 * changes nothing (all or nothing, one transaction).
 */
#ifndef VIGIL_IOC_H
#define VIGIL_IOC_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define IOC_FILE_MAX (64u << 20)
#define IOC_MAX 1000000

struct ioc {
	char sha256[65];
	char indicator[96];          /* the STIX indicator id */
	char name[128];
};

struct ioc_set {
	struct ioc *v;
	size_t n, cap;
	size_t indicators, skipped;  /* indicators seen; without a usable hash */
};

/* The SHA-256 hashes in one STIX pattern (lowercase hex): count. */
int ioc_pattern_hashes(const char *pattern, char (*out)[65], int max);
/* Parse a bundle into set: 0, or -1 with err filled (nothing kept). */
int ioc_parse_bundle(const char *text, size_t len, struct ioc_set *set,
    int64_t now_ns, char *err, size_t errlen);
void ioc_set_free(struct ioc_set *set);
/* Store a parsed set (one transaction): 0, or -1 with err filled. */
int ioc_store(sqlite3 *db, const struct ioc_set *set, const char *source,
    char *err, size_t errlen);

#endif
