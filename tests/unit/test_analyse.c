/*
 * test_analyse.c - table-driven unit tests of src/analyse: the block
 * statistics, format identification and validity, and the verdicts of
 * analyse_buffers / analyse_pair / analyse_replacement on synthetic
 * files attacked the way the ransomware families in eval/sim/ransim.c
 * attack them, and changed the way benign programs change them.
 *
 * Owns only this file.  Every sample is generated here from a fixed seed
 * (minimal but structurally valid PDF, OOXML, JPEG, PNG, TIFF, DICOM,
 * SQLite, gzip, ext4, tar, HL7, CSV, notes, logs); the "cipher" is a
 * splitmix64 keystream, as uniform as AES-CTR for these statistics.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/analyse/analyse.h"

/* ---- growable byte buffers ---- */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

static void
put(struct buf *b, const void *src, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n > 0)
		memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }
static void put8(struct buf *b, unsigned v) { uint8_t c = (uint8_t)v; put(b, &c, 1); }
static void put16le(struct buf *b, unsigned v) { put8(b, v); put8(b, v >> 8); }
static void put16be(struct buf *b, unsigned v) { put8(b, v >> 8); put8(b, v); }
static void
put32le(struct buf *b, uint32_t v)
{
	put16le(b, v & 0xffff);
	put16le(b, v >> 16);
}
static void
put32be(struct buf *b, uint32_t v)
{
	put16be(b, v >> 16);
	put16be(b, v & 0xffff);
}

static void
putf(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof tmp);
	put(b, tmp, (size_t)n);
}

static void
zeros(struct buf *b, size_t n)
{
	while (n-- > 0)
		put8(b, 0);
}

static void
set32le(struct buf *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[off + i] = (uint8_t)(v >> (8 * i));
}

/* ---- deterministic randomness ---- */

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void
put_random(struct buf *b, size_t n, uint64_t seed)
{
	while (n > 0) {
		uint64_t v = splitmix(&seed);
		size_t k = n < 8 ? n : 8;

		put(b, &v, k);
		n -= k;
	}
}

/* Stand-in for the entropy-coded data of JPEG scans: random bytes with
 * 0xFF stuffed as FF 00, never a marker. */
static void
put_scan(struct buf *b, size_t n, uint64_t seed)
{
	while (n > 0) {
		uint8_t c = (uint8_t)splitmix(&seed);

		put8(b, c);
		n--;
		if (c == 0xff && n > 0) {
			put8(b, 0);
			n--;
		}
	}
}

static void
put_words(struct buf *b, size_t n, uint64_t seed)
{
	static const char *const w[] = { "patient", "stable", "ward", "obs",
	    "overnight", "review", "bloods", "plan", "discharge", "pain",
	    "score", "mobilising", "nurse", "daily", "fluids", "ok" };
	size_t start = b->n;

	while (b->n - start < n) {
		puts_(b, w[splitmix(&seed) % 16]);
		puts_(b, splitmix(&seed) % 9 == 0 ? ".\n" : " ");
	}
	b->n = start + n;
}

/* ---- generators: structurally valid files ---- */

enum gen {
	G_PDF, G_OOXML, G_ZIP, G_JPEG, G_PNG, G_TIFF, G_DICOM, G_SQLITE,
	G_GZIP, G_TAR, G_EXT4, G_HL7, G_CSV, G_NOTES, G_LOG, G_VMX, G_B64,
	G_RANDOM, G_STRUCT, G_ZEROS, G_PGXACT, G_TIFFZ, G_DICOMJ, G_EMPTY,
	G_TINY, G_BIG
};

