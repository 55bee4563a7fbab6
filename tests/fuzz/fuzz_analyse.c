/*
 * fuzz_analyse.c - libFuzzer target for src/analyse: every byte it is
 * given is what an attacker can write into a protected file.
 *
 * Owns only this file.  The first byte picks the entry point:
 *   0  format_identify, with the head/tail split and the claimed file
 *      size taken from the input (sizes that disagree with the buffers);
 *   1  analyse_buffers, the rest split into before/after at a point read
 *      from the input;
 *   2  the same, with before/after tiled up to 64 KiB (many blocks,
 *      partial changes);
 *   3  analyse_pair and analyse_replacement on memfds, budget from the
 *      input (16 KiB minimum upwards), files tiled up to 64 KiB, so the
 *      spread sampling of files larger than the budget runs; and
 *      analyse_replacement_buffers on the same bytes;
 *   4  stats_block / stats_histogram / stats_is_random.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/analyse/analyse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Repeat src to n bytes (n may be 0). */
static uint8_t *
tile(const uint8_t *src, size_t len, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		p[i] = len ? src[i % len] : 0;
	return p;
}

static int
memfd_of(const uint8_t *p, size_t n)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
identify(const uint8_t *d, size_t n)
{
	struct fmt_result r;
	size_t hl, tl;
	uint64_t claimed;

	if (n < 8)
		return;
	hl = rd32(d) % (n - 8 + 1);
	tl = (n - 8) - hl;
	claimed = rd32(d + 4) & 1 ? (uint64_t)(n - 8) : (uint64_t)rd32(d + 4);
	format_identify(d + 8, hl, tl ? d + 8 + hl : NULL, tl, claimed, &r);
	(void)format_name(r.fmt);
	format_identify(d + 8, n - 8, NULL, 0, n - 8, &r);
}

static void
buffers(const uint8_t *d, size_t n, int big)
{
	struct analysis an;
	size_t cut, bn, an_n;
	uint8_t *b, *a;

	if (n < 4)
		return;
	cut = rd32(d) % (n - 4 + 1);
	if (!big) {
		analyse_buffers(d + 4, cut, d + 4 + cut, n - 4 - cut, &an);
		return;
	}
	bn = (size_t)(d[0] | d[1] << 8);        /* up to 64 KiB */
	an_n = bn + (d[2] % 3 == 0 ? 0 : (size_t)d[2] * 17) - (d[3] % 2 ? 0 :
	    (bn < 1000 ? bn : 1000));
	b = tile(d + 4, cut, bn);
	a = tile(d + 4 + cut, n - 4 - cut, an_n);
	if (b != NULL && a != NULL) {
		/* keep the before's head sometimes, so that the change is
		 * partial and structure checks meet mixed bytes */
		if (d[3] & 4)
			memcpy(a, b, an_n < bn ? an_n / 2 : bn / 2);
		analyse_buffers(b, bn, a, an_n, &an);
	}
	free(b);
	free(a);
}

static void
fds(const uint8_t *d, size_t n)
{
	struct analysis an;
	size_t cut, bn;
	uint8_t *b, *a;
	int fb, fa;

	if (n < 8)
		return;
	cut = rd32(d) % (n - 8 + 1);
	bn = (size_t)(d[4] | d[5] << 8);        /* up to 64 KiB */
	b = tile(d + 8, cut, bn);
	a = tile(d + 8 + cut, n - 8 - cut, bn + d[6]);
	if (b != NULL && a != NULL) {
		fb = memfd_of(b, bn);
		fa = memfd_of(a, bn + d[6]);
		if (fb >= 0 && fa >= 0) {
			analyse_pair(fb, fa, (uint64_t)d[7] << 12, &an);
			analyse_replacement(fb, fa, (uint64_t)d[7] << 12, &an);
		}
		analyse_replacement_buffers(b, bn, a, bn + d[6], &an);
		if (fb >= 0)
			close(fb);
		if (fa >= 0)
			close(fa);
	}
	free(b);
	free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct block_stats s;
	uint32_t h[256];

	if (size < 1)
		return 0;
	switch (data[0] % 5) {
	case 0:
		identify(data + 1, size - 1);
		break;
	case 1:
		buffers(data + 1, size - 1, 0);
		break;
	case 2:
		buffers(data + 1, size - 1, 1);
		break;
	case 3:
		fds(data + 1, size - 1);
		break;
	default:
		memset(h, 0, sizeof h);
		stats_histogram(data + 1, size - 1, h);
		stats_block(data + 1, size - 1, &s);
		(void)stats_is_random(&s, size - 1);
		break;
	}
	return 0;
}
