/*
 * format.c - what kind of file is this, and is it structurally whole?
 *
 * Owns: format identification and structural validity from a file's head
 * (first bytes) and tail (last bytes): PDF, ZIP/OOXML, JPEG, PNG, TIFF,
 * DICOM, SQLite, gzip, zstd, xz, bzip2, 7z, OpenPGP, openssl enc, tar,
 * ELF, ext2/3/4, git packs, PostgreSQL heap pages, HL7 v2, CSV, base64
 * blobs and text; and two helpers for compare.c that analyse.h does not
 * declare: format_other_packed (archivers without an enum value) and
 * format_compressed_payload (is random-looking content normal here?).
 * Must not touch: verdicts (compare.c), statistics (entropy.c), I/O --
 * every byte arrives in the buffers given.
 *
 * Why a hand-written table and not libmagic: libmagic answers "what does
 * this start with" (name only, no validity), parses its magic database
 * at load time, costs tens of microseconds per call and is itself a large
 * parser of the untrusted bytes.  The question here is narrower and
 * structural -- was a valid PDF, is it still one -- and is asked on every
 * close-after-write, so each check below walks a few header fields with
 * explicit bounds and costs well under a microsecond, and the whole file
 * is fuzzed with the rest of analyse/.  No CRCs are computed (no -lz
 * needed): chunk/segment/element structure carries the evidence, and a
 * few trailers are constant bytes (PNG's IEND chunk including its CRC).
 *
 * Validity means "the structure a reader needs first is intact": header
 * fields in range, the first segments/chunks/elements walk, and where the
 * format has one, the trailer at the end of the file (PDF %%EOF, ZIP
 * end of central directory, JPEG EOI, PNG IEND, xz footer).  A missing
 * tail (taillen 0 and the head does not reach the end) is not held
 * against a file.  Weak magics (one or two bytes: OpenPGP, PostgreSQL
 * pages) are reported only when the structure checks pass, so random
 * data is not mistaken for them.
 */
#define _GNU_SOURCE     /* memrchr */
#include <stdbool.h>
#include <string.h>

#include "analyse.h"

/* The bytes we were given: head covers [0, headlen), tail covers
 * [tail_off, size).  Every access goes through at() or last(). */
struct view {
	const uint8_t *head, *tail;
	size_t headlen, taillen;
	uint64_t size, tail_off;
};

/* The view of a file from its first and last bytes.  Inconsistent
 * lengths (a fuzzer, a writer racing the read) are settled in favour of
 * the buffers: a NULL buffer has length 0, and the size is at least
 * either buffer's length, so tail_off never wraps. */
static struct view
view_make(const uint8_t *head, size_t headlen, const uint8_t *tail,
    size_t taillen, uint64_t size)
{
	if (head == NULL)
		headlen = 0;
	if (tail == NULL)
		taillen = 0;
	if (size < headlen)
		size = headlen;
	if (size < taillen)
		size = taillen;
	return (struct view){ head, taillen > 0 ? tail : NULL, headlen,
	    taillen, size, size - taillen };
}

/* Pointer to the file bytes [off, off+n) if one buffer holds them all. */
static const uint8_t *
at(const struct view *v, uint64_t off, size_t n)
{
	if (off <= v->headlen && n <= v->headlen - off)
		return v->head + off;
	if (v->tail != NULL && off >= v->tail_off &&
	    off - v->tail_off <= v->taillen &&
	    n <= v->taillen - (off - v->tail_off))
		return v->tail + (off - v->tail_off);
	return NULL;
}

/* The last bytes of the file, up to max of them, or NULL if unknown. */
static const uint8_t *
last(const struct view *v, size_t max, size_t *len)
{
	*len = 0;
	if (v->tail != NULL && v->taillen > 0 && v->tail_off + v->taillen ==
	    v->size) {
		*len = v->taillen < max ? v->taillen : max;
		return v->tail + v->taillen - *len;
	}
	if (v->headlen == v->size) {
		*len = v->headlen < max ? v->headlen : max;
		return v->head + v->headlen - *len;
	}
	return NULL;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}
static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool
starts(const struct view *v, uint64_t off, const char *magic, size_t n)
{
	const uint8_t *p = at(v, off, n);

	return p != NULL && memcmp(p, magic, n) == 0;
}

/* Last occurrence of needle in hay, or -1. */
static long
rfind(const uint8_t *hay, size_t len, const char *needle, size_t n)
{
	const uint8_t *p;
	size_t end;

	if (len < n || n == 0)
		return -1;
	/* memrchr finds candidates for the first byte a word at a time */
	for (end = len - n + 1; end > 0; end = (size_t)(p - hay)) {
		if ((p = memrchr(hay, (uint8_t)needle[0], end)) == NULL)
			return -1;
		if (memcmp(p, needle, n) == 0)
			return (long)(p - hay);
	}
	return -1;
}

/* ---- documents and images ---- */

/* %PDF-1.x (or 2.x) in the first KiB, and "startxref <n> %%EOF" in the
 * last KiB with n inside the file. */
