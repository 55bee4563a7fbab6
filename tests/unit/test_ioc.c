/*
 * test_ioc.c - vigil ioc import's reading of STIX bundles, table-driven:
 * which patterns give a hash, and which documents are refused whole.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../src/intel/ioc.h"

#define H1 "6dd444434c8c30df61a90bcbf0c1affea27276c33232a7f418947727fc19ef0a"
#define H2 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static void
pattern_cases(void **state)
{
	(void)state;
	static const struct { const char *p; int n; } t[] = {
		{ "[file:hashes.'SHA-256' = '" H1 "']", 1 },
		{ "[file:hashes.\"SHA-256\"='" H1 "']", 1 },
		{ "[file:hashes.SHA256 = '" H1 "']", 1 },
		{ "[file:hashes.'SHA-256' = '" H1 "' OR file:hashes.'SHA-256' = '" H2 "']", 2 },
		{ "[file:name = 'x.exe' AND file:hashes.'SHA-256' = '" H1 "']", 1 },
		{ "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", 0 },
		{ "[file:hashes.'SHA-256' = '" H1 "0']", 0 },       /* 65 hex */
		{ "[file:hashes.'SHA-256' = 'xyz']", 0 },
		{ "[file:hashes.'SHA-256' != '" H1 "']", 0 },
		{ "[ipv4-addr:value = '10.0.0.1']", 0 },
		{ "[file:hashes.'SHA-256' = '" H1, 0 },              /* cut */
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char h[4][65];
		int n = ioc_pattern_hashes(t[i].p, h, 4);
		if (n != t[i].n)
			fail_msg("case %zu: %d hashes", i, n);
		for (int k = 0; k < n; k++)
			if (strspn(h[k], "0123456789abcdef") != 64)
				fail_msg("case %zu: hash %d not lowercase hex", i, k);
	}
}

#define IND(extra, pat) "{\"type\":\"indicator\",\"id\":\"indicator--1\"," \
	"\"pattern_type\":\"stix\",\"pattern\":\"" pat "\"" extra "}"

static void
bundle_cases(void **state)
{
	(void)state;
	static const struct { const char *b; int rc; size_t n, skipped; } t[] = {
		{ "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":["
		  IND("", "[file:hashes.'SHA-256' = '" H1 "']") "]}", 0, 1, 0 },
		/* revoked, expired, not stix, no hash: skipped, not kept */
		{ "{\"type\":\"bundle\",\"objects\":["
		  IND(",\"revoked\":true", "[file:hashes.'SHA-256' = '" H1 "']") ","
		  IND(",\"valid_until\":\"2001-01-01T00:00:00Z\"", "[file:hashes.'SHA-256' = '" H1 "']") ","
		  "{\"type\":\"indicator\",\"pattern_type\":\"sigma\",\"pattern\":\"x\"},"
		  IND("", "[ipv4-addr:value = '1.2.3.4']") ","
		  "{\"type\":\"malware\",\"name\":\"x\"}]}", 0, 0, 4 },
		{ "{\"type\":\"bundle\",\"objects\":[]}", 0, 0, 0 },
		{ "{\"type\":\"bundle\"}", 0, 0, 0 },
		/* refused whole */
		{ "not json", -1, 0, 0 },
		{ "[]", -1, 0, 0 },
		{ "{\"type\":\"report\",\"objects\":[]}", -1, 0, 0 },
		{ "{\"type\":\"bundle\",\"objects\":{}}", -1, 0, 0 },
		{ "{\"type\":\"bundle\",\"objects\":[7]}", -1, 0, 0 },
		{ "{\"type\":\"bundle\",\"objects\":[{\"id\":\"x\"}]}", -1, 0, 0 },
		{ "{\"type\":\"bundle\",\"type\":\"bundle\",\"objects\":[]}", -1, 0, 0 },
		{ "{\"type\":\"bundle\",\"objects\":[" IND("", "[file:hashes.'SHA-256' = '" H1 "']"), -1, 0, 0 },
		/* wrong types inside an indicator: skipped, not a crash */
		{ "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indicator\","
		  "\"pattern\":7,\"pattern_type\":[],\"revoked\":\"yes\"}]}", 0, 0, 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct ioc_set s;
		char err[256] = "";
		int rc = ioc_parse_bundle(t[i].b, strlen(t[i].b), &s,
		    1800000000LL * 1000000000LL, err, sizeof err);
		if (rc != t[i].rc || (rc == 0 && (s.n != t[i].n ||
		    s.skipped != t[i].skipped)))
			fail_msg("case %zu: rc %d n %zu skipped %zu (%s)", i, rc,
			    rc == 0 ? s.n : 0, rc == 0 ? s.skipped : 0, err);
		if (rc < 0 && err[0] == '\0')
			fail_msg("case %zu: refused without a message", i);
		if (rc == 0)
			ioc_set_free(&s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pattern_cases),
		cmocka_unit_test(bundle_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
