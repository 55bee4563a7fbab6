/*
 * compare.c - what did a write do to a file's content?
 *
 * Owns: the before/after comparison of one file (its journal version
 * against its current content, analyse_pair/analyse_buffers) and of a
 * deleted file against the file that replaced it (analyse_replacement),
 * the sampling of the bytes read, and the verdict with its reasons and
 * one-sentence explanation.  Must not touch: the fds' offsets or content
 * (pread only), the journal, actors or scores (the judge weighs the
 * verdicts), format details (format.c), the statistics (entropy.c).
 *
 * DESIGN
 *
 * Reading.  Per file at most `budget` bytes (default 8 MiB): the first
 * and last 64 KiB for format identification, then the common range
 * [0, min(size before, size after)) compared block by block (4 KiB):
 * all of it if it fits, else its first and last MiB and 64 KiB segments
 * spread evenly in between.  Every ransomware pattern we know touches
 * offset 0 (head, spots, stripes, chunks all start there), so the head is
 * always read; the spread segments see stripes and spots elsewhere.
 *
 * Per changed block, the bytes are compared in 8-byte granules; only the
 * granules that differ ("dirty") are judged, so that partial patterns --
 * LockFile's 16 of every 32 bytes, Black Basta's 64 of every 192 -- are
 * seen as what they are: ciphertext replacing plaintext, not a block of
 * mixed entropy.  Whole granules (not single differing bytes) avoid the
 * bias of dropping the bytes that ciphertext happened to leave equal.
 * For each file we note:
 *   random after   the dirty bytes now look like ciphertext: chi-square
 *                  within 6 sigma of uniform (stats_is_random), or under
 *                  128 bytes mostly distinct values, half of them >= 0x80;
 *   structured     the dirty bytes before were neither random-looking
 *                  (entropy >= 7.5 bits for 4 KiB, less for fewer bytes)
 *                  nor one repeated byte (preallocated or sparse zeros);
 *   to random      both, per block (blocks_to_random) or over all dirty
 *                  bytes together (patterns too sparse per block);
 *   head to random block 0 went from structured to random: the header of
 *                  the file was overwritten with ciphertext;
 *   XOR key        the most common before^after over differing bytes: one
 *                  key with >= 3 bits set for >= 90 % of them, over
 *                  before bytes of >= 16 distinct values, is a bit flip /
 *                  single-byte XOR (a case change is key 0x20; zeroed
 *                  bytes set to one value are a fill, not a flip);
 *   fill           the dirty bytes are now one repeated byte (a wiper);
 *   formats        of both sides (format.c), with validity.
 *
 * Verdict, first rule that applies:
 *   1. before empty, or no sampled block changed             -> CLEAN
 *   2. after empty (or <= 64 bytes of non-text from >= 4 KiB): R_TRUNCATED.
 *      DESTROYED if the before was a valid document, image, archive or
 *      database, or text other than a log (a wiper empties them; nothing
 *      benign leaves them so); SUSPECT for logs (logrotate copytruncate),
 *      PostgreSQL relation files (VACUUM truncates) and unknown data;
 *      CLEAN under 64 bytes (pid and lock files).
 *   3. after is a base64 blob and before was not: R_BASE64.  The first
 *      48 KiB are decoded: DESTROYED if they decode to neither text nor a
 *      known format (i.e. ciphertext, the low-entropy evasion), unless
 *      the before was itself random-looking data of unknown type;
 *      otherwise SUSPECT (an encoding of the content is not its loss).
 *   4. the XOR key covers >= 90 % of the compared blocks: R_BITFLIP,
 *      DESTROYED whatever the format (no program complements a file).
 *   5. before was a valid known format and the after is not a valid
 *      format (R_FORMAT_LOST), or before was text and the after is
 *      neither text nor a valid format (R_TEXT_LOST): DESTROYED if the
 *      changed bytes are now random, XORed or a fill; else SUSPECT (a
 *      writer that left a broken file).
 *   6. after is a valid format (same or another) or text: CLEAN; SUSPECT
 *      if structured blocks went random although the after's payload is
 *      not a compressed one (raw-pixel DICOM or TIFF, SQLite, tar, text,
 *      file systems: a header-preserving encryptor, or blobs written into
 *      a database -- we cannot tell).  JPEG re-encoding, dcmcjpeg, TIFF
 *      recompression and archives are compressed payloads: CLEAN.
 *   7. before was of unknown format: DESTROYED if its (structured) head
 *      block went to random; SUSPECT if structured blocks went random
 *      elsewhere, if random-looking data was overwritten by random data
 *      (compressed or encrypted blobs rewritten: cannot tell), or on a
 *      partial XOR; else CLEAN.
 *
 * Replacement (analyse_replacement: x deleted, y appeared beside it):
 * no block correspondence, so the new file alone is sampled.  Rule 2 for
 * an empty y; CLEAN if y is the output of a real compressor/encryptor
 * (format_is_packed, or lz4/lzip/rar/age... magic) or a valid format or
 * text; DESTROYED if y is x bit-flipped (same size), base64 of random
 * bytes, or mostly random blocks of unknown format (R_REPLACED) while x
 * was structured (valid format, text, or unknown but not random);
 * SUSPECT if x was random-looking already (cannot tell) or if a valid x
 * became unknown structured data; else CLEAN.
 *
 * Costs: read buffers sized to the files (<= 2 x 64 KiB + 4 x 64 KiB,
 * none for memory buffers), three histogram passes per changed 4 KiB
 * block, at most budget bytes pread per file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyse.h"

/* Defined in entropy.c and format.c; kept out of analyse.h, whose
 * contract belongs to the callers. */