static int
valid_pdf(const struct view *v, size_t hdr)
{
	const uint8_t *p = at(v, hdr + 5, 3), *t;
	size_t tl;
	long eof, sx;
	uint64_t x = 0;
	int digits = 0;

	if (p == NULL || (p[0] != '1' && p[0] != '2') || p[1] != '.' ||
	    p[2] < '0' || p[2] > '9')
		return 0;
	if ((t = last(v, 1024, &tl)) == NULL)
		return 1;
	if ((eof = rfind(t, tl, "%%EOF", 5)) < 0)
		return 0;
	if ((sx = rfind(t, (size_t)eof, "startxref", 9)) < 0)
		return 0;
	for (size_t i = (size_t)sx + 9; i < (size_t)eof; i++) {
		if (t[i] >= '0' && t[i] <= '9') {
			if (++digits > 15)
				return 0;
			x = x * 10 + (uint64_t)(t[i] - '0');
		} else if (digits > 0 || (t[i] != ' ' && t[i] != '\r' &&
		    t[i] != '\n'))
			break;
	}
	return digits > 0 && x < v->size;
}

static bool
name_is_ooxml(const uint8_t *n, size_t len)
{
	static const char *const pre[] = { "[Content_Types].xml", "_rels/",
	    "docProps/", "word/", "xl/", "ppt/" };

	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		size_t k = strlen(pre[i]);

		if (len >= k && memcmp(n, pre[i], k) == 0)
			return true;
	}
	return false;
}

/* Local file header at 0, end of central directory at the very end
 * (after its comment), central directory inside the file and, when we
 * hold those bytes, starting with its signature. */
static void
id_zip(const struct view *v, struct fmt_result *out)
{
	const uint8_t *p = at(v, 0, 30), *t, *cd;
	size_t tl;
	long e = -1;
	uint64_t eocd;
	uint32_t cdsize, cdoff;

	out->fmt = FMT_ZIP;
	if (p == NULL)
		return;
	if (p[4] > 100 || le16(p + 26) == 0)    /* version needed, name */
		return;
	if (at(v, 30, le16(p + 26)) != NULL &&
	    name_is_ooxml(at(v, 30, le16(p + 26)), le16(p + 26)))
		out->fmt = FMT_OOXML;
	if ((t = last(v, 65535 + 22, &tl)) == NULL) {
		out->valid = 1;
		return;
	}
	/* the EOCD is the last "PK\5\6" whose comment ends the file */
	for (size_t i = tl >= 22 ? tl - 22 + 1 : 0; i-- > 0;)
		if (memcmp(t + i, "PK\5\6", 4) == 0 &&
		    i + 22 + le16(t + i + 20) == tl) {
			e = (long)i;
			break;
		}
	if (e < 0)
		return;
	eocd = v->size - tl + (uint64_t)e;
	cdsize = le32(t + e + 12);
	cdoff = le32(t + e + 16);
	if (cdoff == 0xffffffffu || cdsize == 0xffffffffu) {  /* zip64 */
		out->valid = e >= 20 && memcmp(t + e - 20, "PK\6\7", 4) == 0;
		return;
	}
	if ((uint64_t)cdoff + cdsize > eocd)
		return;
	cd = at(v, cdoff, 46);
	if (cd != NULL && memcmp(cd, "PK\1\2", 4) != 0)
		return;
	if (out->fmt == FMT_ZIP && cd != NULL &&
	    at(v, (uint64_t)cdoff + 46, le16(cd + 28)) != NULL &&
	    name_is_ooxml(at(v, (uint64_t)cdoff + 46, le16(cd + 28)),
	    le16(cd + 28)))
		out->fmt = FMT_OOXML;
	out->valid = 1;
}

/* SOI, then marker segments with sane lengths up to the first SOS (or
 * as far as the head goes), and EOI in the last KiB. */
static int
valid_jpeg(const struct view *v)
{
	uint64_t pos = 2;
	int segs = 0;
	const uint8_t *t;
	size_t tl;

	for (;;) {
		const uint8_t *p = at(v, pos, 4);
		uint8_t m;

		if (p == NULL)
			break;          /* ran past the head: what we saw was fine */
		if (p[0] != 0xff)
			return 0;
		m = p[1];
		if (m == 0xff) {        /* fill byte */
			pos++;
			continue;
		}
		if (!((m >= 0xc0 && m <= 0xcf) || (m >= 0xdb && m <= 0xdf) ||
		    (m >= 0xe0 && m <= 0xef) || m == 0xfe || m == 0xda))
			return 0;
		if (be16(p + 2) < 2)
			return 0;
		segs++;
		if (m == 0xda || segs >= 32)
			break;
		pos += 2 + (uint64_t)be16(p + 2);
	}
	if (segs < 2)
		return 0;
	if ((t = last(v, 1024, &tl)) == NULL)
		return 1;
	return rfind(t, tl, "\xff\xd9", 2) >= 0;
}

/* Signature, IHDR with sane fields, chunk structure through the head,
 * and the constant 12-byte IEND chunk at the end. */
static int
valid_png(const struct view *v)
{
	static const uint8_t iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
	    0xae, 0x42, 0x60, 0x82 };
	const uint8_t *p = at(v, 8, 25), *t;
	uint64_t pos = 8;
	size_t tl;
	uint8_t depth, color;

	if (p == NULL || be32(p) != 13 || memcmp(p + 4, "IHDR", 4) != 0)
		return 0;
	depth = p[16];
	color = p[17];
	if (be32(p + 8) == 0 || be32(p + 12) == 0 || be32(p + 8) > 0x7fffffff ||
	    be32(p + 12) > 0x7fffffff || p[18] != 0 || p[19] != 0 || p[20] > 1)
		return 0;
	if (!((color == 0 && (depth == 1 || depth == 2 || depth == 4 ||
	    depth == 8 || depth == 16)) || (color == 3 && depth != 0 &&
	    depth <= 8 && (depth & (depth - 1)) == 0) || ((color == 2 || color == 4 ||
	    color == 6) && (depth == 8 || depth == 16))))
		return 0;
	for (int n = 0; n < 64 && (p = at(v, pos, 8)) != NULL; n++) {
		uint32_t len = be32(p);

		if (len > 0x7fffffff)
			return 0;
		for (int i = 4; i < 8; i++)
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= 'a' && p[i] <= 'z')))
				return 0;
		if (memcmp(p + 4, "IEND", 4) == 0)
			break;
		pos += 12 + (uint64_t)len;
		if (pos > v->size)
			return 0;
	}
	if ((t = last(v, 12, &tl)) == NULL)
		return 1;
	return tl == 12 && memcmp(t, iend, 12) == 0;
}

