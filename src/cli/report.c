/*
 * report.c - vigil report ID [--format json|stix|html] [-o FILE]
 *            [--org NAME] [--tlp LEVEL] [--include-paths] [-c FILE]
 *
 * Reads the journal (so it works with vigild stopped) and renders the
 * incident with report/.  Defaults for the sharing options come from the
 * configuration file (-c, else /etc/vigil/vigil.conf when it exists);
 * options on the command line win.  Output goes to FILE (written to a
 * temporary name and renamed, so a half-written report never exists) or
 * standard output.
 */
#define _GNU_SOURCE
#include "cli.h"
#include "../common/config.h"
#include "../common/util.h"
#include "../report/report.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
usage_report(void)
{
	fprintf(stderr, "usage: vigil report ID [--format json|stix|html] "
	    "[-o FILE] [--org NAME] [--tlp white|green|amber|red] "
	    "[--include-paths] [-c CONFIG]\n");
	return 2;
}

static int
load_config(const char *path, struct config *c)
{
	char err[1024];
	config_defaults(c);
	if (path == NULL) {
		if (access(CONFIG_DEFAULT_PATH, R_OK) != 0)
			return 0;
		path = CONFIG_DEFAULT_PATH;
	}
	if (config_load(c, path, err, sizeof err) < 0) {
		fprintf(stderr, "vigil report: %s\n", err);
		return -1;
	}
	return 0;
}

static int
render(json_t *inc, const char *format, const struct report_opts *o,
    FILE *out)
{
	char err[256] = "";
	int rc;
	if (strcmp(format, "json") == 0)
		rc = report_json(inc, out);
	else if (strcmp(format, "stix") == 0)
		rc = report_stix(inc, o, out, err, sizeof err);
	else
		rc = report_html(inc, out);
	if (rc < 0)
		fprintf(stderr, "vigil report: %s\n", err[0] ? err :
		    "cannot write the report");
	return rc;
}

int
cmd_report(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "org", required_argument, NULL, 'O' },
		{ "tlp", required_argument, NULL, 't' },
		{ "include-paths", no_argument, NULL, 'p' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	const char *format = G.json ? "json" : "html", *outp = NULL;
	const char *org = NULL, *tlp = NULL, *conf = NULL;
	int paths = -1, ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "f:o:c:", lo, NULL)) != -1) {
		switch (ch) {
		case 'f': format = optarg; break;
		case 'o': outp = optarg; break;
		case 'O': org = optarg; break;
		case 't': tlp = optarg; break;
		case 'p': paths = 1; break;
		case 'c': conf = optarg; break;
		default: return usage_report();
		}
	}
	unsigned long long id;
	if (optind + 1 != argc || parse_uint(argv[optind], UINT64_MAX / 2,
	    &id) < 0 || id == 0)
		return usage_report();
	if (strcmp(format, "json") != 0 && strcmp(format, "stix") != 0 &&
	    strcmp(format, "html") != 0) {
		fprintf(stderr, "vigil report: --format: expected json, stix "
		    "or html\n");
		return 2;
	}
	int known = tlp == NULL;
	for (int i = 0; tlp && config_tlp_names[i]; i++)
		known |= strcmp(tlp, config_tlp_names[i]) == 0;
	if (!known) {
		fprintf(stderr, "vigil report: --tlp: expected white, green, "
		    "amber or red\n");
		return 2;
	}
	struct config c;
	if (load_config(conf, &c) < 0)
		return 2;
	struct report_opts o = { .org = org ? org : c.report_org,
		.tlp = tlp ? tlp : config_tlp_names[c.report_tlp],
		.include_paths = paths >= 0 ? paths : c.report_include_paths };
	sqlite3 *db = open_db();
	char err[256];
	json_t *inc = report_load(db, id, err, sizeof err);
	sqlite3_close(db);
	config_free(&c);
	if (inc == NULL) {
		fprintf(stderr, "vigil report: %s\n", err);
		return 1;
	}
	int rc;
	if (outp == NULL) {
		rc = render(inc, format, &o, stdout);
	} else {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp.%d", outp, (int)getpid());
		FILE *f = fopen(tmp, "wx");
		if (f == NULL) {
			fprintf(stderr, "vigil report: %s: %s\n", tmp,
			    strerror(errno));
			json_decref(inc);
			return 1;
		}
		rc = render(inc, format, &o, f);
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, outp) != 0) {
			fprintf(stderr, "vigil report: %s: %s\n", outp,
			    strerror(errno));
			rc = -1;
		}
		if (rc < 0)
			unlink(tmp);
	}
	json_decref(inc);
	return rc < 0 ? 1 : 0;
}