static void
gen_pdf(struct buf *b, uint64_t seed)
{
	size_t xref;

	puts_(b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	puts_(b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	puts_(b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	puts_(b, "4 0 obj\n<< /Length 12000 /Filter /FlateDecode >>\nstream\n");
	put_random(b, 12000, seed);
	puts_(b, "\nendstream\nendobj\n5 0 obj\n<< /Length 20000 >>\nstream\n");
	put_words(b, 20000, seed + 1);
	puts_(b, "\nendstream\nendobj\n");
	xref = b->n;
	puts_(b, "xref\n0 6\n0000000000 65535 f \n");
	for (int i = 1; i < 6; i++)
		putf(b, "%010d 00000 n \n", 15 + i * 40);
	puts_(b, "trailer\n<< /Size 6 /Root 1 0 R >>\n");
	putf(b, "startxref\n%zu\n%%%%EOF\n", xref);
}

/* A stored-entry zip; the first member's name decides OOXML or not. */
static void
gen_zipfile(struct buf *b, const char *const *names, int n, uint64_t seed)
{
	size_t off[8], cd;

	for (int i = 0; i < n; i++) {
		struct buf body = { 0 };

		put_words(&body, 3000 + 500 * (size_t)i, seed + (uint64_t)i);
		off[i] = b->n;
		puts_(b, "PK\3\4");
		put16le(b, 20);
		put16le(b, 0);
		put16le(b, 0);                  /* stored */
		put32le(b, 0);
		put32le(b, 0x12345678);         /* crc: not checked */
		put32le(b, (uint32_t)body.n);
		put32le(b, (uint32_t)body.n);
		put16le(b, (unsigned)strlen(names[i]));
		put16le(b, 0);
		puts_(b, names[i]);
		put(b, body.p, body.n);
		free(body.p);
	}
	cd = b->n;
	for (int i = 0; i < n; i++) {
		puts_(b, "PK\1\2");
		put16le(b, 20);
		put16le(b, 20);
		zeros(b, 12);
		put32le(b, 0);
		put32le(b, 0);
		put16le(b, (unsigned)strlen(names[i]));
		zeros(b, 12);
		put32le(b, (uint32_t)off[i]);
		puts_(b, names[i]);
	}
	puts_(b, "PK\5\6");
	zeros(b, 4);
	put16le(b, (unsigned)n);
	put16le(b, (unsigned)n);
	put32le(b, (uint32_t)(b->n - cd - 12));
	put32le(b, (uint32_t)cd);
	put16le(b, 0);
}

static void
gen_jpeg(struct buf *b, size_t scan, uint64_t seed)
{
	static const uint8_t head[] = {
		0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1,
		0, 0, 1, 0, 1, 0, 0,
	};
	static const uint8_t sof[] = { 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01,
	    0x00, 0x01, 0x00, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03,
	    0x11, 0x01 };
	static const uint8_t sos[] = { 0xff, 0xda, 0x00, 0x0c, 0x03, 0x01,
	    0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3f, 0x00 };

	put(b, head, sizeof head);
	put8(b, 0xff); put8(b, 0xdb); put16be(b, 67); put8(b, 0);
	for (int i = 0; i < 64; i++)
		put8(b, 2 + i / 4);
	put(b, sof, sizeof sof);
	put8(b, 0xff); put8(b, 0xc4); put16be(b, 31); put8(b, 0);
	for (int i = 0; i < 16; i++)
		put8(b, i == 1 ? 12 : 0);
	for (int i = 0; i < 12; i++)
		put8(b, i);
	put(b, sos, sizeof sos);
	put_scan(b, scan, seed);
	put8(b, 0xff);
	put8(b, 0xd9);
}

static void
gen_png(struct buf *b, uint64_t seed)
{
	static const uint8_t iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
	    0xae, 0x42, 0x60, 0x82 };

	puts_(b, "\x89PNG\r\n\x1a\n");
	put32be(b, 13);
	puts_(b, "IHDR");
	put32be(b, 128);
	put32be(b, 96);
	put8(b, 8); put8(b, 2); put8(b, 0); put8(b, 0); put8(b, 0);
	put32be(b, 0xdeadbeef);                 /* crc: not checked */
	put32be(b, 24000);
	puts_(b, "IDAT");
	put_random(b, 24000, seed);
	put32be(b, 0x01020304);
	put(b, iend, sizeof iend);
}

/* Uncompressed grey TIFF (compression 1) or "deflate" (8, random strip). */
static void
gen_tiff(struct buf *b, int compression, uint64_t seed)
{
	static const uint16_t tags[] = { 256, 257, 258, 259, 262, 273, 277,
	    278, 279 };
	const uint32_t w = 256, h = 256, data = 8 + 2 + 9 * 12 + 4;

	put(b, "II*\0", 4);
	put32le(b, 8);
	put16le(b, 9);
	for (int i = 0; i < 9; i++) {
		uint32_t v = tags[i] == 256 ? w : tags[i] == 257 ? h :
		    tags[i] == 258 ? 8 : tags[i] == 259 ? (uint32_t)compression :
		    tags[i] == 262 ? 1 : tags[i] == 273 ? data :
		    tags[i] == 277 ? 1 : tags[i] == 278 ? h : w * h;

		put16le(b, tags[i]);
		put16le(b, tags[i] == 273 || tags[i] == 279 ? 4 : 3);
		put32le(b, 1);
		put32le(b, v);
	}
	put32le(b, 0);
	if (compression == 1) {
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++)
				put8(b, (x + y) / 2 + (splitmix(&seed) & 7));
	} else
		put_random(b, w * h / 3, seed);
}

static void
dcm_el(struct buf *b, unsigned g, unsigned e, const char *vr, const void *v,
    size_t n)
{
	bool lf = strstr("OBODOFOLOVOWSQUCUNURUTSVUV", vr) != NULL;

	put16le(b, g);
	put16le(b, e);
	puts_(b, vr);
	if (lf) {
		put16le(b, 0);
		put32le(b, (uint32_t)n);
	} else
		put16le(b, (unsigned)n);
	put(b, v, n);
}

static void
dcm_uid(struct buf *b, unsigned e, const char *uid)
{
	char tmp[70];
	size_t n = strlen(uid);

	memcpy(tmp, uid, n);
	if (n % 2)
		tmp[n++] = 0;
	dcm_el(b, 2, e, "UI", tmp, n);
}

/* CT image: explicit VR little endian (raw) or JPEG lossless (random,
 * encapsulated pixel data), 128x256 16-bit pixels. */
static void
gen_dicom(struct buf *b, bool jpeg, uint64_t seed)
{
	size_t glen;
	const size_t npix = 128 * 256;

	zeros(b, 128);
	puts_(b, "DICM");
	dcm_el(b, 2, 0, "UL", "\0\0\0\0", 4);
	glen = b->n;
	dcm_el(b, 2, 1, "OB", "\0\1", 2);
	dcm_uid(b, 2, "1.2.840.10008.5.1.4.1.1.2");
	dcm_uid(b, 3, "1.2.826.0.1.3680043.9.7391.2273274523416145");
	dcm_uid(b, 0x10, jpeg ? "1.2.840.10008.1.2.4.70" :
	    "1.2.840.10008.1.2.1");
	dcm_uid(b, 0x12, "1.2.276.0.7230010.3.0.3.6.7");
	set32le(b, glen - 4, (uint32_t)(b->n - glen));
	dcm_el(b, 8, 0x60, "CS", "CT", 2);
	dcm_el(b, 0x10, 0x10, "PN", "DOE^JOHN", 8);
	dcm_el(b, 0x28, 0x10, "US", "\0\1", 2);
	if (!jpeg) {
		put16le(b, 0x7fe0); put16le(b, 0x10); puts_(b, "OW");
		put16le(b, 0); put32le(b, (uint32_t)(npix * 2));
		for (size_t i = 0; i < npix; i++)
			put16le(b, (unsigned)((i % 256) * 8 + (i / 256) * 4 +
			    (splitmix(&seed) & 31)) & 0x0fff);
	} else {
		put16le(b, 0x7fe0); put16le(b, 0x10); puts_(b, "OB");
		put16le(b, 0); put32le(b, 0xffffffff);
		put16le(b, 0xfffe); put16le(b, 0xe000); put32le(b, 0);
		put16le(b, 0xfffe); put16le(b, 0xe000); put32le(b, 30000);
		put_scan(b, 30000, seed);
		put16le(b, 0xfffe); put16le(b, 0xe0dd); put32le(b, 0);
	}
}

static void
gen_sqlite(struct buf *b, uint64_t seed)
{
	static const char hdr[16] = "SQLite format 3";  /* + NUL */

	put(b, hdr, 16);
	put16be(b, 4096);
	put8(b, 1); put8(b, 1); put8(b, 0); put8(b, 64); put8(b, 32); put8(b, 32);
	put32be(b, 3); put32be(b, 16);
	zeros(b, 100 - 32);
	while (b->n < 16 * 4096) {
		putf(b, "%c%crow %llu value %llu flag %c|",
		    (int)(splitmix(&seed) % 16), 0,
		    (unsigned long long)(b->n / 40),
		    (unsigned long long)(splitmix(&seed) % 10000),
		    (int)('A' + splitmix(&seed) % 3));
	}
	b->n = 16 * 4096;
}

static void
gen_gzip(struct buf *b, uint64_t seed)
{
	static const uint8_t h[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

	put(b, h, sizeof h);
	put_random(b, 30000, seed);             /* the deflate stream */
	put32le(b, 0xcafebabe);
	put32le(b, 90000);
}

static void
gen_tar(struct buf *b, uint64_t seed)
{
	uint8_t h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	strcpy((char *)h, "hl7_archive/msg0001.hl7");
	memcpy(h + 100, "0000644\0" "0000000\0" "0000000\0", 24);
	memcpy(h + 124, "00000017000\0", 12);
	memcpy(h + 136, "14712345670\0", 12);
	memset(h + 148, ' ', 8);
	h[156] = '0';
	memcpy(h + 257, "ustar\0" "00", 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	put(b, h, sizeof h);
	put_words(b, 8192 - 512, seed);
	zeros(b, 1024);
}

/* A sparse ext4-like image of 4 MiB: superblock, some metadata, zeros. */
static void
gen_ext4(struct buf *b, uint64_t seed)
{
	const size_t size = 4 * 1024 * 1024;
	size_t sb = 1024;

	zeros(b, size);
	set32le(b, sb + 0x00, 1024);            /* inodes */
	set32le(b, sb + 0x04, (uint32_t)(size / 1024));
	set32le(b, sb + 0x0c, 3000);            /* free blocks */
	set32le(b, sb + 0x10, 1000);            /* free inodes */
	set32le(b, sb + 0x14, 1);               /* first data block */
	set32le(b, sb + 0x18, 0);               /* 1 KiB blocks */
	set32le(b, sb + 0x20, 8192);            /* blocks per group */
	b->p[sb + 0x38] = 0x53;
	b->p[sb + 0x39] = 0xef;
	b->p[sb + 0x3a] = 1;                    /* state clean */
	b->p[sb + 0x3c] = 1;                    /* errors continue */
	set32le(b, sb + 0x4c, 1);               /* dynamic rev */
	for (int i = 0; i < 16; i++)            /* uuid, volume name */
		b->p[sb + 0x68 + i] = (uint8_t)splitmix(&seed);
	memcpy(b->p + sb + 0x78, "pacs-root", 9);
	for (size_t off = 8192; off < 8192 + 16384; off++)  /* inode table */
		b->p[off] = (uint8_t)(off % 128 < 40 ? splitmix(&seed) % 8 : 0);
	for (size_t off = 1 << 20; off < (1 << 20) + 200000; off++)  /* a log */
		b->p[off] = (uint8_t)("2025-02-22T00:00:11Z backup: ok\n"[off % 32]);
}

static void
gen_hl7(struct buf *b)
{
	puts_(b, "MSH|^~\\&|LIS|STMARYS|EPR|STMARYS|20241231222715||ORU^R01|"
	    "MSG680126067|P|2.4\rPID|1||6095288^^^STMARYS^MR||McCarthy^David"
	    "||19990414|M\rOBR|1|MSG680126067|5099613|WBC\rOBX|1|NM|WBC||7.1|"
	    "10*9/L|4.0-11.0|N|||F\r");
}

static void
gen_csv(struct buf *b, uint64_t seed)
{
	puts_(b, "sample_id,mrn,test_code,test_name,value,units,flag,collected_at\n");
	for (int i = 0; i < 60; i++)
		putf(b, "S%08llu,%07llu,NA,Sodium,%llu.%llu,mmol/L,%c,2024-10-%02dT05:09\n",
		    (unsigned long long)(splitmix(&seed) % 100000000),
		    (unsigned long long)(splitmix(&seed) % 10000000),
		    (unsigned long long)(130 + splitmix(&seed) % 20),
		    (unsigned long long)(splitmix(&seed) % 10),
		    "HLN"[splitmix(&seed) % 3], 1 + i % 28);
}

static void
gen_notes(struct buf *b, uint64_t seed)
{
	puts_(b, "Shift handover ICU 16/01/2025 night\n\n");
	put_words(b, 6000, seed);
	puts_(b, "\n");
}

static void
gen_log(struct buf *b, uint64_t seed)
{
	for (int i = 0; i < 300; i++)
		putf(b, "2025-02-22T00:%02d:%02dZ hl7-router[1001]: INFO job %llu "
		    "finished in %llu ms\n", i / 60, i % 60,
		    (unsigned long long)(splitmix(&seed) % 100000),
		    (unsigned long long)(splitmix(&seed) % 10000));
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64(struct buf *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? p[i + 1] : 0) << 8 |
		    (i + 2 < n ? p[i + 2] : 0);

		put8(out, b64chars[v >> 18]);
		put8(out, b64chars[(v >> 12) & 63]);
		put8(out, i + 1 < n ? b64chars[(v >> 6) & 63] : '=');
		put8(out, i + 2 < n ? b64chars[v & 63] : '=');
	}
}

static void
gen(struct buf *b, enum gen g, uint64_t seed)
{
	static const char *const ooxml[] = { "[Content_Types].xml", "_rels/.rels",
	    "word/document.xml" };
	static const char *const plain[] = { "minutes/2023-01.txt",
	    "minutes/2023-02.txt" };

	switch (g) {
	case G_PDF: gen_pdf(b, seed); break;
	case G_OOXML: gen_zipfile(b, ooxml, 3, seed); break;
	case G_ZIP: gen_zipfile(b, plain, 2, seed); break;
	case G_JPEG: gen_jpeg(b, 40000, seed); break;
	case G_PNG: gen_png(b, seed); break;
	case G_TIFF: gen_tiff(b, 1, seed); break;
	case G_TIFFZ: gen_tiff(b, 8, seed); break;
	case G_DICOM: gen_dicom(b, false, seed); break;
	case G_DICOMJ: gen_dicom(b, true, seed); break;
	case G_SQLITE: gen_sqlite(b, seed); break;
	case G_GZIP: gen_gzip(b, seed); break;
	case G_TAR: gen_tar(b, seed); break;
	case G_EXT4: gen_ext4(b, seed); break;
	case G_HL7: gen_hl7(b); break;
	case G_CSV: gen_csv(b, seed); break;
	case G_NOTES: gen_notes(b, seed); break;
	case G_LOG: gen_log(b, seed); break;
	case G_VMX:
		puts_(b, ".encoding = \"UTF-8\"\nconfig.version = \"8\"\n"
		    "virtualHW.version = \"19\"\ndisplayName = \"PACS-test\"\n"
		    "guestOS = \"debian12-64\"\nmemsize = \"4096\"\n"
		    "scsi0:0.fileName = \"PACS-test.vmdk\"\n");
		break;
	case G_B64: {
		struct buf r = { 0 };

		put_random(&r, 3000, seed);
		b64(b, r.p, r.n);
		free(r.p);
		break;
	}
	case G_RANDOM: put_random(b, 8684, seed); break;
	case G_STRUCT:                  /* records of small integers */
		for (uint32_t i = 0; i < 6000; i++)
			put32le(b, i * 7 % 1000);
		break;
	case G_ZEROS: zeros(b, 65536); break;
	case G_PGXACT:
		zeros(b, 8192);
		memset(b->p, 0x55, 100);
		break;
	case G_EMPTY: break;
	case G_TINY: puts_(b, "4242\n"); break;
	case G_BIG:                     /* 24 MiB of text records */
		while (b->n < 24 * 1024 * 1024)
			putf(b, "%08zu,ward %zu,patient stable,obs %zu\n", b->n,
			    b->n % 40, b->n % 97);
		break;
	}
}

/* ---- transformations ---- */

enum xf {
	X_SAME, X_WHOLE, X_HEAD4K, X_BB, X_LF16, X_SPOT, X_CHUNKS, X_ONOFF,
	X_HEAD1M, X_BASE64, X_FLIP, X_OTRUNC, X_TRUNC0, X_FILL,
	/* benign */
	X_SED, X_APPEND, X_CASE, X_REGEN, X_ANON, X_PGUPDATE, X_PDFINCR,
	X_ZERO2RAND, X_PGCOMMIT, X_RERANDOM, X_SHRINK, X_B64PLAIN
};

/* The "cipher": XOR with a splitmix64 keystream. */
static void
cipher(uint8_t *p, size_t n, uint64_t *ks)
{
	for (size_t i = 0; i < n; i++)
		p[i] ^= (uint8_t)splitmix(ks);
}

static void
footer(struct buf *b, size_t n, uint64_t seed)
{
	put_random(b, n, seed ^ 0xf00d);
}

/* Apply x to a copy of `in`; benign transforms may regenerate from g. */
static void
xform(const struct buf *in, enum gen g, enum xf x, struct buf *out)
{
	uint64_t ks = 0xabcdef;
	size_t n = in->n;

	put(out, in->p, in->n);
	switch (x) {
	case X_SAME:
		break;
	case X_WHOLE:
		cipher(out->p, n, &ks);
		footer(out, 512, 1);
		break;
	case X_HEAD4K:
		cipher(out->p, n < 4096 ? n : 4096, &ks);
		footer(out, 512, 2);
		break;
	case X_HEAD1M:
		cipher(out->p, n < (1 << 20) ? n : (1 << 20), &ks);
		footer(out, 512, 3);
		break;
	case X_BB:
		for (size_t o = 0; o < n; o += 192)
			cipher(out->p + o, n - o < 64 ? n - o : 64, &ks);
		footer(out, 512, 4);
		break;
	case X_LF16:
		for (size_t o = 0; o < n; o += 32)
			cipher(out->p + o, n - o < 16 ? n - o : 16, &ks);
		break;
	case X_SPOT: {                  /* Akira spot: 2 or 4 spots, 10 % */
		int spots = n <= 2000000 ? 2 : 4;
		size_t len = n / 10 / (size_t)spots;

		if (len < 4096)
			len = 4096;
		if (len * (size_t)spots >= n)
			cipher(out->p, n, &ks);
		else
			for (int i = 0; i < spots; i++)
				cipher(out->p + n / (size_t)spots * (size_t)i, len, &ks);
		footer(out, 534, 5);
		break;
	}
	case X_CHUNKS:                  /* Conti > 5 MiB: 5 x 10 % */
		for (int i = 0; i < 5; i++)
			cipher(out->p + n / 10 * 2 * (size_t)i, n / 10, &ks);
		footer(out, 534, 6);
		break;
	case X_ONOFF:                   /* 1 MiB on / 1 MiB off */
		for (size_t o = 0; o < n; o += 2 << 20)
			cipher(out->p + o, n - o < (1 << 20) ? n - o : (1 << 20), &ks);
		break;
	case X_BASE64: {
		struct buf c = { 0 };

		put(&c, in->p, n);
		cipher(c.p, n, &ks);
		out->n = 0;
		b64(out, c.p, c.n);
		free(c.p);
		break;
	}
	case X_FLIP:
		for (size_t i = 0; i < n; i++)
			out->p[i] ^= 0xff;
		break;
	case X_OTRUNC:
		cipher(out->p, n, &ks);
		footer(out, 256, 7);
		break;
	case X_TRUNC0:
		out->n = 0;
		break;
	case X_FILL:
		memset(out->p, 0xcc, n < (1 << 20) ? n : (1 << 20));
		break;
	case X_SED: {                   /* s/stable/observations stable/ */
		struct buf t = { 0 };

		for (size_t i = 0; i < n; i++)
			if (i + 6 <= n && memcmp(in->p + i, "stable", 6) == 0) {
				puts_(&t, "observations stable");
				i += 5;
			} else if (i + 7 <= n && memcmp(in->p + i, "STMARYS", 7) == 0) {
				puts_(&t, "STMARYS-UH");
				i += 6;
			} else if (in->p[i] == 'N' && i + 1 < n && in->p[i + 1] == 'a') {
				puts_(&t, "Na+");
				i++;
			} else
				put8(&t, in->p[i]);
		out->n = 0;
		put(out, t.p, t.n);
		free(t.p);
		break;
	}
	case X_APPEND:
		for (int i = 0; i < 40; i++)
			putf(out, "2025-03-01T00:00:%02dZ day %d: service restarted\n",
			    i, i);
		break;
	case X_CASE:                    /* s/patient/PATIENT/g: XOR 0x20 */
		for (size_t i = 0; i + 7 <= n; i++)
			if (memcmp(out->p + i, "patient", 7) == 0)
				for (int k = 0; k < 7; k++)
					out->p[i + k] ^= 0x20;
		break;
	case X_REGEN:                   /* re-encoded by the real tool */
		out->n = 0;
		if (g == G_JPEG)
			gen_jpeg(out, 30000, 99);
		else if (g == G_DICOM)
			gen_dicom(out, true, 99);
		else if (g == G_TIFF)
			gen_tiff(out, 8, 99);
		else
			gen(out, g, 99);
		break;
	case X_ANON: {                  /* dcmodify: patient name in place */
		for (size_t i = 0; i + 8 <= n; i++)
			if (memcmp(out->p + i, "DOE^JOHN", 8) == 0)
				memcpy(out->p + i, "ANON^YMS", 8);
		break;
	}
	case X_PGUPDATE:                /* rows rewritten in a few pages */
		for (size_t o = 4096 + 200; o < n && o < 4096 * 6; o += 4096)
			memcpy(out->p + o, "row 9999 value 0042 flag C|", 27);
		break;
	case X_PDFINCR:                 /* incremental update appended */
		puts_(out, "6 0 obj\n<< /Type /Annot >>\nendobj\nxref\n0 1\n"
		    "0000000000 65535 f \ntrailer\n<< /Size 7 /Prev 100 >>\n"
		    "startxref\n1000\n%%EOF\n");
		break;
	case X_ZERO2RAND:
		out->n = 0;
		put_random(out, n, 77);
		break;
	case X_PGCOMMIT:                /* commit log: 0x00 -> 0x55 */
		memset(out->p, 0x55, n / 2);
		break;
	case X_RERANDOM:
		cipher(out->p, n, &ks);
		break;
	case X_SHRINK:                  /* VACUUM: fewer pages, still valid */
		out->n = n / 2;
		break;
	case X_B64PLAIN:                /* base64 of the content itself */
		out->n = 0;
		b64(out, in->p, n);
		break;
	}
}

static const char *
vname(enum verdict v)
{
	return v == V_CLEAN ? "CLEAN" : v == V_SUSPECT ? "SUSPECT" : "DESTROYED";
}

/* ---- statistics ---- */

static void
stats_cases(void **state)
{
	(void)state;
	uint8_t b[8192];
	struct block_stats s;
	uint32_t h[256];

	memset(b, 0, sizeof b);
	stats_block(b, 4096, &s);
	assert_true(s.entropy == 0.0);
	assert_true(s.chi2 > 4096 * 254.0);
	for (int i = 0; i < 4096; i++)
		b[i] = (uint8_t)i;
	stats_block(b, 4096, &s);
	assert_true(s.entropy > 7.999999 && s.entropy <= 8.0);
	assert_true(s.chi2 < 1e-9 && s.chi2 > -1e-9);
	for (int i = 0; i < 4; i++)     /* 2 values equally: 1 bit */
		b[i] = (uint8_t)(i & 1);
	stats_block(b, 4, &s);
	assert_true(s.entropy > 0.999999 && s.entropy < 1.000001);

	uint64_t seed = 1;
	for (size_t i = 0; i < sizeof b; i++)
		b[i] = (uint8_t)splitmix(&seed);
	stats_block(b, 4096, &s);
	assert_true(stats_is_random(&s, 4096));
	assert_true(s.entropy > 7.9);
	stats_block(b, 8192, &s);       /* counts above the 4 KiB table */
	assert_true(stats_is_random(&s, 8192));
	stats_block(b, 100, &s);
	assert_false(stats_is_random(&s, 100));         /* too few to tell */
	stats_block(b, 300, &s);
	assert_true(stats_is_random(&s, 300));

	/* skewed like JPEG entropy-coded data (one half twice as likely):
	 * high entropy, but not ciphertext */
	for (size_t i = 0; i < 4096; i++) {
		uint64_t r = splitmix(&seed);

		b[i] = (uint8_t)(r % 3 == 0 ? 128 + (r >> 8) % 128 : (r >> 8) % 128);
	}
	stats_block(b, 4096, &s);
	assert_true(s.entropy > 7.8);
	assert_false(stats_is_random(&s, 4096));

	struct buf t = { 0 };
	gen_notes(&t, 3);
	stats_block(t.p, 4096, &s);
	assert_false(stats_is_random(&s, 4096));
	assert_true(s.entropy < 5.0);
	free(t.p);

	/* the histogram adds, and does not read past len */
	memset(h, 0, sizeof h);
	memset(b, 'x', sizeof b);
	stats_histogram(b, 17, h);
	stats_histogram(b, 3, h);
	assert_int_equal(h['x'], 20);
	assert_false(stats_is_random(NULL, 4096));
}

/* ---- formats ---- */

static void
identify(const struct buf *b, struct fmt_result *r)
{
	size_t hl = b->n < 65536 ? b->n : 65536;
	size_t tl = b->n > 65536 ? (b->n - 65536 < 65536 ? b->n - 65536 : 65536) : 0;

	format_identify(b->p, hl, tl ? b->p + b->n - tl : NULL, tl, b->n, r);
}

static void
format_cases(void **state)
{
	(void)state;
	static const struct {
		enum gen g; enum xf x; enum fmt f; int valid;
	} t[] = {
		{ G_PDF, X_SAME, FMT_PDF, 1 }, { G_OOXML, X_SAME, FMT_OOXML, 1 },
		{ G_ZIP, X_SAME, FMT_ZIP, 1 }, { G_JPEG, X_SAME, FMT_JPEG, 1 },
		{ G_PNG, X_SAME, FMT_PNG, 1 }, { G_TIFF, X_SAME, FMT_TIFF, 1 },
		{ G_TIFFZ, X_SAME, FMT_TIFF, 1 }, { G_DICOM, X_SAME, FMT_DICOM, 1 },
		{ G_DICOMJ, X_SAME, FMT_DICOM, 1 }, { G_SQLITE, X_SAME, FMT_SQLITE, 1 },
		{ G_GZIP, X_SAME, FMT_GZIP, 1 }, { G_TAR, X_SAME, FMT_TAR, 1 },
		{ G_EXT4, X_SAME, FMT_EXT_FS, 1 }, { G_HL7, X_SAME, FMT_HL7, 1 },
		{ G_CSV, X_SAME, FMT_CSV, 1 }, { G_NOTES, X_SAME, FMT_TEXT, 1 },
		{ G_LOG, X_SAME, FMT_TEXT, 1 }, { G_VMX, X_SAME, FMT_TEXT, 1 },
		{ G_B64, X_SAME, FMT_BASE64, 1 }, { G_RANDOM, X_SAME, FMT_UNKNOWN, 0 },
		{ G_STRUCT, X_SAME, FMT_UNKNOWN, 0 }, { G_EMPTY, X_SAME, FMT_EMPTY, 1 },
		{ G_TINY, X_SAME, FMT_TEXT, 1 },
		/* what the attacks leave: magic kept, structure gone */
		{ G_DICOM, X_BB, FMT_DICOM, 0 },    /* "DICM" survives 64/192 */
		{ G_EXT4, X_BB, FMT_EXT_FS, 0 },    /* so does the ext4 magic */
		{ G_EXT4, X_LF16, FMT_EXT_FS, 0 },
		{ G_PDF, X_FILL, FMT_UNKNOWN, 0 },
		{ G_JPEG, X_HEAD4K, FMT_UNKNOWN, 0 },
		{ G_CSV, X_BASE64, FMT_BASE64, 1 },
		{ G_NOTES, X_LF16, FMT_UNKNOWN, 0 },
		{ G_NOTES, X_FLIP, FMT_UNKNOWN, 0 },
		/* benign edits keep the structure */
		{ G_JPEG, X_REGEN, FMT_JPEG, 1 }, { G_DICOM, X_ANON, FMT_DICOM, 1 },
		{ G_DICOM, X_REGEN, FMT_DICOM, 1 }, { G_PDF, X_PDFINCR, FMT_PDF, 1 },
		{ G_HL7, X_SED, FMT_HL7, 1 }, { G_CSV, X_SED, FMT_CSV, 1 },
		{ G_SQLITE, X_PGUPDATE, FMT_SQLITE, 1 },
		{ G_SQLITE, X_SHRINK, FMT_SQLITE, 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct buf a = { 0 }, b = { 0 };
		struct fmt_result r;

		gen(&a, t[i].g, 11);
		xform(&a, t[i].g, t[i].x, &b);
		identify(&b, &r);
		if (r.fmt != t[i].f || r.valid != t[i].valid)
			fail_msg("format case %zu: got %s/%d want %s/%d", i,
			    format_name(r.fmt), r.valid, format_name(t[i].f),
			    t[i].valid);
		free(a.p);
		free(b.p);
	}
}

/* Damaged structure, built byte by byte. */
static void
format_damage_cases(void **state)
{
	(void)state;
	struct buf b = { 0 };
	struct fmt_result r;

	gen_pdf(&b, 1);
	b.n -= 6;                       /* no %%EOF */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_PDF);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen(&b, G_OOXML, 1);
	b.n -= 22;                      /* no end of central directory */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_OOXML);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_png(&b, 1);
	b.n -= 12;                      /* no IEND */
	identify(&b, &r);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_jpeg(&b, 1000, 1);
	b.p[21] = 0x00;                 /* DQT marker broken */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_JPEG);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_jpeg(&b, 1000, 1);
	b.n -= 2;                       /* no EOI */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_JPEG);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_sqlite(&b, 1);
	b.p[21] = 65;
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_SQLITE);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_sqlite(&b, 1);
	b.p[16] = 0x0f;                 /* page size not a power of two */
	identify(&b, &r);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_tiff(&b, 1, 1);
	b.p[4] = 0xff;                  /* IFD beyond the end */
	b.p[5] = 0xff;
	b.p[6] = 0xff;
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_TIFF);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_ext4(&b, 1);
	b.p[1024 + 0x300] = 1;          /* s_reserved must be zero */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_EXT_FS);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_ext4(&b, 1);
	set32le(&b, 1024 + 0x04, 1u << 30);     /* more blocks than the image */
	identify(&b, &r);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_tar(&b, 1);
	b.p[0] ^= 1;                    /* header checksum wrong */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_TAR);
	assert_int_equal(r.valid, 0);
	b.n = 0;
	gen_dicom(&b, false, 1);
	memcpy(b.p + 132 + 12 + 4, "XX", 2);  /* unknown VR in the meta group */
	identify(&b, &r);
	assert_int_equal(r.fmt, FMT_DICOM);
	assert_int_equal(r.valid, 0);
	free(b.p);
}