/* Byte order mark, first IFD offset inside the file, and when we hold
 * the IFD: an entry count in range and valid, ascending entries. */
static int
valid_tiff(const struct view *v)
{
	const uint8_t *p = at(v, 0, 16), *q;
	bool le, big;
	uint64_t ifd, n;
	unsigned prev = 0;
	size_t esz;

	if (p == NULL)
		return 0;
	le = p[0] == 'I';
	big = (le ? le16(p + 2) : be16(p + 2)) == 43;
	esz = big ? 20 : 12;
	if (big) {
		if ((le ? le16(p + 4) : be16(p + 4)) != 8)
			return 0;
		ifd = le ? le64(p + 8) : ((uint64_t)be32(p + 8) << 32 |
		    be32(p + 12));
	} else
		ifd = le ? le32(p + 4) : be32(p + 4);
	if (ifd < 8 || ifd >= v->size)
		return 0;
	if ((q = at(v, ifd, big ? 8 : 2)) == NULL)
		return 1;
	n = big ? (le ? le64(q) : ((uint64_t)be32(q) << 32 | be32(q + 4))) :
	    (le ? le16(q) : be16(q));
	if (n == 0 || n > 4096)
		return 0;
	for (unsigned i = 0; i < n && i < 16; i++) {
		const uint8_t *e = at(v, ifd + (big ? 8 : 2) + i * esz, esz);
		unsigned tag, type;

		if (e == NULL)
			break;
		tag = le ? le16(e) : be16(e);
		type = le ? le16(e + 2) : be16(e + 2);
		if (type == 0 || type > 18 || (i > 0 && tag <= prev))
			return 0;
		prev = tag;
	}
	return 1;
}

/* ---- DICOM ---- */

static bool
vr_ok(const uint8_t *p, bool *longform)
{
	static const char vrs[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSH"
	    "SLSQSSSTSVTMUCUIULUNURUSUTUV";
	static const char lng[] = "OBODOFOLOVOWSQUCUNURUTSVUV";

	for (size_t i = 0; i + 1 < sizeof vrs; i += 2)
		if (p[0] == vrs[i] && p[1] == vrs[i + 1]) {
			*longform = false;
			for (size_t k = 0; k + 1 < sizeof lng; k += 2)
				if (p[0] == lng[k] && p[1] == lng[k + 1])
					*longform = true;
			return true;
		}
	return false;
}

/* One explicit-VR little-endian element at pos: tag, value offset and
 * length.  0 if it does not parse. */
static int
dcm_elem(const struct view *v, uint64_t pos, uint16_t *group, uint16_t *elem,
    uint64_t *val, uint32_t *len)
{
	const uint8_t *p = at(v, pos, 8);
	bool lf;

	if (p == NULL || !vr_ok(p + 4, &lf))
		return 0;
	*group = le16(p);
	*elem = le16(p + 2);
	if (lf) {
		if ((p = at(v, pos, 12)) == NULL || p[6] != 0 || p[7] != 0)
			return 0;
		*len = le32(p + 8);
		*val = pos + 12;
	} else {
		*len = le16(p + 6);
		*val = pos + 8;
	}
	return 1;
}

static bool
is_uid(const uint8_t *p, uint32_t len)
{
	if (len == 0 || len > 64)
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' ||
		    (p[i] == 0 && i == len - 1) || (p[i] == ' ' && i == len - 1)))
			return false;
	return true;
}

/*
 * 128-byte preamble (anything), "DICM", then the group-0002 file meta
 * elements in explicit VR little endian: each with a known VR, ascending
 * tags, the group length (if present) landing exactly on the end of the
 * group, a UID-shaped transfer syntax, and a first data set element after
 * the group that parses in that transfer syntax.  Walking the elements
 * matters: Black Basta's 64-of-192 pattern leaves bytes 64..191 (and so
 * "DICM") intact but garbles the elements from byte 192 on.
 */
static int
valid_dicom(const struct view *v)
{
	uint64_t pos = 132, end = 0, val;
	uint16_t g, e, prev = 0;
	uint32_t len;
	int n = 0;
	bool ts = false, implicit = false;
	const uint8_t *p;

	while (n < 64) {
		if (!dcm_elem(v, pos, &g, &e, &val, &len)) {
			if (n == 0)
				return 0;
			break;  /* implicit-VR data set after the meta group */
		}
		if (g != 0x0002)
			break;
		if ((n > 0 && e <= prev) || len > 4096 || at(v, val, len) == NULL)
			return 0;
		p = at(v, val, len);
		if (e == 0x0000) {
			if (n != 0 || len != 4)
				return 0;
			end = val + 4 + le32(p);
		} else if (e == 0x0010) {
			if (!is_uid(p, len))
				return 0;
			ts = true;
			implicit = len >= 17 && memcmp(p, "1.2.840.10008.1.2", 17)
			    == 0 && (len == 17 || p[17] == 0 || p[17] == ' ');
		} else if (e == 0x0002 || e == 0x0003) {
			if (!is_uid(p, len))
				return 0;
		}
		prev = e;
		pos = val + len;
		n++;
	}
	if (!ts || n < 2 || (end != 0 && pos != end))
		return 0;
	/* the first data set element: group 0x0004 or above, parsing in the
	 * announced transfer syntax */
	if ((p = at(v, pos, 8)) == NULL)
		return pos >= v->size ? 0 : 1;
	if (le16(p) < 0x0004 || le16(p) == 0xffff)
		return 0;
	if (implicit)
		return le32(p + 4) == 0xffffffffu || le32(p + 4) <= v->size;
	return dcm_elem(v, pos, &g, &e, &val, &len);
}