void stats_from_histogram(const uint32_t h[256], uint64_t n,
    struct block_stats *out);
int format_other_packed(const uint8_t *head, size_t len);
int format_compressed_payload(const uint8_t *head, size_t headlen,
    const uint8_t *tail, size_t taillen, uint64_t size, enum fmt f);

#define KIB             1024ULL
#define MIB             (1024 * KIB)
#define DEFAULT_BUDGET  (8 * MIB)
#define MIN_BUDGET      (16 * KIB)
#define FMT_BYTES       (64 * KIB)  /* head / tail given to format.c */
#define SEG             (64 * KIB)  /* unit of reading */
#define EDGE            MIB         /* head and tail of the common range */
#define GRAN            8           /* granule of the dirty-byte test */
#define XOR_BLOCKS      256         /* changed blocks fed to the XOR test */
#define B64_DECODE      (48 * KIB)
#define TINY            64

/* A file's bytes: memory, or an fd read with pread. */
struct src {
	const uint8_t *mem;
	int fd;
	uint64_t size;
	int err;
	analyse_fill_fn *fill;      /* called before each read, or NULL */
	void *fill_ctx;
};

/* What the block comparison found. */
struct acc {
	uint32_t hb[256], ha[256];  /* dirty bytes, before and after */
	uint32_t hx[256];           /* before ^ after, differing bytes */
	uint64_t dirty, differ;
	unsigned testable, rand_after, xor_blocks;
	bool head_to_random;
	double eb, ea;              /* sums of whole-block entropy */
};

/* Read buffers, for fd sources only, each no larger than its file. */
struct work {
	uint8_t *base;
	uint8_t *bseg, *aseg;       /* <= SEG */
	uint8_t *fmt[4];            /* <= FMT_BYTES: bhead btail ahead atail */
};

/* ---- reading ---- */