/* Real tool outputs and magic numbers. */
static void
format_magic_cases(void **state)
{
	(void)state;
	/* xz -c of "hi\n" (xz-utils 5.4) */
	static const uint8_t xz[] = {
		0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00, 0x04, 0xe6, 0xd6, 0xb4,
		0x46, 0x02, 0x00, 0x21, 0x01, 0x16, 0x00, 0x00, 0x00, 0x74, 0x2f,
		0xe5, 0xa3, 0x01, 0x00, 0x02, 0x68, 0x69, 0x0a, 0x00, 0x00, 0xfb,
		0x7b, 0xe8, 0xe8, 0x2a, 0x58, 0x43, 0x4f, 0x00, 0x01, 0x1b, 0x03,
		0x0b, 0x2f, 0xb9, 0x10, 0x1f, 0xb6, 0xf3, 0x7d, 0x01, 0x00, 0x00,
		0x00, 0x00, 0x04, 0x59, 0x5a,
	};
#define S(lit) lit, sizeof(lit) - 1
	static const struct { const char *bytes; size_t n; uint64_t size;
	    enum fmt f; int valid; } t[] = {
		{ S("\x8c\x0d\x04\x09\x03\x02\x92\x7d\x60\xb6\xd2\x75\xf3\x92\xff\xd2"),
		    90, FMT_GPG, 1 },       /* gpg -c */
		{ S("-----BEGIN PGP MESSAGE-----\n\njA0ECQMC"), 400, FMT_GPG, 1 },
		{ S("Salted__\x83\xda\x8a\xfd\xa0\x65\xb9\x87"), 48,
		    FMT_OPENSSL_ENC, 1 },
		{ S("\x28\xb5\x2f\xfd\x24\x03\x19\x00\x00\x68\x69\x0a"), 16,
		    FMT_ZSTD, 1 },
		{ S("BZh91AY&SY\x1d\x5e\x59\xd5"), 40, FMT_BZIP2, 1 },
		{ S("7z\xbc\xaf\x27\x1c\x00\x04\x6f\x09\xe2\x17\x80\x00\x00\x00"
		    "\x00\x00\x00\x00\x2e\x00\x00\x00\x00\x00\x00\x00\x26\x5e"
		    "\xa0\x36"), 206, FMT_7Z, 1 },
		{ S("\x7f" "ELF\x02\x01\x01\x00"), 1000, FMT_ELF, 1 },
		{ S("PACK\0\0\0\2\0\0\0\3"), 300, FMT_GIT_PACK, 1 },
		{ S("\xff\xfeH\0e\0l\0l\0o\0 \0w\0o\0r\0l\0d\0\n\0"), 26,
		    FMT_TEXT, 1 },          /* UTF-16LE */
		{ S("caf\xc3\xa9 cr\xc3\xa8me br\xc3\xbbl\xc3\xa9" "e\n"), 22,
		    FMT_TEXT, 1 },          /* UTF-8 */
		{ S("\x04\x22\x4d\x18\x64\x40\xa7%PDF-1.4\n"), 17, FMT_UNKNOWN,
		    0 },                    /* lz4 of a PDF is not a PDF */
		{ S("\x89\x01\x0c\x03\x05\x10\x00\x00\x00\x00"), 10,
		    FMT_UNKNOWN, 0 },       /* high byte alone is not OpenPGP */
	};
#undef S
	struct fmt_result r;

	format_identify(xz, sizeof xz, NULL, 0, sizeof xz, &r);
	assert_int_equal(r.fmt, FMT_XZ);
	assert_int_equal(r.valid, 1);
	format_identify(xz, 32, xz + sizeof xz - 12, 12, sizeof xz, &r);
	assert_int_equal(r.valid, 1);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		format_identify((const uint8_t *)t[i].bytes, t[i].n, NULL, 0,
		    t[i].size, &r);
		if (r.fmt != t[i].f || r.valid != t[i].valid)
			fail_msg("magic case %zu: got %s/%d want %s/%d", i,
			    format_name(r.fmt), r.valid, format_name(t[i].f),
			    t[i].valid);
	}
	/* the postgres page header, 8 KiB pages */
	uint8_t pg[16384];
	memset(pg, 0, sizeof pg);
	pg[12] = 40; pg[14] = 0x00; pg[15] = 0x1f; pg[16] = 0x00; pg[17] = 0x20;
	pg[18] = 0x04; pg[19] = 0x20;
	format_identify(pg, sizeof pg, NULL, 0, sizeof pg, &r);
	assert_int_equal(r.fmt, FMT_POSTGRES_PAGE);
	/* names and classes */
	for (int f = 0; f < FMT__COUNT; f++)
		assert_string_not_equal(format_name((enum fmt)f), "?");
	assert_string_equal(format_name(FMT__COUNT), "?");
	assert_true(format_is_packed(FMT_GZIP) && format_is_packed(FMT_GPG) &&
	    format_is_packed(FMT_OPENSSL_ENC) && format_is_packed(FMT_7Z));
	assert_false(format_is_packed(FMT_PDF) || format_is_packed(FMT_UNKNOWN));
	assert_true(format_is_text(FMT_HL7) && format_is_text(FMT_BASE64));
	assert_false(format_is_text(FMT_PDF));
	/* NULL and inconsistent lengths are tolerated */
	format_identify(NULL, 0, NULL, 0, 0, &r);
	assert_int_equal(r.fmt, FMT_EMPTY);
	format_identify((const uint8_t *)"%PDF-1.4", 8, NULL, 5, 3, &r);
	assert_int_equal(r.fmt, FMT_PDF);
}