/* ---- databases, archives, compressors ---- */

static int
valid_sqlite(const struct view *v)
{
	const uint8_t *p = at(v, 0, 100);
	uint32_t ps;

	if (p == NULL)
		return 0;
	ps = be16(p + 16) == 1 ? 65536 : be16(p + 16);
	if (ps < 512 || (ps & (ps - 1)) != 0)
		return 0;
	if (p[18] < 1 || p[18] > 2 || p[19] < 1 || p[19] > 2)
		return 0;
	if (p[21] != 64 || p[22] != 32 || p[23] != 32)
		return 0;
	return v->size % ps == 0;
}

static int
valid_gzip(const struct view *v)
{
	const uint8_t *p = at(v, 0, 10);
	uint64_t pos = 10;

	if (p == NULL || p[2] != 8 || (p[3] & 0xe0) != 0 || v->size < 18)
		return 0;
	if (p[8] != 0 && p[8] != 2 && p[8] != 4)
		return 0;
	if (p[9] > 13 && p[9] != 255)
		return 0;
	if (p[3] & 0x04) {              /* FEXTRA */
		const uint8_t *x = at(v, pos, 2);

		if (x == NULL)
			return 0;
		pos += 2 + (uint64_t)le16(x);
	}
	for (int f = 0x08; f <= 0x10; f <<= 1) {  /* FNAME, FCOMMENT */
		if (!(p[3] & f))
			continue;
		for (;;) {
			const uint8_t *c = at(v, pos++, 1);

			if (c == NULL || pos > 65536)
				return 0;
			if (*c == 0)
				break;
		}
	}
	return pos + 8 <= v->size;
}

static int
valid_xz(const struct view *v)
{
	const uint8_t *p = at(v, 0, 12), *t;
	size_t tl;

	if (p == NULL || p[6] != 0 || !(p[7] == 0 || p[7] == 1 || p[7] == 4 ||
	    p[7] == 10))
		return 0;
	if (v->size < 32 || v->size % 4 != 0)
		return 0;
	if ((t = last(v, 12, &tl)) == NULL)
		return 1;
	return tl == 12 && t[10] == 'Y' && t[11] == 'Z' && t[8] == p[6] &&
	    t[9] == p[7];
}

static int
valid_7z(const struct view *v)
{
	const uint8_t *p = at(v, 0, 32);
	uint64_t off, len;

	if (p == NULL || p[6] != 0 || p[7] > 9)
		return 0;
	off = le64(p + 12);
	len = le64(p + 20);
	return off <= v->size && len <= v->size && off + len + 32 <= v->size;
}

/* Binary OpenPGP message: gpg writes the session key packets (PKESK,
 * SKESK) first.  Only those are accepted, with their fields checked:
 * a one-byte tag match would call 1 in 100 random files "gpg". */
static int
valid_pgp(const struct view *v)
{
	const uint8_t *p = at(v, 0, 16);
	unsigned tag, hl;
	uint32_t len;

	if (p == NULL || !(p[0] & 0x80))
		return 0;
	if (p[0] & 0x40) {              /* new format */
		tag = p[0] & 0x3f;
		if (p[1] < 192) {
			len = p[1];
			hl = 2;
		} else if (p[1] < 224) {
			len = ((p[1] - 192u) << 8) + p[2] + 192;
			hl = 3;
		} else
			return 0;
	} else {
		tag = (p[0] >> 2) & 0x0f;
		switch (p[0] & 3) {
		case 0: len = p[1]; hl = 2; break;
		case 1: len = be16(p + 1); hl = 3; break;
		case 2: len = be32(p + 1); hl = 5; break;
		default: len = 0; hl = 1; break;
		}
	}
	if (hl + (uint64_t)len > v->size)
		return 0;
	switch (tag) {
	case 3:                         /* SKESK: gpg -c */
		return len >= 4 && len < 256 && p[hl] >= 4 && p[hl] <= 6 &&
		    p[hl + 1] >= 1 && p[hl + 1] <= 13 &&
		    (p[hl] != 4 || p[hl + 2] <= 4);
	case 1:                         /* PKESK v3: key id, algorithm */
		return len >= 12 && len < 1024 && p[hl] == 3 &&
		    (p[hl + 9] == 1 || p[hl + 9] == 2 || p[hl + 9] == 16 ||
		    p[hl + 9] == 18);
	default:
		return 0;
	}
}

static int
valid_tar(const struct view *v)
{
	const uint8_t *p = at(v, 0, 512);
	uint32_t sum = 0, want = 0;
	int digits = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : p[i];
	for (int i = 148; i < 156; i++) {
		if (p[i] >= '0' && p[i] <= '7') {
			want = want * 8 + (uint32_t)(p[i] - '0');
			digits++;
		} else if (p[i] != ' ' && p[i] != 0)
			return 0;
	}
	return digits > 0 && sum == want;
}

