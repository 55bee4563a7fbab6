/*
 * analyse.c - throughput of the analysers' statistical core.
 *
 * usage: analyse-bench [MiB]      (default 1024 MiB per run)
 *
 * Owns only this file.  Prints GB/s (10^9 bytes per second, one thread)
 * of stats_block over 4 KiB blocks -- the loop the daemon runs on every
 * changed block -- for random bytes (ciphertext), text, and zero pages,
 * and of analyse_buffers on a file pair whose every block changed (the
 * worst case: two histograms of each side per block, plus the dirty-byte
 * and XOR passes).  The data is a 64 MiB buffer walked repeatedly, so
 * the figures include memory bandwidth, as in the daemon.  Goal: >= 2
 * GB/s for stats_block at -O2.  Each figure is the best and the median
 * of three runs, as the host may be shared.
 * Last, the cost of one small replacement as the notification thread
 * analyses it inline (sed -i over 10,000 notes in bench/run.sh): a
 * 900-byte text file and its edited copy, from two fds, in microseconds
 * per pair (system calls included), and the same as the daemon now does
 * it: one pread of each into memory, then analyse_replacement_buffers.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/analyse/analyse.h"

#define BUF (64u << 20)

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static void
fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t v = splitmix(&seed);

		memcpy(p + i, &v, 8);
	}
}

static void
fill_text(uint8_t *p, size_t n)
{
	static const char line[] = "2025-02-22T00:00:11Z patient 4388628 ward "
	    "ICU obs stable overnight, bloods reviewed, plan unchanged.\n";
	uint64_t seed = 7;

	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)line[i % (sizeof line - 1)];
		if (p[i] >= '0' && p[i] <= '9')       /* vary the digits */
			p[i] = (uint8_t)('0' + splitmix(&seed) % 10);
	}
}

/* stats_block over `total` bytes of buf, 4 KiB at a time. */
static double
run_stats(const uint8_t *buf, uint64_t total, double *mean_entropy)
{
	double t0 = now(), sum = 0;
	uint64_t blocks = 0;

	for (uint64_t done = 0; done < total; done += BUF)
		for (size_t o = 0; o < BUF; o += ANALYSE_BLOCK) {
			struct block_stats s;

			stats_block(buf + o, ANALYSE_BLOCK, &s);
			sum += s.entropy;
			blocks++;
		}
	*mean_entropy = sum / (double)blocks;
	return (double)total / (now() - t0) / 1e9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Two temporary files: 20 lines of a ward note, and the same with
 * "alpha" made "ALPHA" (what bench/run.sh's sed -i does). */
static int
small_pair(int fd[2])
{
	char b[2048], a[2048], *p;
	int n = 0;

	for (int i = 0; i < 20; i++)
		n += snprintf(b + n, sizeof b - (size_t)n, "patient %d ward %d "
		    "result alpha beta gamma\n", 4242, 7);
	memcpy(a, b, (size_t)n);
	for (p = a; (p = memmem(p, (size_t)(a + n - p), "alpha", 5)) != NULL; p++)
		memcpy(p, "ALPHA", 5);
	for (int k = 0; k < 2; k++) {
		char tmpl[] = "/tmp/analyse-bench.XXXXXX";

		if ((fd[k] = mkstemp(tmpl)) < 0)
			return -1;
		unlink(tmpl);
		if (write(fd[k], k ? a : b, (size_t)n) != n)
			return -1;
	}
	return n;
}

static void
run_small(void)
{
	int fd[2], n = small_pair(fd), reps = 100000;
	struct analysis an;
	double r[3];

	if (n < 0) {
		perror("analyse-bench: temporary files");
		return;
	}
	for (int i = 0; i < 3; i++) {
		double t0 = now();

		for (int k = 0; k < reps; k++)
			analyse_replacement(fd[0], fd[1], 0, &an);
		r[i] = (now() - t0) / reps * 1e6;
	}
	qsort(r, 3, sizeof r[0], cmp);
	printf("analyse_replacement, %d-byte text edit from two fds: %.2f us "
	    "best, %.2f median (%s)\n", n, r[0], r[1], an.why);
	/* as the notification thread does it: one pread of each file into
	 * a buffer of 64 KiB + 1, then the comparison from memory */
	static uint8_t buf[2][65537];
	for (int i = 0; i < 3; i++) {
		double t0 = now();

		for (int k = 0; k < reps; k++) {
			ssize_t o = pread(fd[0], buf[0], sizeof buf[0], 0);
			ssize_t w = pread(fd[1], buf[1], sizeof buf[1], 0);

			analyse_replacement_buffers(buf[0], o < 0 ? 0 :
			    (size_t)o, buf[1], w < 0 ? 0 : (size_t)w, &an);
		}
		r[i] = (now() - t0) / reps * 1e6;
	}
	qsort(r, 3, sizeof r[0], cmp);
	printf("analyse_replacement_buffers after two preads (the inline "
	    "form): %.2f us best, %.2f median (%s)\n", r[0], r[1], an.why);
	close(fd[0]);
	close(fd[1]);
}

int
main(int argc, char **argv)
{
	uint64_t mib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1024;
	uint64_t total = (mib + 63) / 64 * BUF;
	uint8_t *rnd = malloc(BUF), *txt = malloc(BUF), *zero = malloc(BUF);
	struct analysis an;
	double h, t0;

	if (rnd == NULL || txt == NULL || zero == NULL || total == 0) {
		fprintf(stderr, "usage: analyse-bench [MiB]\n");
		return 1;
	}
	fill_random(rnd, BUF, 1);
	fill_text(txt, BUF);
	memset(zero, 0, BUF);           /* real pages, not the shared zero page */
	printf("stats_block, 4 KiB blocks, %llu MiB per run, one thread, "
	    "best and median of 3 runs\n", (unsigned long long)(total >> 20));
	for (int d = 0; d < 3; d++) {
		static const char *const name[] = { "random", "text", "zeros" };
		const uint8_t *data = d == 0 ? rnd : d == 1 ? txt : zero;
		double r[3];

		for (int i = 0; i < 3; i++)
			r[i] = run_stats(data, total, &h);
		qsort(r, 3, sizeof r[0], cmp);
		printf("  %-7s %6.2f GB/s best, %6.2f median  (mean entropy "
		    "%.3f)\n", name[d], r[2], r[1], h);
	}

	/* a whole-file comparison where every block changed: text -> random,
	 * 8 MiB (the default budget) per call */
	t0 = now();
	for (size_t o = 0; o + (8u << 20) <= BUF; o += 8u << 20)
		analyse_buffers(txt + o, 8u << 20, rnd + o, 8u << 20, &an);
	printf("analyse_buffers, 8 MiB pairs, all blocks changed: %.2f GB/s "
	    "per side (%s)\n", (double)BUF / (now() - t0) / 1e9, an.why);
	run_small();
	free(rnd);
	free(txt);
	free(zero);
	return 0;
}