/* ---- verdicts on in-place changes ---- */

struct gen_row { enum gen g; const char *name; };
static const struct gen_row docs[] = {
	{ G_PDF, "pdf" }, { G_OOXML, "docx" }, { G_ZIP, "zip" },
	{ G_JPEG, "jpeg" }, { G_PNG, "png" }, { G_TIFF, "tiff" },
	{ G_DICOM, "dicom" }, { G_DICOMJ, "dicom-jpeg" },
	{ G_SQLITE, "sqlite" }, { G_GZIP, "tar.gz" }, { G_TAR, "tar" },
	{ G_EXT4, "ext4-image" }, { G_HL7, "hl7" }, { G_CSV, "csv" },
	{ G_NOTES, "notes" }, { G_LOG, "log" }, { G_VMX, "vmx" },
	{ G_STRUCT, "unknown-structured" },
};

struct xf_row { enum xf x; const char *name; };
static const struct xf_row attacks[] = {
	{ X_WHOLE, "whole+footer" }, { X_HEAD4K, "lockbit-4k" },
	{ X_BB, "blackbasta-64of192" }, { X_LF16, "lockfile-16" },
	{ X_SPOT, "akira-spot" }, { X_CHUNKS, "conti-chunks" },
	{ X_ONOFF, "1MiB-on-off" }, { X_HEAD1M, "first-1MiB" },
	{ X_BASE64, "base64" }, { X_FLIP, "bitflip" },
	{ X_OTRUNC, "otrunc" }, { X_TRUNC0, "wiper-truncate" },
	{ X_FILL, "wiper-fill" },
};

