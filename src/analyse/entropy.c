/*
 * entropy.c - per-block byte statistics, the hot loop of the analysers.
 *
 * Owns: the byte histogram of a buffer, its Shannon entropy and
 * chi-square against the uniform distribution, and the "looks like
 * ciphertext" test.  Must not touch: what a random block means for a
 * file (compare.c decides), format knowledge (format.c), any I/O.
 *
 * Speed (goal >= 2 GB/s per core over 4 KiB blocks, plain C17):
 *   - the histogram reads 16 bytes at a time and spreads its increments
 *     over eight count tables, so that repeated bytes (text, pixels) do
 *     not serialise every increment on one counter through store-to-load
 *     forwarding; the tables are uint16 so that all eight fit in 4 KiB
 *     (one page to clear per block); 16 equal bytes (zero pages of a
 *     sparse image) are counted in one add;
 *   - the entropy needs sum(c * log2 c) over 256 counts; for the counts
 *     of a 4 KiB block (0..4096) that is a table built once, so a block
 *     costs one histogram pass plus 256 table lookups.
 * No libm: vigild is not linked with -lm, and the table is built with a
 * short series (log2 of integers only), accurate to ~1e-15.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "analyse.h"

#define NLOGN_MAX ANALYSE_BLOCK
#define HIST_CHUNK ((size_t)1 << 18)

static double nlogn_tab[NLOGN_MAX + 1];   /* c * log2(c), c = 0..4096 */
static pthread_once_t nlogn_once = PTHREAD_ONCE_INIT;

/* log2(x) for x >= 1: split off the power of two, then
 * ln(m) = 2 atanh((m-1)/(m+1)) with m in [1,2), so the series argument
 * is at most 1/3 and 30 terms are far more than double precision needs. */
static double
log2_u64(uint64_t x)
{
	int k = 0;
	double m, z, z2, term, sum = 0;

	if (x <= 1)
		return 0;
	while ((x >> k) > 1)
		k++;
	if (x == (uint64_t)1 << k)
		return k;
	m = (double)x / (double)((uint64_t)1 << k);
	z = (m - 1) / (m + 1);
	z2 = z * z;
	term = z;
	for (int i = 1; i < 60; i += 2) {
		sum += term / i;
		term *= z2;
	}
	return k + 2 * sum / 0.69314718055994530942;
}

static void
nlogn_init(void)
{
	for (uint64_t c = 0; c <= NLOGN_MAX; c++)
		nlogn_tab[c] = c < 2 ? 0 : (double)c * log2_u64(c);
}

static inline double
nlogn(uint32_t c)
{
	if (c <= NLOGN_MAX)
		return nlogn_tab[c];
	return (double)c * log2_u64(c);  /* blocks larger than 4 KiB: rare */
}

/* One chunk of at most HIST_CHUNK bytes: each table receives at most
 * len/8 (+15) counts, so uint16 entries cannot overflow. */
static void
hist_chunk(const uint8_t *p, size_t len, uint32_t h[256])
{
	uint16_t t[8][256];
	size_t i = 0;

	memset(t, 0, sizeof t);
	for (; i + 16 <= len; i += 16) {
		uint64_t a, b;

		memcpy(&a, p + i, 8);
		memcpy(&b, p + i + 8, 8);
		if (a == b && a == (a & 0xff) * 0x0101010101010101ULL) {
			t[(i >> 4) & 7][a & 0xff] += 16;
			continue;
		}
		t[0][a & 0xff]++;
		t[1][(a >> 8) & 0xff]++;
		t[2][(a >> 16) & 0xff]++;
		t[3][(a >> 24) & 0xff]++;
		t[4][(a >> 32) & 0xff]++;
		t[5][(a >> 40) & 0xff]++;
		t[6][(a >> 48) & 0xff]++;
		t[7][a >> 56]++;
		t[0][b & 0xff]++;
		t[1][(b >> 8) & 0xff]++;
		t[2][(b >> 16) & 0xff]++;
		t[3][(b >> 24) & 0xff]++;
		t[4][(b >> 32) & 0xff]++;
		t[5][(b >> 40) & 0xff]++;
		t[6][(b >> 48) & 0xff]++;
		t[7][b >> 56]++;
	}
	for (; i < len; i++)
		t[i & 7][p[i]]++;
	for (int k = 0; k < 256; k++)
		h[k] += (uint32_t)t[0][k] + t[1][k] + t[2][k] + t[3][k] +
		    t[4][k] + t[5][k] + t[6][k] + t[7][k];
}

void
stats_histogram(const uint8_t *buf, size_t len, uint32_t h[256])
{
	const size_t chunk = HIST_CHUNK;

	while (len > 0) {
		size_t n = len < chunk ? len : chunk;

		hist_chunk(buf, n, h);
		buf += n;
		len -= n;
	}
}

/* Entropy and chi-square from a finished histogram of n bytes, for
 * compare.c's histograms of scattered bytes.  Not in analyse.h (the
 * contract is the lead's); compare.c declares it.  Exact for n < 2^32;
 * an inconsistent histogram gives a meaningless but bounded result. */
void stats_from_histogram(const uint32_t h[256], uint64_t n,
    struct block_stats *out);

void
stats_from_histogram(const uint32_t h[256], uint64_t n, struct block_stats *out)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint64_t sq = 0;
	bool small = n <= NLOGN_MAX;

	out->entropy = 0;
	out->chi2 = 0;
	if (n == 0)
		return;
	pthread_once(&nlogn_once, nlogn_init);
	/* four partial sums: the additions do not wait on each other */
	for (int k = 0; k < 256; k += 4) {
		s0 += nlogn(h[k]);
		s1 += nlogn(h[k + 1]);
		s2 += nlogn(h[k + 2]);
		s3 += nlogn(h[k + 3]);
	}
	for (int k = 0; k < 256; k++)
		sq += (uint64_t)h[k] * h[k];     /* < 2^64 for n < 2^32 */
	/* H = log2 n - (1/n) sum c log2 c;  chi2 = (256/n) sum c^2 - n */
	out->entropy = (small ? nlogn_tab[n] / (double)n : log2_u64(n)) -
	    (s0 + s1 + s2 + s3) / (double)n;
	if (out->entropy < 0)
		out->entropy = 0;
	out->chi2 = (double)sq * 256.0 / (double)n - (double)n;
}

void
stats_block(const uint8_t *buf, size_t len, struct block_stats *out)
{
	uint32_t h[256];

	memset(h, 0, sizeof h);
	stats_histogram(buf, len, h);
	stats_from_histogram(h, len, out);
}

/*
 * Uniform bytes give chi2 ~ 255 +- 22.6 (255 degrees of freedom) whatever
 * the length; 400 is 6.4 standard deviations out, so ciphertext fails it
 * about once in 10^9 blocks while text, code, pixels and most headers are
 * in the thousands.  Deflate and JPEG entropy-coded data often pass: they
 * "look random" too, which is why compare.c never calls a file destroyed
 * on randomness alone.  Under 128 bytes there is too little to tell.  The
 * entropy floor only guards against degenerate histograms.
 */
int
stats_is_random(const struct block_stats *s, size_t len)
{
	double floor;

	if (s == NULL || len < 128)
		return 0;
	floor = len >= 4096 ? 7.8 : len >= 1024 ? 7.4 : 6.0;
	return s->chi2 < 400.0 && s->entropy >= floor;
}
