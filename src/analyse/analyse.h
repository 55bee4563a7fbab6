/*
 * analyse.h - what did a write do to a file's content?
 *
 * Owns: the content analysers of the detection pipeline (capture -> actor
 * -> journal -> ANALYSE -> judge -> contain -> recover -> report):
 *   entropy.c  per-block byte statistics (Shannon entropy, chi-square
 *              against the uniform distribution), the hot loop;
 *   format.c   format identification and structural validity from a
 *              file's head and tail bytes (PDF, OOXML/ZIP, JPEG, PNG,
 *              TIFF, DICOM, SQLite, gzip, HL7, CSV, text, ...);
 *   compare.c  before/after comparison of one file (its journal version
 *              against its current content) and of a deleted file against
 *              the new file that replaced it, giving a verdict with reasons.
 * Does not own: deciding whether an actor is an attacker (judge/), reading
 * the journal database, or anything about processes.  Every byte given to
 * these functions is untrusted: they never read past the lengths given,
 * never allocate unboundedly, and are fuzzed (tests/fuzz/fuzz_analyse.c).
 */
#ifndef VIGIL_ANALYSE_H
#define VIGIL_ANALYSE_H

#include <stddef.h>
#include <stdint.h>

#define ANALYSE_BLOCK 4096

/* ---- entropy.c ---- */
struct block_stats {
	double entropy;      /* Shannon entropy, bits per byte, 0..8 */
	double chi2;         /* chi-square vs uniform, 255 degrees of freedom */
};
void stats_block(const uint8_t *buf, size_t len, struct block_stats *out);
/* Byte histogram of buf added into h[256] (the fast core). */
void stats_histogram(const uint8_t *buf, size_t len, uint32_t h[256]);
/* A block looks like ciphertext / random data: high entropy and a
 * chi-square consistent with uniform bytes. */
int stats_is_random(const struct block_stats *s, size_t len);

/* ---- format.c ---- */
enum fmt {
	FMT_UNKNOWN = 0, FMT_EMPTY, FMT_TEXT, FMT_CSV, FMT_HL7, FMT_BASE64,
	FMT_PDF, FMT_ZIP, FMT_OOXML, FMT_JPEG, FMT_PNG, FMT_TIFF, FMT_DICOM,
	FMT_SQLITE, FMT_GZIP, FMT_ZSTD, FMT_XZ, FMT_BZIP2, FMT_7Z, FMT_GPG,
	FMT_OPENSSL_ENC, FMT_TAR, FMT_ELF, FMT_EXT_FS, FMT_GIT_PACK,
	FMT_POSTGRES_PAGE, FMT__COUNT
};

struct fmt_result {
	enum fmt fmt;
	int valid;        /* the structural checks for fmt passed */
};

/* Identify from the first headlen bytes and the last taillen bytes of a
 * file of `size` bytes (head and tail may overlap for small files; tail
 * may be NULL when taillen is 0). */
void format_identify(const uint8_t *head, size_t headlen,
    const uint8_t *tail, size_t taillen, uint64_t size,
    struct fmt_result *out);
const char *format_name(enum fmt f);
/* Output of a real compressor or encryption tool (gzip, zstd, xz, bzip2,
 * 7z, zip, gpg, openssl enc): expected to look random, not an attack in
 * itself. */
int format_is_packed(enum fmt f);
/* Text-like (text, CSV, HL7, base64). */
int format_is_text(enum fmt f);

/* ---- compare.c ---- */
enum verdict { V_CLEAN = 0, V_SUSPECT, V_DESTROYED };

/* reason bits */
#define R_FORMAT_LOST   0x01  /* was a valid known format, no longer is */
#define R_TO_RANDOM     0x02  /* changed blocks went from structured to random */
#define R_TEXT_LOST     0x04  /* was text, now binary */
#define R_BASE64        0x08  /* content replaced by a base64 blob */
#define R_BITFLIP       0x10  /* changed bytes are the complement of before */
#define R_REPLACED      0x20  /* deleted and replaced by an unknown, random file */
#define R_TRUNCATED     0x40  /* content cut to (almost) nothing */

struct analysis {
	struct fmt_result before, after;
	uint64_t size_before, size_after;
	unsigned blocks_compared, blocks_changed, blocks_to_random;
	double entropy_before, entropy_after; /* mean over changed blocks */
	enum verdict verdict;
	unsigned reasons;     /* R_* bits */
	char why[160];        /* one human sentence: "pdf -> unknown, 12 of
	                         12 changed blocks now random" */
};

/* Compare a file's before-version with its current content.  Both fds
 * are read with pread only (never written, offsets untouched).  Reads at
 * most budget bytes from each (the head, the tail and blocks sampled
 * evenly in between; 0 means a default of 8 MiB).  Returns 0, or -1 if
 * neither file could be read. */
int analyse_pair(int before_fd, int after_fd, uint64_t budget,
    struct analysis *out);
/* The same, calling fill(ctx, off, len) before each read of the
 * before-version: a range pre-image still filling (daemon/range.c) gets
 * just the parts the comparison reads. */
typedef void analyse_fill_fn(void *ctx, uint64_t off, uint64_t len);
int analyse_pair_fill(int before_fd, analyse_fill_fn *fill, void *ctx,
    int after_fd, uint64_t budget, struct analysis *out);
/* A file was deleted and `new_fd` appeared beside it (e.g. x.pdf ->
 * x.pdf.gz or x.pdf.WNCRY): was the content destroyed (R_REPLACED), or
 * transformed by a real tool (gzip, zstd, 7z, gpg ...)? */
int analyse_replacement(int old_fd, int new_fd, uint64_t budget,
    struct analysis *out);
/* The same for two files the caller has read whole into memory (the
 * notification thread's inline analysis of small rename-overs). */
void analyse_replacement_buffers(const uint8_t *old, size_t olen,
    const uint8_t *new, size_t nlen, struct analysis *out);
/* The same comparison on memory buffers (used by the fd versions, the
 * unit tests and the fuzzer). */
void analyse_buffers(const uint8_t *before, size_t blen,
    const uint8_t *after, size_t alen, struct analysis *out);

#endif