static size_t
src_read(struct src *s, uint64_t off, size_t len, uint8_t *buf,
    const uint8_t **out)
{
	size_t got = 0;

	*out = buf;
	if (off >= s->size)
		return 0;
	if (len > s->size - off)
		len = (size_t)(s->size - off);
	if (s->mem != NULL) {
		*out = s->mem + off;
		return len;
	}
	if (s->fill != NULL)
		s->fill(s->fill_ctx, off, len);
	while (got < len) {
		ssize_t r = pread(s->fd, buf + got, len - got,
		    (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			s->err = 1;
			break;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static uint64_t
fmt_bytes(uint64_t budget)
{
	return budget / 8 < FMT_BYTES ? budget / 8 : FMT_BYTES;
}

/* A file's first and last bytes, as given to format.c. */
struct ends {
	const uint8_t *head, *tail;
	size_t headlen, taillen;
	uint64_t size;
};

/* Identify a file from its first and last fmt_bytes(budget) bytes. */
static void
src_identify(struct src *s, uint64_t budget, uint8_t *hbuf, uint8_t *tbuf,
    struct fmt_result *r, struct ends *x)
{
	uint64_t fb = fmt_bytes(budget);

	memset(x, 0, sizeof *x);
	x->headlen = src_read(s, 0, (size_t)fb, hbuf, &x->head);
	if (s->size > x->headlen && x->headlen == fb) {
		uint64_t toff = s->size - (s->size - fb < fb ? s->size - fb : fb);

		x->taillen = src_read(s, toff, (size_t)(s->size - toff), tbuf,
		    &x->tail);
		if (toff + x->taillen != s->size)
			x->taillen = 0;         /* short read: no tail */
	}
	x->size = x->headlen < fb ? x->headlen : s->size;
	/* a file that fit in the head is read from there from now on */
	if (s->mem == NULL && x->headlen == s->size)
		s->mem = x->head;
	format_identify(x->head, x->headlen, x->taillen ? x->tail : NULL,
	    x->taillen, x->size, r);
}

/* ---- the statistics of one changed block ---- */

static bool
one_value(const uint32_t h[256], uint64_t n)
{
	for (int k = 0; k < 256; k++)
		if (h[k] != 0)
			return h[k] == n;
	return false;
}

static double
log2_floor(uint64_t n)
{
	double l = 0;

	while (n > 1) {
		n >>= 1;
		l++;
	}
	return l;
}

/* Already random-looking: compressed, encrypted, or noise. */
static bool
random_looking(const struct block_stats *s, uint64_t n)
{
	double floor = log2_floor(n) - 1.0;

	if (floor > 7.5)
		floor = 7.5;
	return stats_is_random(s, (size_t)n) || s->entropy >= floor;
}

static bool
structured(const uint32_t h[256], uint64_t n)
{
	struct block_stats s;

	if (n == 0 || one_value(h, n))
		return false;
	stats_from_histogram(h, n, &s);
	return !random_looking(&s, n);
}

/* Under 128 bytes chi-square says little; ciphertext still shows as
 * mostly distinct byte values, about half of them >= 0x80.  Text (even
 * UTF-8) and binary headers (zeros, small integers) do not. */
static bool
small_random(const uint32_t h[256], uint64_t n)
{
	uint64_t nd = 0, high = 0;

	for (int k = 0; k < 256; k++) {
		nd += h[k] != 0;
		high += k >= 0x80 ? h[k] : 0;
	}
	return n >= 32 && nd * 10 >= n * 6 && high * 4 >= n &&
	    high * 4 <= n * 3;
}

static bool
hist_random(const uint32_t h[256], uint64_t n)
{
	struct block_stats s;

	if (n < 128)
		return small_random(h, n);
	stats_from_histogram(h, n, &s);
	return stats_is_random(&s, (size_t)n);
}

static void
block_pair(struct acc *A, struct analysis *out, const uint8_t *b,
    const uint8_t *a, size_t len, uint64_t off)
{
	uint32_t fb[256], fa[256], db[256], da[256];
	struct block_stats sb, sa;
	uint16_t rs[ANALYSE_BLOCK / GRAN], re[ANALYSE_BLOCK / GRAN];
	size_t nr = 0, d = 0;
	bool run = false;

	out->blocks_compared++;
	if (memcmp(b, a, len) == 0)
		return;
	out->blocks_changed++;
	memset(fb, 0, sizeof fb);
	memset(fa, 0, sizeof fa);
	stats_histogram(b, len, fb);
	stats_histogram(a, len, fa);
	stats_from_histogram(fb, len, &sb);
	stats_from_histogram(fa, len, &sa);
	A->eb += sb.entropy;
	A->ea += sa.entropy;

	/* runs of dirty granules */
	for (size_t i = 0; i < len; i += GRAN) {
		size_t n = len - i < GRAN ? len - i : GRAN;
		bool dirty = memcmp(b + i, a + i, n) != 0;

		if (dirty && !run) {
			rs[nr] = (uint16_t)i;
			run = true;
		} else if (!dirty && run) {
			re[nr++] = (uint16_t)i;
			run = false;
		}
		if (dirty)
			d += n;
	}
	if (run)
		re[nr++] = (uint16_t)len;
	if (d == len) {
		memcpy(db, fb, sizeof db);
		memcpy(da, fa, sizeof da);
	} else {
		memset(db, 0, sizeof db);
		memset(da, 0, sizeof da);
		for (size_t r = 0; r < nr; r++) {
			stats_histogram(b + rs[r], re[r] - rs[r], db);
			stats_histogram(a + rs[r], re[r] - rs[r], da);
		}
	}
	if (A->xor_blocks < XOR_BLOCKS) {
		A->xor_blocks++;
		for (size_t r = 0; r < nr; r++)
			for (size_t i = rs[r]; i < re[r]; i++) {
				uint8_t x = b[i] ^ a[i];

				A->hx[x]++;
				A->differ += x != 0;
			}
	}
	for (int k = 0; k < 256; k++) {
		A->hb[k] += db[k];
		A->ha[k] += da[k];
	}
	A->dirty += d;
	if (d >= 128) {
		bool ra = hist_random(da, d);

		A->testable++;
		A->rand_after += ra;
		if (ra && structured(db, d)) {
			out->blocks_to_random++;
			if (off == 0 && d >= 256)
				A->head_to_random = true;
		}
	}
}

/* ---- sampling ---- */

struct cmpctx {
	struct src *b, *a;
	struct work *w;
	struct acc *A;
	struct analysis *out;
};

/* Compare [off, off+len) of both files, SEG at a time. */
static void
cmp_range(struct cmpctx *c, uint64_t off, uint64_t len)
{
	while (len > 0) {
		size_t n = len < SEG ? (size_t)len : SEG, nb, na, m;
		const uint8_t *pb, *pa;

		nb = src_read(c->b, off, n, c->w->bseg, &pb);
		na = src_read(c->a, off, n, c->w->aseg, &pa);
		m = nb < na ? nb : na;
		for (size_t i = 0; i < m; i += ANALYSE_BLOCK)
			block_pair(c->A, c->out, pb + i, pa + i,
			    m - i < ANALYSE_BLOCK ? m - i : ANALYSE_BLOCK, off + i);
		if (m < n)
			return;         /* a file shrank under us, or EIO */
		off += n;
		len -= n;
	}
}

#define ALIGN_DOWN(x) ((x) / ANALYSE_BLOCK * ANALYSE_BLOCK)

typedef void range_fn(struct cmpctx *, uint64_t off, uint64_t len);

/*
 * Visit [0, size) within `budget` bytes: all of it, or its first and
 * last EDGE (a quarter of the budget each, at most) and segments of SEG
 * spread evenly in between.  Segment starts are block-aligned and at
 * least SEG apart; one block is held back for the unaligned tail, so the
 * bytes visited never exceed the budget.
 */
static void
spread(struct cmpctx *c, uint64_t size, uint64_t budget, range_fn *fn)
{
	uint64_t edge, tail, mid, seg, k, span, step;

	if (size <= budget) {
		fn(c, 0, size);
		return;
	}
	edge = ALIGN_DOWN(budget / 4 < EDGE ? budget / 4 : EDGE);
	if (edge == 0)
		edge = ANALYSE_BLOCK;
	tail = ALIGN_DOWN(size - edge);
	fn(c, 0, edge);
	mid = budget > 2 * edge + ANALYSE_BLOCK ?
	    budget - 2 * edge - ANALYSE_BLOCK : 0;
	span = tail - edge;
	seg = ALIGN_DOWN(mid < SEG ? mid : SEG);
	if (seg > 0 && span > 0) {
		k = mid / seg;
		if (k * seg >= span)
			fn(c, edge, span);
		else if (k == 1)
			fn(c, edge + ALIGN_DOWN((span - seg) / 2), seg);
		else {
			step = ALIGN_DOWN((span - seg) / (k - 1));  /* >= seg */
			for (uint64_t i = 0; i < k; i++)
				fn(c, edge + step * i, seg);
		}
	}
	fn(c, tail, size - tail);
}

/* ---- verdict ---- */

struct evidence {
	bool truncated, b64, b64_cipher, bitflip, bitflip_full, fill;
	bool after_random, to_random, head_to_random, lost, text_lost;
	bool before_random, log, compressed;
	uint8_t key;
};

/* Append s to the string of *len bytes in dst[cap], cut to fit. */
static void
append(char *dst, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(dst + *len, s, n);
	*len += n;
	dst[*len] = '\0';
}

static void
why(struct analysis *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
why(struct analysis *out, const char *fmt, ...)
{
	char tail[128];
	va_list ap;
	const char *inv_b = out->before.valid || out->before.fmt ==
	    FMT_UNKNOWN ? "" : " (broken)";
	const char *inv_a = out->after.valid || out->after.fmt ==
	    FMT_UNKNOWN ? "" : " (broken)";

	const char *parts[6] = { format_name(out->before.fmt), inv_b,
		" -> ", format_name(out->after.fmt), inv_a, ": " };
	size_t len = 0;

	/* built by hand, and the reason formatted only when it has an
	 * argument: most files are clean, and two printf calls were a
	 * twentieth of a small file's inline analysis */
	for (int i = 0; i < 6; i++)
		append(out->why, sizeof out->why, &len, parts[i]);
	if (strchr(fmt, '%') == NULL) {
		append(out->why, sizeof out->why, &len, fmt);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(tail, sizeof tail, fmt, ap);
	va_end(ap);
	append(out->why, sizeof out->why, &len, tail);
}

static bool
is_doc(const struct fmt_result *f)
{
	return f->valid && f->fmt != FMT_UNKNOWN && f->fmt != FMT_EMPTY &&
	    !format_is_text(f->fmt);
}

static bool
is_textf(const struct fmt_result *f)
{
	return f->valid && format_is_text(f->fmt);
}

/* A log: most of the first lines start with a time stamp ("2025-...",
 * "[12:00", "Jan  5 ...").  Logs are what copytruncate empties. */
static bool
log_like(const uint8_t *p, size_t len)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	unsigned lines = 0, stamped = 0;
	size_t i = 0;

	while (i < len && lines < 16) {
		const uint8_t *l = p + i;
		size_t rest = len - i;
		bool m = false;

		if (rest >= 4 && l[3] == ' ')
			for (int k = 0; k < 36 && !m; k += 3)
				m = memcmp(l, months + k, 3) == 0;
		stamped += m || (rest > 0 && ((l[0] >= '0' && l[0] <= '9') ||
		    (l[0] == '[' && rest > 1 && l[1] >= '0' && l[1] <= '9')));
		lines++;
		while (i < len && p[i] != '\n')
			i++;
		i++;
	}
	return lines >= 2 && stamped * 4 >= lines * 3;
}

/*
 * Rule 2, shared by pair and replacement.  Nothing benign empties a
 * document, image, archive, database or text file in place and leaves it
 * so; a wiper does.  Logs are emptied by logrotate's copytruncate and
 * PostgreSQL truncates relation files, so those stay SUSPECT, as does
 * data of unknown type.
 */
static void
judge_truncated(struct analysis *out, bool log)
{
	const struct fmt_result *b = &out->before;

	out->reasons |= R_TRUNCATED;
	if (out->size_before < TINY)
		why(out, "a tiny file emptied");
	else if ((is_doc(b) && b->fmt != FMT_POSTGRES_PAGE) ||
	    (is_textf(b) && !log)) {
		out->verdict = V_DESTROYED;
		why(out, "%s cut from %llu to %llu bytes", format_name(b->fmt),
		    (unsigned long long)out->size_before,
		    (unsigned long long)out->size_after);
	} else {
		out->verdict = V_SUSPECT;
		why(out, "cut from %llu to %llu bytes (%s)",
		    (unsigned long long)out->size_before,
		    (unsigned long long)out->size_after, log ? "a log: "
		    "copytruncate does this" : "unknown data");
	}
}

/* Base64 blob in the after: decode its start and look at what it hides. */
static void
check_base64(const uint8_t *p, size_t len, struct evidence *e)
{
	static const int8_t val[256] = {
		['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5,
		['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10,
		['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
		['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20,
		['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
		['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30,
		['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
		['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40,
		['o'] = 41, ['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45,
		['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
		['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55,
		['3'] = 56, ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60,
		['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64, ['-'] = 63,
		['_'] = 64,
	};
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;
	struct fmt_result f;
	uint8_t *buf = malloc(B64_DECODE);

	e->b64_cipher = false;          /* out of memory: only suspect */
	if (buf == NULL)
		return;
	for (size_t i = 0; i < len && n < B64_DECODE; i++) {
		if (val[p[i]] == 0)
			continue;       /* newlines, padding */
		acc = acc << 6 | (uint32_t)(val[p[i]] - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (uint8_t)(acc >> bits);
		}
	}
	format_identify(buf, n, NULL, 0, n, &f);
	/* a document, an image or text encoded: the content is still there */
	e->b64_cipher = !(f.valid && f.fmt != FMT_UNKNOWN &&
	    f.fmt != FMT_BASE64);
	free(buf);
}

static void
decide_pair(struct analysis *out, const struct evidence *e)
{
	if (e->truncated) {
		judge_truncated(out, e->log);
		return;
	}
	if (e->b64) {
		out->reasons |= R_BASE64;
		if (e->b64_cipher && !e->before_random) {
			out->verdict = V_DESTROYED;
			why(out, "content replaced by base64 of random bytes");
		} else {
			out->verdict = V_SUSPECT;
			why(out, "content base64-encoded");
		}
		return;
	}
	if (e->bitflip_full) {
		out->reasons |= R_BITFLIP;
		out->verdict = V_DESTROYED;
		why(out, "every changed byte XORed with 0x%02x", e->key);
		return;
	}
	if (e->lost || e->text_lost) {
		out->reasons |= e->lost ? R_FORMAT_LOST : R_TEXT_LOST;
		if (e->bitflip) {
			out->reasons |= R_BITFLIP;
			out->verdict = V_DESTROYED;
			why(out, "changed bytes XORed with 0x%02x", e->key);
		} else if (e->after_random || out->blocks_to_random > 0) {
			out->verdict = V_DESTROYED;
			why(out, "%u of %u changed blocks now random",
			    out->blocks_to_random, out->blocks_changed);
		} else if (e->fill) {
			out->verdict = V_DESTROYED;
			why(out, "overwritten with a constant fill");
		} else {
			out->verdict = V_SUSPECT;
			why(out, "%u of %u blocks changed, not random",
			    out->blocks_changed, out->blocks_compared);
		}
		return;
	}
	if (is_doc(&out->after) || is_textf(&out->after)) {
		if (e->to_random && e->compressed)
			why(out, "still valid, %u of %u blocks changed, now "
			    "compressed", out->blocks_changed,
			    out->blocks_compared);
		else if (e->to_random) {
			out->verdict = V_SUSPECT;
			why(out, "still valid, but %u of %u changed blocks went "
			    "from structured to random", out->blocks_to_random,
			    out->blocks_changed);
		} else
			why(out, "still valid, %u of %u blocks changed",
			    out->blocks_changed, out->blocks_compared);
		return;
	}
	/* before of unknown format (or broken already) */
	if (e->head_to_random) {
		out->verdict = V_DESTROYED;
		why(out, "structured header overwritten with random bytes, %u "
		    "of %u changed blocks now random", out->blocks_to_random,
		    out->blocks_changed);
	} else if (e->to_random) {
		out->verdict = V_SUSPECT;
		why(out, "%u of %u changed blocks went from structured to "
		    "random", out->blocks_to_random, out->blocks_changed);
	} else if (e->after_random && e->before_random) {
		out->verdict = V_SUSPECT;
		why(out, "random-looking data overwritten with random data "
		    "(cannot tell)");
	} else if (e->bitflip) {
		out->reasons |= R_BITFLIP;
		out->verdict = V_SUSPECT;
		why(out, "part of the file XORed with 0x%02x", e->key);
	} else
		why(out, "%u of %u blocks changed", out->blocks_changed,
		    out->blocks_compared);
}

static unsigned
popcount8(unsigned x)
{
	unsigned n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}

static unsigned
distinct(const uint32_t h[256])
{
	unsigned n = 0;

	for (int k = 0; k < 256; k++)
		n += h[k] != 0;
	return n;
}

/* The dominant XOR key over differing bytes: a bit flip or single-byte
 * XOR when one key with >= 3 bits set accounts for >= 90 % of them.  The
 * caller also checks that the before bytes were varied: setting zeroed
 * bytes to one value (PostgreSQL's commit log going 0x00 -> 0x55) has a
 * "key" too, and flips nothing. */
static bool
xor_key(const uint32_t hx[256], uint64_t differ, uint8_t *key)
{
	unsigned k = 1;

	for (unsigned i = 2; i < 256; i++)
		if (hx[i] > hx[k])
			k = i;
	*key = (uint8_t)k;
	return differ >= 64 && popcount8(k) >= 3 &&
	    (uint64_t)hx[k] * 10 >= differ * 9;
}

static void
gather(struct analysis *out, const struct acc *A, struct evidence *e)
{
	const struct fmt_result *b = &out->before, *a = &out->after;
	bool bknown = b->fmt != FMT_UNKNOWN && b->fmt != FMT_EMPTY &&
	    !format_is_text(b->fmt);
	struct block_stats s;

	memset(e, 0, sizeof *e);
	e->truncated = out->size_before > 0 && (out->size_after == 0 ||
	    (out->size_after <= TINY && out->size_before >= 4096 &&
	    !is_doc(a) && !is_textf(a)));
	e->bitflip = xor_key(A->hx, A->differ, &e->key) &&
	    distinct(A->hb) >= 16;
	e->bitflip_full = e->bitflip &&
	    out->blocks_changed * 10 >= out->blocks_compared * 9;
	e->fill = A->dirty >= TINY && one_value(A->ha, A->dirty) &&
	    !one_value(A->hb, A->dirty);
	e->after_random = hist_random(A->ha, A->dirty) ||
	    (A->testable > 0 && A->rand_after * 2 >= A->testable);
	e->to_random = out->blocks_to_random > 0 ||
	    (hist_random(A->ha, A->dirty) && structured(A->hb, A->dirty));
	e->head_to_random = A->head_to_random;
	stats_from_histogram(A->hb, A->dirty, &s);
	e->before_random = !is_doc(b) && !is_textf(b) && A->dirty > 0 &&
	    random_looking(&s, A->dirty);
	e->lost = bknown && !is_doc(a) && !is_textf(a) &&
	    (b->valid || a->fmt != b->fmt);
	e->text_lost = is_textf(b) && !is_doc(a) && !is_textf(a);
	e->b64 = a->fmt == FMT_BASE64 && b->fmt != FMT_BASE64;
}

static size_t
min_sz(uint64_t a, uint64_t b)
{
	return (size_t)(a < b ? a : b);
}

/* One allocation for all read buffers; none for memory sources. */
static int
work_alloc(struct work *w, const struct src *b, const struct src *a,
    uint64_t budget)
{
	size_t fb = (size_t)fmt_bytes(budget);
	size_t bs = b->mem ? 0 : min_sz(b->size, SEG);
	size_t as = a->mem ? 0 : min_sz(a->size, SEG);
	size_t bf = b->mem ? 0 : min_sz(b->size, fb);
	size_t af = a->mem ? 0 : min_sz(a->size, fb);
	uint8_t *p;

	memset(w, 0, sizeof *w);
	if (bs + as + bf + af == 0)
		return 0;
	if ((p = malloc(bs + as + 2 * bf + 2 * af)) == NULL)
		return -1;
	w->base = p;
	w->bseg = p;
	w->aseg = p + bs;
	w->fmt[0] = p + bs + as;
	w->fmt[1] = w->fmt[0] + bf;
	w->fmt[2] = w->fmt[1] + bf;
	w->fmt[3] = w->fmt[2] + af;
	return 0;
}

static uint64_t
norm_budget(uint64_t budget)
{
	if (budget == 0)
		return DEFAULT_BUDGET;
	return budget < MIN_BUDGET ? MIN_BUDGET : budget;
}

static void
analyse_srcs(struct src *b, struct src *a, uint64_t budget,
    struct analysis *out)
{
	struct work w;
	struct acc *A;
	struct cmpctx c;
	struct evidence e;
	struct ends bx, ax;

	budget = norm_budget(budget);
	out->size_before = b->size;
	out->size_after = a->size;
	A = calloc(1, sizeof *A);
	if (A == NULL || work_alloc(&w, b, a, budget) != 0) {
		free(A);
		snprintf(out->why, sizeof out->why, "not analysed: out of memory");
		return;
	}
	src_identify(b, budget, w.fmt[0], w.fmt[1], &out->before, &bx);
	src_identify(a, budget, w.fmt[2], w.fmt[3], &out->after, &ax);
	c = (struct cmpctx){ b, a, &w, A, out };
	spread(&c, b->size < a->size ? b->size : a->size,
	    budget - 2 * fmt_bytes(budget), cmp_range);
	if (out->blocks_changed > 0) {
		out->entropy_before = A->eb / out->blocks_changed;
		out->entropy_after = A->ea / out->blocks_changed;
	}
	gather(out, A, &e);
	e.log = is_textf(&out->before) && log_like(bx.head, bx.headlen);
	e.compressed = format_compressed_payload(ax.head, ax.headlen, ax.tail,
	    ax.taillen, ax.size, out->after.fmt);
	if (e.b64)
		check_base64(ax.head, ax.headlen, &e);
	if (e.to_random)
		out->reasons |= R_TO_RANDOM;
	if (out->size_before == 0)
		why(out, "the file was empty");
	else if (!e.truncated && out->blocks_changed == 0 &&
	    out->size_before == out->size_after)
		why(out, "no sampled block changed");
	else
		decide_pair(out, &e);
	free(A);
	free(w.base);
}

void
analyse_buffers(const uint8_t *before, size_t blen, const uint8_t *after,
    size_t alen, struct analysis *out)
{
	struct src b = { .mem = before, .fd = -1, .size = before ? blen : 0 };
	struct src a = { .mem = after, .fd = -1, .size = after ? alen : 0 };

	memset(out, 0, sizeof *out);
	analyse_srcs(&b, &a, 0, out);
}

static int
src_open(struct src *s, int fd)
{
	struct stat st;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	s->size = (uint64_t)st.st_size;
	return 0;
}

int
analyse_pair(int before_fd, int after_fd, uint64_t budget,
    struct analysis *out)
{
	return analyse_pair_fill(before_fd, NULL, NULL, after_fd, budget, out);
}

int
analyse_pair_fill(int before_fd, analyse_fill_fn *fill, void *ctx,
    int after_fd, uint64_t budget, struct analysis *out)
{
	struct src b, a;
	int rb = src_open(&b, before_fd), ra = src_open(&a, after_fd);
	b.fill = fill;
	b.fill_ctx = ctx;

	memset(out, 0, sizeof *out);
	if (rb != 0 && ra != 0)
		return -1;
	if (rb != 0 || ra != 0) {
		/* one side unreadable: say so, never guess "destroyed" */
		snprintf(out->why, sizeof out->why, "not analysed: %s version "
		    "unreadable", rb != 0 ? "before" : "current");
		out->size_before = b.size;
		out->size_after = a.size;
		return 0;
	}
	analyse_srcs(&b, &a, budget, out);
	return 0;
}

/* ---- replacement ---- */

/* Per-block randomness of the new file alone. */
static void
scan_range(struct cmpctx *c, uint64_t off, uint64_t len)
{
	while (len > 0) {
		size_t n = len < SEG ? (size_t)len : SEG, m;
		const uint8_t *p;

		m = src_read(c->a, off, n, c->w->aseg, &p);
		for (size_t i = 0; i < m; i += ANALYSE_BLOCK) {
			size_t bl = m - i < ANALYSE_BLOCK ? m - i : ANALYSE_BLOCK;
			struct block_stats s;

			stats_block(p + i, bl, &s);
			c->out->blocks_compared++;
			c->A->ea += s.entropy;
			if (bl >= 128) {
				c->A->testable++;
				if (stats_is_random(&s, bl))
					c->A->rand_after++;
			}
		}
		if (m < n)
			return;
		off += n;
		len -= n;
	}
}

/* Bytes that differ between a and b: word by word, as a replacement
 * that keeps most bytes (sed -i, a saved edit) is the common case. */
static uint64_t
count_differ(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t d = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x == y)
			continue;
		for (size_t k = 0; k < 8; k++)
			d += a[i + k] != b[i + k];
	}
	for (; i < n; i++)
		d += a[i] != b[i];
	return d;
}

/* The old file's head: its histogram is taken once, for the entropy, the
 * randomness test, the one-value test and the distinct-byte count. */
struct oldhead {
	const uint8_t *p;
	size_t len;
	uint32_t h[256];
	struct block_stats s;
};

/* The new file is the old one XORed with one key (a bit flip): over the
 * first m bytes of both, most differ and by the same key, and the old
 * bytes were varied.  Under 64 differing bytes, or under half, it is not
 * (xor_key's and the caller's floors), so the XOR histogram is skipped. */
static bool
xored_copy(const struct oldhead *oh, const uint8_t *nh, size_t m,
    struct evidence *e)
{
	uint32_t hx[256], ho[256];
	uint64_t differ = count_differ(oh->p, nh, m);

	if (differ < 64 || differ * 2 < m)
		return false;
	memset(hx, 0, sizeof hx);
	for (size_t i = 0; i < m; i++)
		hx[oh->p[i] ^ nh[i]]++;
	if (!xor_key(hx, differ, &e->key))
		return false;
	if (m == oh->len)
		return distinct(oh->h) >= 16;
	memset(ho, 0, sizeof ho);
	stats_histogram(oh->p, m, ho);
	return distinct(ho) >= 16;
}

static void
decide_replacement(struct analysis *out, const struct acc *A,
    struct evidence *e, const struct oldhead *oh, const uint8_t *nh,
    size_t nhl)
{
	const struct fmt_result *o = &out->before, *n = &out->after;
	bool old_struct, new_random;
	size_t ohl = oh->len, m = ohl < nhl ? ohl : nhl;

	e->before_random = !is_doc(o) && !is_textf(o) &&
	    random_looking(&oh->s, ohl);
	old_struct = is_doc(o) || is_textf(o) ||
	    (!e->before_random && !one_value(oh->h, ohl));
	new_random = A->testable > 0 && A->rand_after * 2 >= A->testable;
	if (out->size_after == 0 || (out->size_after <= TINY &&
	    out->size_before >= 4096 && !is_doc(n) && !is_textf(n))) {
		judge_truncated(out, is_textf(o) && log_like(oh->p, ohl));
		return;
	}
	if ((format_is_packed(n->fmt) && n->valid) ||
	    format_other_packed(nh, nhl)) {
		why(out, "replaced by the output of a compressor or encryptor");
		return;
	}
	if (out->size_before == out->size_after && xored_copy(oh, nh, m, e)) {
		out->reasons |= R_REPLACED | R_BITFLIP;
		out->verdict = V_DESTROYED;
		why(out, "replaced by a copy XORed with 0x%02x", e->key);
		return;
	}
	if (n->fmt == FMT_BASE64 && o->fmt != FMT_BASE64) {
		check_base64(nh, nhl, e);
		out->reasons |= R_BASE64;
		if (e->b64_cipher && !e->before_random) {
			out->reasons |= R_REPLACED;
			out->verdict = V_DESTROYED;
			why(out, "replaced by base64 of random bytes");
		} else {
			out->verdict = V_SUSPECT;
			why(out, "replaced by a base64 encoding");
		}
		return;
	}
	if (is_doc(n) || is_textf(n)) {
		why(out, "replaced by a valid file");
		return;
	}
	if (new_random) {
		out->reasons |= R_REPLACED;
		if (old_struct) {
			out->reasons |= R_TO_RANDOM;
			out->verdict = V_DESTROYED;
			why(out, "replaced by random data, %u of %u sampled "
			    "blocks random", A->rand_after, A->testable);
		} else {
			out->verdict = V_SUSPECT;
			why(out, "random-looking data replaced by random data "
			    "(cannot tell)");
		}
		return;
	}
	if (is_doc(o) || is_textf(o)) {
		out->reasons |= is_doc(o) ? R_FORMAT_LOST : R_TEXT_LOST;
		out->verdict = V_SUSPECT;
		why(out, "replaced by data of unknown format");
		return;
	}
	why(out, "unknown data replaced by unknown, non-random data");
}

static int replacement(struct src *o, struct src *n, uint64_t budget,
    struct analysis *out);

int
analyse_replacement(int old_fd, int new_fd, uint64_t budget,
    struct analysis *out)
{
	struct src o, n;
	int ro = src_open(&o, old_fd), rn = src_open(&n, new_fd);

	memset(out, 0, sizeof *out);
	if (ro != 0 && rn != 0)
		return -1;
	out->size_before = o.size;
	out->size_after = n.size;
	if (ro != 0 || rn != 0) {
		snprintf(out->why, sizeof out->why, "not analysed: %s file "
		    "unreadable", ro != 0 ? "old" : "new");
		return 0;
	}
	return replacement(&o, &n, budget, out);
}

void
analyse_replacement_buffers(const uint8_t *old, size_t olen,
    const uint8_t *new, size_t nlen, struct analysis *out)
{
	struct src o = { .mem = old, .fd = -1, .size = old ? olen : 0 };
	struct src n = { .mem = new, .fd = -1, .size = new ? nlen : 0 };

	memset(out, 0, sizeof *out);
	out->size_before = o.size;
	out->size_after = n.size;
	replacement(&o, &n, 0, out);
}

static int
replacement(struct src *o, struct src *n, uint64_t budget,
    struct analysis *out)
{
	struct work w;
	struct acc acc = { 0 }, *A = &acc;      /* on the stack: ~3 KiB */
	struct cmpctx c;
	struct evidence e;
	struct ends ox, nx;
	struct oldhead oh;

	budget = norm_budget(budget);
	if (work_alloc(&w, o, n, budget) != 0) {
		snprintf(out->why, sizeof out->why, "not analysed: out of memory");
		return 0;
	}
	memset(&e, 0, sizeof e);
	src_identify(o, budget, w.fmt[0], w.fmt[1], &out->before, &ox);
	src_identify(n, budget, w.fmt[2], w.fmt[3], &out->after, &nx);
	/* a valid document or text (not base64) is judged by its format
	 * alone (decide_replacement): the block statistics of either file
	 * would go unread, and they were a tenth of the cost of sed -i's
	 * rename-overs.  Such analyses report no blocks and entropy 0. */
	bool stats = out->after.fmt == FMT_BASE64 ||
	    !(is_doc(&out->after) || is_textf(&out->after));
	c = (struct cmpctx){ o, n, &w, A, out };
	if (o->size > 0 && stats)
		spread(&c, n->size, budget - 2 * fmt_bytes(budget), scan_range);
	out->blocks_changed = out->blocks_compared;
	out->blocks_to_random = A->rand_after;
	if (out->blocks_compared > 0)
		out->entropy_after = A->ea / out->blocks_compared;
	oh.p = ox.head;
	oh.len = ox.headlen;
	memset(oh.h, 0, sizeof oh.h);
	if (stats)
		stats_histogram(oh.p, oh.len, oh.h);
	stats_from_histogram(oh.h, stats ? oh.len : 0, &oh.s);
	out->entropy_before = oh.s.entropy;
	if (o->size == 0)
		why(out, "the old file was empty");
	else
		decide_replacement(out, A, &e, &oh, nx.head, nx.headlen);
	free(w.base);
	return 0;
}
