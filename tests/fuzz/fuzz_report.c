/*
 * fuzz_report.c - libFuzzer target for the report renderers: any bytes,
 * parsed as an incident document (in a real incident every string in it
 * comes from an attacker: paths, command lines, note names, SMB names),
 * rendered as HTML and as a STIX bundle.
 */
#include <stdint.h>
#include <stdio.h>

#include "../../src/report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		return 0;
	json_t *inc = json_loadb((const char *)data, size, 0, NULL);
	if (inc == NULL)
		return 0;
	struct report_opts o = { .org = "fuzz", .tlp = "green",
		.include_paths = size & 1 };
	char err[128];
	report_html(inc, null);
	report_stix(inc, &o, null, err, sizeof err);
	report_json(inc, null);
	json_decref(inc);
	return 0;
}