/*
 * ext2/3/4 superblock at 1024: counts and sizes consistent with each
 * other and with the image size, and the reserved tail of the superblock
 * (s_reserved, offsets 0x284..0x3fb since Linux 5.x's orphan file) zero.
 * The magic alone would survive Black Basta's and LockFile's patterns.
 */
static int
valid_extfs(const struct view *v)
{
	const uint8_t *s = at(v, 1024, 1024);
	uint64_t blocks, bsize;

	if (s == NULL)
		return 0;
	if (le32(s + 0x18) > 6 || le32(s + 0x14) > 1 || le32(s + 0x4c) > 1 ||
	    le16(s + 0x3a) > 7 || le16(s + 0x3c) < 1 || le16(s + 0x3c) > 3 ||
	    s[0x175] > 1)
		return 0;
	bsize = (uint64_t)1024 << le32(s + 0x18);
	blocks = le32(s + 0x04);
	if (le32(s + 0x60) & 0x80)      /* INCOMPAT_64BIT */
		blocks |= (uint64_t)le32(s + 0x150) << 32;
	if (le32(s) == 0 || blocks == 0 || le32(s + 0x10) > le32(s) ||
	    le32(s + 0x0c) > blocks || le32(s + 0x20) == 0)
		return 0;
	if (blocks > (v->size + bsize) / bsize)
		return 0;
	for (int i = 0x284; i < 0x3fc; i++)
		if (s[i] != 0)
			return 0;
	return 1;
}

/* A PostgreSQL heap/index page: 8 KiB pages, layout version 4, line
 * pointer area and free space inside the page. */
static int
valid_pgpage(const struct view *v)
{
	const uint8_t *p = at(v, 0, 24);
	unsigned lower, upper, special;

	if (p == NULL || v->size < 8192 || v->size % 8192 != 0)
		return 0;
	lower = le16(p + 12);
	upper = le16(p + 14);
	special = le16(p + 16);
	return le16(p + 18) == 0x2004 && le16(p + 10) <= 7 && lower >= 24 &&
	    lower <= upper && upper <= special && special <= 8192;
}

/* ---- text family ---- */

struct textscan {
	size_t n, ctrl, high, bad8;   /* bytes, controls, >= 0x80, bad UTF-8 */
};

/* A control byte that text does not have (NUL included). */
static bool
ctrl_byte(uint8_t c)
{
	return (c < 0x20 && c != '\t' && c != '\n' && c != '\r' &&
	    c != '\f' && c != 0x0b && c != 0x1b && c != '\b') || c == 0x7f;
}

/* Eight printable ASCII bytes (0x20-0x7e), the common case, tested at
 * once: no high bit, none below 0x20, none 0x7f.  The below-0x20 test
 * may report a byte that is not (a borrow), never miss one. */
static bool
printable8(const uint8_t *p)
{
	const uint64_t hi = 0x8080808080808080ull, ones = 0x0101010101010101ull;
	uint64_t w;

	memcpy(&w, p, 8);
	return (w & hi) == 0 && ((w - 0x20 * ones) & ~w & hi) == 0 &&
	    ((w + ones) & hi) == 0;
}

/* Count what makes bytes not text.  skip_partial: the buffer may start
 * inside a UTF-8 sequence (a tail). */
static void
scan_text(const uint8_t *p, size_t len, bool skip_partial, struct textscan *s)
{
	size_t i = 0;

	memset(s, 0, sizeof *s);
	if (skip_partial)
		while (i < len && i < 3 && (p[i] & 0xc0) == 0x80)
			i++;
	s->n = len - i;
	while (i < len) {
		uint8_t c = p[i];

		if (i + 8 <= len && printable8(p + i)) {
			i += 8;
			continue;
		}
		if (c < 0x80) {
			s->ctrl += ctrl_byte(c);
			i++;
			continue;
		}
		/* a UTF-8 sequence, or a Latin-1/CP1252 byte (s->bad8) */
		size_t k = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 :
		    c >= 0xc2 && c <= 0xdf ? 1 : 0;
		size_t j;

		s->high++;
		if (k == 0 || c > 0xf4) {
			s->bad8++;
			i++;
			continue;
		}
		for (j = 1; j <= k && i + j < len; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				break;
		if (i + j == len && j <= k) {   /* cut by the buffer end */
			i = len;
			break;
		}
		if (j <= k) {
			s->bad8++;
			i++;
			continue;
		}
		s->high += k;
		i += k + 1;
	}
}

/* Text: no NULs and almost no control bytes; high bytes either UTF-8 or
 * a modest share of a legacy 8-bit charset.  Random data has ~12 %
 * controls and ~50 % high bytes; ciphertext written over every other 16
 * or 64 bytes of text still has several per cent of both. */
static bool
is_text(const uint8_t *p, size_t len, bool tail)
{
	struct textscan s;

	if (len == 0)
		return false;
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe &&
	    p[1] == 0xff)) && !tail) {
		/* UTF-16 with a BOM: the high (or low) bytes are mostly 0 */
		size_t zeros = 0, hi = p[0] == 0xff;

		for (size_t i = 2 + hi; i < len; i += 2)
			zeros += p[i] == 0;
		return zeros * 2 >= (len - 2) / 2;
	}
	scan_text(p, len, tail, &s);
	if (s.n == 0)
		return tail;
	return s.ctrl * 200 <= s.n && s.bad8 * 20 <= s.n &&
	    memchr(p, 0, len) == NULL;
}