/* Where an attack does not give V_DESTROYED, on purpose. */
static const struct { enum gen g; enum xf x; enum verdict v; } except[] = {
	{ G_LOG, X_TRUNC0, V_SUSPECT },         /* copytruncate empties logs */
	{ G_STRUCT, X_TRUNC0, V_SUSPECT },      /* unknown data */
	{ G_STRUCT, X_FILL, V_CLEAN },          /* cannot tell from zeroing */
};

static void
check_pair(const char *what, const struct buf *b, const struct buf *a,
    enum verdict want)
{
	struct analysis an;

	analyse_buffers(b->p, b->n, a->p, a->n, &an);
	if (an.verdict != want)
		fail_msg("%s: got %s want %s (reasons %#x: %s)", what,
		    vname(an.verdict), vname(want), an.reasons, an.why);
	assert_true(an.why[0] != '\0');
	assert_true(strlen(an.why) < sizeof an.why);
}

static void
attack_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct buf b = { 0 };

		gen(&b, docs[i].g, 5 + i);
		for (size_t k = 0; k < sizeof attacks / sizeof attacks[0]; k++) {
			struct buf a = { 0 };
			enum verdict want = V_DESTROYED;
			char what[96];

			for (size_t e = 0; e < sizeof except / sizeof except[0]; e++)
				if (except[e].g == docs[i].g && except[e].x == attacks[k].x)
					want = except[e].v;
			xform(&b, docs[i].g, attacks[k].x, &a);
			snprintf(what, sizeof what, "%s x %s", docs[i].name,
			    attacks[k].name);
			check_pair(what, &b, &a, want);
			free(a.p);
		}
		free(b.p);
	}
}

