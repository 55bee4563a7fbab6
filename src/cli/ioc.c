/*
 * ioc.c - vigil ioc import FILE [--source NAME] | vigil ioc list
 *
 * import reads a STIX 2.1 bundle (from an ISAC, MISP or CISA) and keeps
 * its SHA-256 file-hash indicators in the journal (intel/ioc.c); a bad or
 * hostile file is refused with a clear error and changes nothing.
 * list prints what is kept.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../intel/ioc.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "vigil ioc import: %s: %s\n", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > (off_t)IOC_FILE_MAX) {
		fprintf(stderr, "vigil ioc import: %s: %s\n", path,
		    S_ISREG(st.st_mode) ? "larger than 64 MiB" :
		    "not a regular file");
		close(fd);
		return NULL;
	}
	char *b = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	ssize_t r;
	while (b && n < (size_t)st.st_size &&
	    (r = read(fd, b + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

static int
ioc_import(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "source", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *source = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "s:", lo, NULL)) != -1) {
		if (ch != 's')
			return 2;
		source = optarg;
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "usage: vigil ioc import FILE [--source NAME]\n");
		return 2;
	}
	const char *path = argv[optind];
	size_t len = 0;
	char *text = read_file(path, &len);
	if (text == NULL)
		return 1;
	struct ioc_set set;
	char err[512];
	int rc = ioc_parse_bundle(text, len, &set, now_ns(), err, sizeof err);
	free(text);
	if (rc < 0) {
		fprintf(stderr, "vigil ioc import: %s: %s; nothing imported\n",
		    path, err);
		return 1;
	}
	sqlite3 *db = open_db();
	rc = ioc_store(db, &set, source ? source : path, err, sizeof err);
	sqlite3_close(db);
	if (rc < 0) {
		fprintf(stderr, "vigil ioc import: %s; nothing imported\n", err);
		ioc_set_free(&set);
		return 1;
	}
	/* a running vigild loads them now (else at its next start) */
	char buf[256];
	if (ctl_call("iocs", buf, sizeof buf) == 0 && !G.json)
		printf("vigild reloaded its indicators: %s", buf);
	if (G.json) {
		printf("{\"file\":");
		json_str(stdout, path);
		printf(",\"hashes\":%zu,\"indicators\":%zu,\"skipped\":%zu}\n",
		    set.n, set.indicators, set.skipped);
	} else
		printf("%s: %zu SHA-256 hash(es) kept from %zu indicator(s); "
		    "%zu indicator(s) without a file hash skipped\n", path,
		    set.n, set.indicators, set.skipped);
	ioc_set_free(&set);
	return 0;
}

static int
ioc_list(void)
{
	sqlite3 *db = open_db();
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT sha256, name, source, imported FROM "
	    "iocs ORDER BY imported, sha256", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		if (G.json)
			printf("[]\n");
		return 0;          /* nothing imported yet */
	}
	int first = 1;
	if (G.json)
		printf("[");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 0);
		const char *n = (const char *)sqlite3_column_text(st, 1);
		const char *s = (const char *)sqlite3_column_text(st, 2);
		char t[40];
		format_time(sqlite3_column_int64(st, 3), t, sizeof t);
		if (G.json) {
			printf("%s{\"sha256\":", first ? "" : ",");
			json_str(stdout, h ? h : "");
			printf(",\"name\":");
			json_str(stdout, n ? n : "");
			printf(",\"source\":");
			json_str(stdout, s ? s : "");
			printf(",\"imported\":\"%s\"}", t);
		} else {
			printf("%s  %s  ", h ? h : "", t);
			/* names come from other sites: no control bytes */
			for (const char *c = n ? n : ""; *c; c++)
				putchar((unsigned char)*c < 0x20 ? '?' : *c);
			putchar('\n');
		}
		first = 0;
	}
	if (G.json)
		printf("]\n");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return 0;
}

int
cmd_ioc(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return ioc_import(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return ioc_list();
	fprintf(stderr, "usage: vigil ioc import FILE [--source NAME] | "
	    "vigil ioc list\n");
	return 2;
}