static bool
seg_id(const uint8_t *p, size_t n, uint8_t fs)
{
	if (n < 4 || p[3] != fs)
		return false;
	for (int i = 0; i < 3; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
			return false;
	return true;
}

/* HL7 v2: "MSH" + field separator + encoding characters, then segments
 * separated by CR (LF and CRLF tolerated), each a three-letter segment id + separator. */
static int
is_hl7(const uint8_t *p, size_t len)
{
	size_t i = 0, segs = 0;
	uint8_t fs;

	if (len > 0 && p[0] == 0x0b)    /* MLLP start block */
		i = 1;
	if (len - i < 9 || memcmp(p + i, "MSH", 3) != 0)
		return 0;
	fs = p[i + 3];
	if (fs < 0x21 || fs > 0x7e || (fs >= '0' && fs <= '9') ||
	    (fs >= 'A' && fs <= 'Z') || (fs >= 'a' && fs <= 'z'))
		return 0;
	for (int k = 4; k < 8; k++)
		if (p[i + k] < 0x21 || p[i + k] > 0x7e || p[i + k] == fs)
			return 0;
	while (i < len && segs < 32) {
		size_t j = i;

		while (j < len && p[j] != '\r' && p[j] != '\n')
			j++;
		if (j == len && segs > 0)
			break;          /* last, possibly cut, segment */
		if (j > i && !seg_id(p + i, j - i, fs))
			return 0;
		segs += j > i;
		while (j < len && (p[j] == '\r' || p[j] == '\n' || p[j] == 0x1c))
			j++;
		i = j;
	}
	return segs >= 1;
}

/* CSV: one delimiter (, ; TAB |) whose count outside quotes is the same
 * on at least 80 % of the first records, at least 2 records. */
static int
is_csv(const uint8_t *p, size_t len)
{
	enum { ND = 4, NREC = 32 };
	static const uint8_t delims[ND] = { ',', ';', '\t', '|' };
	uint8_t slot[256];
	unsigned cnt[ND][NREC], cur[ND + 1] = { 0 }, nrec = 0;
	bool q = false;

	/* one pass counts all four delimiters (slot ND counts nothing):
	 * the quote state does not depend on the delimiter */
	memset(slot, ND, sizeof slot);
	for (unsigned d = 0; d < ND; d++)
		slot[delims[d]] = (uint8_t)d;
	for (size_t i = 0; i < len && nrec < NREC; i++) {
		uint8_t c = p[i];

		if (c == '"')
			q = !q;
		else if (!q && c == '\n') {
			unsigned any = 0;

			for (unsigned d = 0; d < ND; d++) {
				cnt[d][nrec] = cur[d];
				any |= cur[d];
				cur[d] = 0;
			}
			/* a delimiter counts only if the first record has
			 * it: with none there, nothing can qualify */
			if (nrec++ == 0 && any == 0)
				return 0;
		} else if (!q)
			cur[slot[c]]++;
	}
	if (nrec < 2)
		return 0;
	for (unsigned d = 0; d < ND; d++) {
		unsigned same = 0;

		if (cnt[d][0] == 0)
			continue;
		for (unsigned r = 0; r < nrec; r++)
			same += cnt[d][r] == cnt[d][0];
		if (same * 5 >= nrec * 4)
			return 1;
	}
	return 0;
}

static int
b64_class(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return 1;
	if (c >= 'a' && c <= 'z')
		return 2;
	if ((c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' ||
	    c == '_')
		return 3;
	return 0;
}

/* A base64 blob: only the alphabet (and '=' padding), either on one line
 * or on lines of one fixed length (MIME 76, PEM 64), all three character
 * classes present and spread (a list of identifiers is not base64). */
static int
is_base64(const uint8_t *p, size_t len)
{
	size_t i, line = 0, width = 0, lines = 0, alpha = 0, pad = 0;
	unsigned seen = 0, h[64];
	int distinct = 0;

	memset(h, 0, sizeof h);
	for (i = 0; i < len; i++) {
		int k = b64_class(p[i]);

		if (k) {
			if (pad)
				return 0;               /* data after padding */
			seen |= 1u << k;
			alpha++;
			line++;
			h[p[i] & 63]++;
		} else if (p[i] == '=') {
			if (++pad > 2)
				return 0;
			line++;
		} else if (p[i] == '\n' || p[i] == '\r') {
			if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
				i++;
			if (line == 0 && i + 1 < len)
				return 0;
			if (width == 0)
				width = line;
			else if (line != width && i + 1 < len)
				return 0;               /* ragged lines */
			line = 0;
			lines++;
		} else
			return 0;
	}
	if (alpha < 64 || seen != 0xe || (width != 0 && (width < 16 ||
	    width % 4 != 0) && lines > 1))
		return 0;
	for (int k = 0; k < 64; k++)
		distinct += h[k] > 0;
	return distinct >= (alpha >= 1024 ? 48 : 24);
}

static void
id_text(const struct view *v, struct fmt_result *out)
{
	const uint8_t *t;
	size_t tl, n = v->headlen < v->size ? v->headlen : (size_t)v->size;

	out->fmt = FMT_UNKNOWN;
	if (n == 0 || !is_text(v->head, n, false))
		return;
	t = last(v, v->taillen, &tl);
	if (t != NULL && t != v->head + v->headlen - tl && tl > 0 &&
	    !is_text(t, tl, true))
		return;                 /* text head, binary tail */
	out->valid = 1;
	if (is_hl7(v->head, n))
		out->fmt = FMT_HL7;
	else if (is_base64(v->head, n))
		out->fmt = FMT_BASE64;
	else if (is_csv(v->head, n))
		out->fmt = FMT_CSV;
	else
		out->fmt = FMT_TEXT;
}

int format_other_packed(const uint8_t *head, size_t len);

/* ---- the table ---- */

static void
identify(const struct view *v, struct fmt_result *out)
{
	const uint8_t *h = v->head;
	size_t n = v->headlen;
	long pdf;

#define M(off, s) starts(v, off, s, sizeof(s) - 1)
#define SET(f, check) do { out->fmt = (f); out->valid = (check); return; } while (0)
	if (v->size == 0)
		SET(FMT_EMPTY, 1);
	if (M(128, "DICM"))
		SET(FMT_DICOM, valid_dicom(v));
	if (M(0, "%PDF-"))
		SET(FMT_PDF, valid_pdf(v, 0));
	if (M(0, "PK\3\4")) {
		id_zip(v, out);
		return;
	}
	if (M(0, "PK\5\6"))
		SET(FMT_ZIP, v->size == 22 + (uint64_t)(n >= 22 ? le16(h + 20) : 0));
	if (M(0, "\xff\xd8\xff"))
		SET(FMT_JPEG, valid_jpeg(v));
	if (M(0, "\x89PNG\r\n\x1a\n"))
		SET(FMT_PNG, valid_png(v));
	if ((M(0, "II") || M(0, "MM")) && n >= 16 &&
	    ((h[0] == 'I' && (le16(h + 2) == 42 || le16(h + 2) == 43)) ||
	    (h[0] == 'M' && (be16(h + 2) == 42 || be16(h + 2) == 43))))
		SET(FMT_TIFF, valid_tiff(v));
	if (M(0, "SQLite format 3\0"))
		SET(FMT_SQLITE, valid_sqlite(v));
	if (M(0, "\x1f\x8b"))
		SET(FMT_GZIP, valid_gzip(v));
	if (M(0, "\x28\xb5\x2f\xfd"))
		SET(FMT_ZSTD, n >= 5 && (h[4] & 0x08) == 0 && v->size >= 9);
	if (n >= 4 && (le32(h) & 0xfffffff0u) == 0x184d2a50u)  /* skippable */
		SET(FMT_ZSTD, v->size >= 8);
	if (M(0, "\xfd" "7zXZ\0"))
		SET(FMT_XZ, valid_xz(v));
	if (M(0, "BZh") && n >= 10 && h[3] >= '1' && h[3] <= '9')
		SET(FMT_BZIP2, memcmp(h + 4, "\x31\x41\x59\x26\x53\x59", 6) == 0 ||
		    memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0);
	if (M(0, "7z\xbc\xaf\x27\x1c"))
		SET(FMT_7Z, valid_7z(v));
	if (M(0, "Salted__"))
		SET(FMT_OPENSSL_ENC, v->size >= 32);
	if (M(0, "\x7f" "ELF"))
		SET(FMT_ELF, n >= 7 && (h[4] == 1 || h[4] == 2) &&
		    (h[5] == 1 || h[5] == 2) && h[6] == 1);
	if (M(0, "PACK"))
		SET(FMT_GIT_PACK, n >= 12 && (be32(h + 4) == 2 || be32(h + 4) == 3)
		    && v->size >= 32);
	if (M(257, "ustar"))
		SET(FMT_TAR, valid_tar(v) && v->size % 512 == 0);
	if (M(1080, "\x53\xef"))
		SET(FMT_EXT_FS, valid_extfs(v));
	if (M(0, "-----BEGIN PGP MESSAGE-----"))
		SET(FMT_GPG, 1);
	if (valid_pgp(v))
		SET(FMT_GPG, 1);
	if (valid_pgpage(v))
		SET(FMT_POSTGRES_PAGE, 1);
	if (format_other_packed(h, n))
		return;                 /* lz4 and co. may carry "%PDF-" */
	/* the PDF header may follow some junk (allowed in the first KiB) */
	if ((pdf = rfind(h, n < 1024 ? n : 1024, "%PDF-", 5)) >= 0)
		SET(FMT_PDF, valid_pdf(v, (size_t)pdf));
#undef SET
#undef M
	id_text(v, out);
}

void
format_identify(const uint8_t *head, size_t headlen, const uint8_t *tail,
    size_t taillen, uint64_t size, struct fmt_result *out)
{
	struct view v = view_make(head, headlen, tail, taillen, size);

	out->fmt = FMT_UNKNOWN;
	out->valid = 0;
	identify(&v, out);
}

const char *
format_name(enum fmt f)
{
	static const char *const names[FMT__COUNT] = {
		[FMT_UNKNOWN] = "unknown", [FMT_EMPTY] = "empty",
		[FMT_TEXT] = "text", [FMT_CSV] = "csv", [FMT_HL7] = "hl7",
		[FMT_BASE64] = "base64", [FMT_PDF] = "pdf", [FMT_ZIP] = "zip",
		[FMT_OOXML] = "ooxml", [FMT_JPEG] = "jpeg", [FMT_PNG] = "png",
		[FMT_TIFF] = "tiff", [FMT_DICOM] = "dicom",
		[FMT_SQLITE] = "sqlite", [FMT_GZIP] = "gzip",
		[FMT_ZSTD] = "zstd", [FMT_XZ] = "xz", [FMT_BZIP2] = "bzip2",
		[FMT_7Z] = "7z", [FMT_GPG] = "gpg",
		[FMT_OPENSSL_ENC] = "openssl-enc", [FMT_TAR] = "tar",
		[FMT_ELF] = "elf", [FMT_EXT_FS] = "ext-fs",
		[FMT_GIT_PACK] = "git-pack",
		[FMT_POSTGRES_PAGE] = "postgres-page",
	};

	if ((unsigned)f >= FMT__COUNT || names[f] == NULL)
		return "?";
	return names[f];
}

int
format_is_packed(enum fmt f)
{
	switch (f) {
	case FMT_GZIP: case FMT_ZSTD: case FMT_XZ: case FMT_BZIP2:
	case FMT_7Z: case FMT_ZIP: case FMT_GPG: case FMT_OPENSSL_ENC:
		return 1;
	default:
		return 0;
	}
}

int
format_is_text(enum fmt f)
{
	return f == FMT_TEXT || f == FMT_CSV || f == FMT_HL7 || f == FMT_BASE64;
}

/* Output of a compressor or encryptor this table has no enum value for
 * (lz4, lzip, lzma, lzop, rar, cab, age, zpaq, brotli framing):
 * compare.c treats a replacement by one as packed, not as ransomware.
 * Not in analyse.h: compare.c declares it (keep the two in step). */
int
format_other_packed(const uint8_t *head, size_t len)
{
	static const struct { const char *m; size_t n; } tab[] = {
		{ "\x04\x22\x4d\x18", 4 },              /* lz4 frame */
		{ "LZIP", 4 },
		{ "\x89LZO\0\r\n\x1a\n", 9 },          /* lzop */
		{ "Rar!\x1a\x07", 6 },
		{ "MSCF\0\0\0\0", 8 },                  /* cab */
		{ "age-encryption.org/v1\n", 22 },
		{ "-----BEGIN AGE ENCRYPTED FILE-----", 34 },
		{ "7kSt\xa0\x31\x83\xd3\x8c\xb2\x28\xb0\xd3", 13 }, /* zpaq */
		{ "\xce\xb2\xcf\x81", 4 },              /* brotli framing */
	};

	if (head == NULL)
		return 0;
	/* lzma "alone": properties 0x5d, a power-of-two dictionary */
	if (len >= 13 && head[0] == 0x5d && le32(head + 1) >= 4096 &&
	    (le32(head + 1) & (le32(head + 1) - 1)) == 0)
		return 1;
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (len >= tab[i].n && memcmp(head, tab[i].m, tab[i].n) == 0)
			return 1;
	return 0;
}

/* DICOM transfer syntaxes whose pixel data is stored raw. */
static bool
dicom_raw(const struct view *v)
{
	static const char *const raw[] = { "1.2.840.10008.1.2",
	    "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2" };
	uint64_t pos = 132, val;
	uint16_t g, e;
	uint32_t len;

	for (int n = 0; n < 64 && dcm_elem(v, pos, &g, &e, &val, &len) &&
	    g == 0x0002; n++) {
		const uint8_t *p = at(v, val, len);

		if (p == NULL)
			return false;
		if (e == 0x0010) {
			while (len > 0 && (p[len - 1] == 0 || p[len - 1] == ' '))
				len--;
			for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
				if (len == strlen(raw[i]) &&
				    memcmp(p, raw[i], len) == 0)
					return true;
			return false;
		}
		pos = val + len;
	}
	return false;
}

/* TIFF Compression tag (259) of the first IFD, when we hold it: 1 is
 * uncompressed; -1 when unknown. */
static int
tiff_compression(const struct view *v)
{
	const uint8_t *p = at(v, 0, 8), *q;
	bool le;
	uint64_t ifd;
	unsigned n;

	if (p == NULL || (le16(p + 2) != 42 && be16(p + 2) != 42))
		return -1;              /* BigTIFF: not looked at */
	le = p[0] == 'I';
	ifd = le ? le32(p + 4) : be32(p + 4);
	if ((q = at(v, ifd, 2)) == NULL)
		return -1;
	n = le ? le16(q) : be16(q);
	for (unsigned i = 0; i < n && i < 4096; i++) {
		const uint8_t *e = at(v, ifd + 2 + (uint64_t)i * 12, 12);

		if (e == NULL)
			return -1;
		if ((le ? le16(e) : be16(e)) == 259)
			return le ? le16(e + 8) : be16(e + 8);
	}
	return 1;                       /* absent: the default, none */
}

/*
 * Is the payload of this (valid) file normally compressed, i.e. random-
 * looking?  JPEG scans, PNG/ZIP/PDF deflate streams, archives: yes.  A
 * DICOM with a raw transfer syntax or an uncompressed TIFF: no -- if
 * their pixel data turns random under an intact header, something other
 * than an image tool wrote it.  Text, SQLite, tar, file systems and
 * PostgreSQL pages: no (they may hold compressed blobs; compare.c only
 * calls that suspect).  Not in analyse.h: compare.c declares it.
 */
int format_compressed_payload(const uint8_t *head, size_t headlen,
    const uint8_t *tail, size_t taillen, uint64_t size, enum fmt f);

int
format_compressed_payload(const uint8_t *head, size_t headlen,
    const uint8_t *tail, size_t taillen, uint64_t size, enum fmt f)
{
	struct view v = view_make(head, headlen, tail, taillen, size);

	switch (f) {
	case FMT_JPEG: case FMT_PNG: case FMT_ZIP: case FMT_OOXML:
	case FMT_PDF: case FMT_GZIP: case FMT_ZSTD: case FMT_XZ:
	case FMT_BZIP2: case FMT_7Z: case FMT_GPG: case FMT_OPENSSL_ENC:
	case FMT_GIT_PACK:
		return 1;
	case FMT_DICOM:
		return !dicom_raw(&v);
	case FMT_TIFF:
		return tiff_compression(&v) != 1;
	default:
		return 0;
	}
}