/* Benign changes, and the edges of the rules. */
static void
benign_cases(void **state)
{
	(void)state;
	static const struct {
		const char *name; enum gen g; enum xf x; enum verdict v;
		unsigned must;          /* reason bits that must be set */
	} t[] = {
		{ "notes sed -i", G_NOTES, X_SED, V_CLEAN, 0 },
		{ "csv sed -i", G_CSV, X_SED, V_CLEAN, 0 },
		{ "hl7 sed -i", G_HL7, X_SED, V_CLEAN, 0 },
		{ "notes case change (xor 0x20)", G_NOTES, X_CASE, V_CLEAN, 0 },
		{ "log append", G_LOG, X_APPEND, V_CLEAN, 0 },
		{ "jpeg re-encoded (mogrify)", G_JPEG, X_REGEN, V_CLEAN, 0 },
		{ "png re-encoded", G_PNG, X_REGEN, V_CLEAN, 0 },
		{ "dicom to jpeg lossless (dcmcjpeg)", G_DICOM, X_REGEN, V_CLEAN, 0 },
		{ "dicom anonymised (dcmodify)", G_DICOM, X_ANON, V_CLEAN, 0 },
		{ "tiff recompressed", G_TIFF, X_REGEN, V_CLEAN, 0 },
		{ "sqlite update", G_SQLITE, X_PGUPDATE, V_CLEAN, 0 },
		{ "sqlite vacuum shrinks", G_SQLITE, X_SHRINK, V_CLEAN, 0 },
		{ "pdf incremental update", G_PDF, X_PDFINCR, V_CLEAN, 0 },
		{ "preallocated zeros filled", G_ZEROS, X_ZERO2RAND, V_CLEAN, 0 },
		{ "postgres commit log", G_PGXACT, X_PGCOMMIT, V_CLEAN, 0 },
		{ "identical", G_PDF, X_SAME, V_CLEAN, 0 },
		{ "was empty", G_EMPTY, X_ZERO2RAND, V_CLEAN, 0 },
		{ "tiny text emptied", G_TINY, X_TRUNC0, V_CLEAN, R_TRUNCATED },
		{ "unknown random rewritten", G_RANDOM, X_RERANDOM, V_SUSPECT, 0 },
		{ "unknown random encrypted", G_RANDOM, X_WHOLE, V_SUSPECT, 0 },
		{ "unknown random base64", G_RANDOM, X_BASE64, V_SUSPECT, R_BASE64 },
		{ "unknown random truncated", G_RANDOM, X_TRUNC0, V_SUSPECT,
		    R_TRUNCATED },
		{ "unknown random bit-flipped", G_RANDOM, X_FLIP, V_DESTROYED,
		    R_BITFLIP },
		{ "base64 blob rewritten", G_B64, X_BASE64, V_CLEAN, 0 },
		{ "log truncated", G_LOG, X_TRUNC0, V_SUSPECT, R_TRUNCATED },
		{ "pdf wiped", G_PDF, X_TRUNC0, V_DESTROYED, R_TRUNCATED },
		{ "csv base64", G_CSV, X_BASE64, V_DESTROYED, R_BASE64 },
		{ "notes base64 of notes", G_NOTES, X_B64PLAIN, V_SUSPECT, R_BASE64 },
		{ "pdf base64 of pdf", G_PDF, X_B64PLAIN, V_SUSPECT, R_BASE64 },
		{ "hl7 bitflip", G_HL7, X_FLIP, V_DESTROYED, R_BITFLIP },
		{ "jpeg bitflip", G_JPEG, X_FLIP, V_DESTROYED, R_BITFLIP },
		{ "dicom black basta", G_DICOM, X_BB, V_DESTROYED,
		    R_FORMAT_LOST | R_TO_RANDOM },
		{ "notes lockfile", G_NOTES, X_LF16, V_DESTROYED,
		    R_TEXT_LOST | R_TO_RANDOM },
		{ "hl7 lockfile (tiny)", G_HL7, X_LF16, V_DESTROYED, R_TEXT_LOST },
		{ "tiff rewritten random, header too", G_TIFF, X_RERANDOM, V_DESTROYED,
		    R_FORMAT_LOST },
		{ "unknown structured encrypted", G_STRUCT, X_WHOLE, V_DESTROYED,
		    R_TO_RANDOM },
		{ "big text, conti chunks", G_BIG, X_CHUNKS, V_DESTROYED,
		    R_TEXT_LOST | R_TO_RANDOM },
		{ "big text, 1 MiB on/off", G_BIG, X_ONOFF, V_DESTROYED,
		    R_TEXT_LOST },
		{ "big text, akira spots", G_BIG, X_SPOT, V_DESTROYED, R_TEXT_LOST },
		{ "big text, append", G_BIG, X_APPEND, V_CLEAN, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct buf b = { 0 }, a = { 0 };
		struct analysis an;

		gen(&b, t[i].g, 21);
		xform(&b, t[i].g, t[i].x, &a);
		analyse_buffers(b.p, b.n, a.p, a.n, &an);
		if (an.verdict != t[i].v || (an.reasons & t[i].must) != t[i].must)
			fail_msg("%s: got %s reasons %#x want %s %#x (%s)",
			    t[i].name, vname(an.verdict), an.reasons,
			    vname(t[i].v), t[i].must, an.why);
		free(b.p);
		free(a.p);
	}
}

/* A header-preserving encryptor of a raw-pixel TIFF: header intact,
 * pixels random.  Not a format loss, but not clean either. */
static void
header_kept_case(void **state)
{
	(void)state;
	struct buf b = { 0 }, a = { 0 };
	struct analysis an;
	uint64_t ks = 3;

	gen_tiff(&b, 1, 1);
	put(&a, b.p, b.n);
	cipher(a.p + 122, a.n - 122, &ks);
	analyse_buffers(b.p, b.n, a.p, a.n, &an);
	assert_int_equal(an.after.fmt, FMT_TIFF);
	assert_int_equal(an.after.valid, 1);
	assert_int_equal(an.verdict, V_SUSPECT);
	assert_true(an.reasons & R_TO_RANDOM);
	assert_true(an.blocks_to_random > 0);
	assert_true(an.entropy_after > an.entropy_before);
	free(b.p);
	free(a.p);
}

/* ---- fd versions ---- */

static int
memfd(const struct buf *b)
{
	int fd = memfd_create("analyse-test", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
	return fd;
}

static void
wannacry(const struct buf *in, struct buf *out)
{
	uint64_t ks = 9;

	puts_(out, "WANACRY!");
	put32le(out, 256);
	put_random(out, 256, 4);
	put32le(out, 4);
	put32le(out, (uint32_t)in->n);
	put32le(out, 0);
	put(out, in->p, in->n);
	cipher(out->p + out->n - in->n, in->n, &ks);
}

enum repl { R_WNCRY, R_GZIP, R_ZSTD, R_GPG, R_OPENSSL, R_7Z, R_LZ4,
	R_SEDCOPY, R_DCMTK, R_B64CIPHER, R_B64PLAIN, R_FLIPCOPY, R_EMPTY,
	R_UNKNOWN_STRUCT };

static void
replacement(const struct buf *in, enum gen g, enum repl r, struct buf *out)
{
	switch (r) {
	case R_WNCRY:
		wannacry(in, out);
		break;
	case R_GZIP:
		gen_gzip(out, 31);
		break;
	case R_ZSTD:
		puts_(out, "\x28\xb5\x2f\xfd\x24\x03");
		put_random(out, in->n / 3, 32);
		break;
	case R_GPG:
		put(out, "\x8c\x0d\x04\x09\x03\x02", 6);
		put_random(out, in->n / 3, 33);
		break;
	case R_OPENSSL:
		puts_(out, "Salted__");
		put_random(out, in->n + 8, 34);
		break;
	case R_7Z: {
		uint8_t h[32] = "7z\xbc\xaf\x27\x1c\x00\x04";
		size_t body = in->n / 3;

		memset(h + 8, 0, 24);
		for (int i = 0; i < 4; i++)
			h[12 + i] = (uint8_t)(body >> (8 * i));
		h[20] = 100;
		put(out, h, 32);
		put_random(out, body + 100, 35);
		break;
	}
	case R_LZ4:
		puts_(out, "\x04\x22\x4d\x18\x64\x40\xa7");
		put_random(out, in->n / 2, 36);
		break;
	case R_SEDCOPY:
		xform(in, g, X_SED, out);
		break;
	case R_DCMTK:
		xform(in, g, X_REGEN, out);
		break;
	case R_B64CIPHER:
		xform(in, g, X_BASE64, out);
		break;
	case R_B64PLAIN:
		b64(out, in->p, in->n);
		break;
	case R_FLIPCOPY:
		xform(in, g, X_FLIP, out);
		break;
	case R_EMPTY:
		break;
	case R_UNKNOWN_STRUCT:
		gen(out, G_STRUCT, 1);
		break;
	}
}

static void
replacement_cases(void **state)
{
	(void)state;
	static const struct {
		const char *name; enum gen g; enum repl r; enum verdict v;
		unsigned must;
	} t[] = {
		{ "pdf -> .WNCRY", G_PDF, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "csv -> .WNCRY", G_CSV, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "hl7 -> .WNCRY", G_HL7, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "dicom -> .WNCRY", G_DICOM, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "jpeg -> .WNCRY", G_JPEG, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "tar.gz -> .WNCRY", G_GZIP, R_WNCRY, V_DESTROYED, R_REPLACED },
		{ "unknown structured -> .WNCRY", G_STRUCT, R_WNCRY, V_DESTROYED,
		    R_REPLACED },
		{ "random -> .WNCRY", G_RANDOM, R_WNCRY, V_SUSPECT, R_REPLACED },
		{ "csv -> gzip", G_CSV, R_GZIP, V_CLEAN, 0 },
		{ "tiff -> zstd", G_TIFF, R_ZSTD, V_CLEAN, 0 },
		{ "csv -> gpg -c", G_CSV, R_GPG, V_CLEAN, 0 },
		{ "sqlite -> openssl enc", G_SQLITE, R_OPENSSL, V_CLEAN, 0 },
		{ "pdf -> 7z", G_PDF, R_7Z, V_CLEAN, 0 },
		{ "pdf -> lz4", G_PDF, R_LZ4, V_CLEAN, 0 },
		{ "csv -> sed -i temp file", G_CSV, R_SEDCOPY, V_CLEAN, 0 },
		{ "dicom -> dcmcjpeg temp file", G_DICOM, R_DCMTK, V_CLEAN, 0 },
		{ "csv -> base64 of ciphertext", G_CSV, R_B64CIPHER, V_DESTROYED,
		    R_BASE64 | R_REPLACED },
		{ "notes -> base64 of notes", G_NOTES, R_B64PLAIN, V_SUSPECT,
		    R_BASE64 },
		{ "pdf -> bit-flipped copy", G_PDF, R_FLIPCOPY, V_DESTROYED,
		    R_BITFLIP },
		{ "pdf -> empty", G_PDF, R_EMPTY, V_DESTROYED, R_TRUNCATED },
		{ "pdf -> unknown structured", G_PDF, R_UNKNOWN_STRUCT, V_SUSPECT,
		    R_FORMAT_LOST },
		{ "was empty -> .WNCRY", G_EMPTY, R_WNCRY, V_CLEAN, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct buf o = { 0 }, n = { 0 };
		struct analysis an;
		int fo, fn;

		gen(&o, t[i].g, 41);
		replacement(&o, t[i].g, t[i].r, &n);
		fo = memfd(&o);
		fn = memfd(&n);
		assert_int_equal(analyse_replacement(fo, fn, 0, &an), 0);
		if (an.verdict != t[i].v || (an.reasons & t[i].must) != t[i].must)
			fail_msg("%s: got %s reasons %#x want %s %#x (%s)",
			    t[i].name, vname(an.verdict), an.reasons,
			    vname(t[i].v), t[i].must, an.why);
		/* offsets untouched: pread only */
		assert_int_equal(lseek(fo, 0, SEEK_CUR), (off_t)o.n);
		/* the notification thread's form, from memory: the same */
		struct analysis am;
		analyse_replacement_buffers(o.p, o.n, n.p, n.n, &am);
		if (am.verdict != an.verdict || am.reasons != an.reasons ||
		    strcmp(am.why, an.why) != 0)
			fail_msg("%s: from memory %s %#x (%s), from fds %s %#x "
			    "(%s)", t[i].name, vname(am.verdict), am.reasons,
			    am.why, vname(an.verdict), an.reasons, an.why);
		close(fo);
		close(fn);
		free(o.p);
		free(n.p);
	}
}

/* analyse_pair on fds: same verdicts as the buffers, within the budget. */
static void
pair_fd_cases(void **state)
{
	(void)state;
	static const struct { uint64_t budget; unsigned max_blocks; } t[] = {
		{ 0, 8 * 1024 * 1024 / 4096 },
		{ 256 * 1024, 256 * 1024 / 4096 },
		{ 1, 16 * 1024 / 4096 },        /* raised to the 16 KiB minimum */
	};
	struct buf b = { 0 }, a = { 0 };
	struct analysis an, mem;

	gen(&b, G_BIG, 1);
	xform(&b, G_BIG, X_CHUNKS, &a);
	int fb = memfd(&b), fa = memfd(&a);
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(analyse_pair(fb, fa, t[i].budget, &an), 0);
		if (an.verdict != V_DESTROYED || an.blocks_compared == 0 ||
		    an.blocks_compared > t[i].max_blocks)
			fail_msg("budget %llu: %s, %u blocks compared (max %u): %s",
			    (unsigned long long)t[i].budget, vname(an.verdict),
			    an.blocks_compared, t[i].max_blocks, an.why);
	}
	analyse_buffers(b.p, b.n, a.p, a.n, &mem);
	assert_int_equal(analyse_pair(fb, fa, 0, &an), 0);
	assert_int_equal(mem.verdict, an.verdict);
	assert_int_equal(mem.blocks_compared, an.blocks_compared);
	assert_int_equal(mem.blocks_changed, an.blocks_changed);
	assert_int_equal(mem.reasons, an.reasons);
	assert_true(an.size_before == b.n && an.size_after == a.n);
	assert_string_equal(mem.why, an.why);
	/* unreadable sides */
	assert_int_equal(analyse_pair(-1, -1, 0, &an), -1);
	assert_int_equal(analyse_pair(-1, fa, 0, &an), 0);
	assert_int_equal(an.verdict, V_CLEAN);
	assert_int_equal(analyse_replacement(fb, -1, 0, &an), 0);
	assert_int_equal(an.verdict, V_CLEAN);
	assert_int_equal(analyse_replacement(-1, -1, 0, &an), -1);
	close(fb);
	close(fa);
	free(b.p);
	free(a.p);
}

static void
why_case(void **state)
{
	(void)state;
	struct buf b = { 0 }, a = { 0 };
	struct analysis an;

	gen(&b, G_PDF, 1);
	xform(&b, G_PDF, X_WHOLE, &a);
	analyse_buffers(b.p, b.n, a.p, a.n, &an);
	assert_non_null(strstr(an.why, "pdf -> unknown"));
	assert_non_null(strstr(an.why, "random"));
	assert_true(an.entropy_after > 7.5);
	assert_true(an.blocks_changed == an.blocks_compared);
	analyse_buffers(NULL, 0, NULL, 0, &an);
	assert_int_equal(an.verdict, V_CLEAN);
	free(b.p);
	free(a.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats_cases),
		cmocka_unit_test(format_cases),
		cmocka_unit_test(format_damage_cases),
		cmocka_unit_test(format_magic_cases),
		cmocka_unit_test(attack_cases),
		cmocka_unit_test(benign_cases),
		cmocka_unit_test(header_kept_case),
		cmocka_unit_test(replacement_cases),
		cmocka_unit_test(pair_fd_cases),
		cmocka_unit_test(why_case),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
