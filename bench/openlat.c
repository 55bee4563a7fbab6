/*
 * openlat.c - latency of open+close, as an opener sees it.
 *
 * usage: openlat DIR ROUNDS [w]
 * Opens every regular file directly in DIR, ROUNDS times, read-only (or
 * O_WRONLY without truncation with "w"), and prints
 *   n=<opens> p50_us=<..> p99_us=<..> p999_us=<..> max_us=<..> mean_us=<..>
 * Run it with and without vigild on the same tree to see what the
 * permission event costs (bench/run.sh does).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: openlat DIR ROUNDS [w]\n");
		return 2;
	}
	int flags = (argc > 3 && argv[3][0] == 'w') ? O_WRONLY : O_RDONLY;
	int rounds = atoi(argv[2]);
	DIR *d = opendir(argv[1]);
	if (d == NULL) {
		perror(argv[1]);
		return 1;
	}
	int dfd = dirfd(d);
	size_t n = 0, cap = 1024;
	char **names = malloc(cap * sizeof *names);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG)
			continue;
		if (n == cap)
			names = realloc(names, (cap *= 2) * sizeof *names);
		names[n++] = strdup(de->d_name);
	}
	double *lat = malloc(n * (size_t)rounds * sizeof *lat);
	size_t k = 0;
	for (int r = 0; r < rounds; r++)
		for (size_t i = 0; i < n; i++) {
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			int fd = openat(dfd, names[i], flags | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
			clock_gettime(CLOCK_MONOTONIC, &b);
			lat[k++] = (b.tv_sec - a.tv_sec) * 1e6 +
			    (b.tv_nsec - a.tv_nsec) / 1e3;
		}
	double sum = 0;
	for (size_t i = 0; i < k; i++)
		sum += lat[i];
	qsort(lat, k, sizeof *lat, cmp);
	printf("n=%zu p50_us=%.2f p99_us=%.2f p999_us=%.2f max_us=%.2f "
	    "mean_us=%.2f\n", k, k ? lat[k / 2] : 0,
	    k ? lat[k * 99 / 100] : 0, k ? lat[k * 999 / 1000] : 0,
	    k ? lat[k - 1] : 0, k ? sum / k : 0);
	return 0;
}
