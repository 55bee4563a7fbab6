/*
 * test_report.c - the report renderers' building blocks, table-driven:
 * UUIDv5 (STIX ids), STIX pattern quoting, HTML escaping, and rendering
 * hostile incident documents (every string attacker-chosen) without
 * letting a byte through unescaped.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/report/report.h"
#include "../../src/report/emit.h"

static void
uuid5_vectors(void **state)
{
	(void)state;
	/* RFC 4122 DNS namespace; the value Python's uuid.uuid5 gives */
	static const unsigned char dns[16] = { 0x6b, 0xa7, 0xb8, 0x10, 0x9d,
		0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30,
		0xc8 };
	char u[37];
	assert_int_equal(report_uuid5(dns, "python.org", 10, u), 0);
	assert_string_equal(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
	/* STIX 2.1 namespace, a file SCO's canonical contributing JSON */
	static const unsigned char stix[16] = { 0x00, 0xab, 0xed, 0xb4, 0xaa,
		0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9,
		0xb7 };
	const char *c = "{\"name\":\"readme.txt\"}";
	assert_int_equal(report_uuid5(stix, c, strlen(c), u), 0);
	assert_int_equal(u[14], '5');                  /* version */
	assert_true(strchr("89ab", u[19]) != NULL);    /* variant */
}

static void
stix_quote_cases(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } t[] = {
		{ "readme.txt", "readme.txt" },
		{ "it's", "it\\'s" },
		{ "a\\b", "a\\\\b" },
		{ "'] OR [file:name = 'x", "\\'] OR [file:name = \\'x" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char o[128];
		report_stix_quote(t[i].in, o, sizeof o);
		if (strcmp(o, t[i].out) != 0)
			fail_msg("case %zu: \"%s\"", i, o);
	}
}

static char *
html_of(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	report_html_text(f, s);
	fclose(f);
	return buf;
}

static void
html_escape_cases(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "plain" },
		{ "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;" },
		{ "a&b \"q\" 'x'", "a&amp;b &quot;q&quot; &#39;x&#39;" },
		{ "tab\there\nnl\x7f", "tabherenl" },
		{ "Stra\xc3\x9f" "e", "Stra\xc3\x9f" "e" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char *o = html_of(t[i].in);
		if (strcmp(o, t[i].out) != 0)
			fail_msg("case %zu: \"%s\"", i, o);
		free(o);
	}
}

/* A whole incident whose every string is hostile renders with no raw
 * markup, and its STIX bundle carries no path. */
static void
hostile_incident(void **state)
{
	(void)state;
	const char *doc = "{\"id\":7,\"state\":\"contained<h1b>\","
	    "\"host\":\"<img src=x>\",\"first_activity\":\"<h2i>\","
	    "\"first_activity_ns\":1000,\"contained_ns\":2000,"
	    "\"detected_ns\":1500,\"detected_at\":\"2026-01-01T00:00:00.000Z\","
	    "\"contained_at\":\"2026-01-01T00:00:01.000Z\",\"files_touched\":3,"
	    "\"actor\":{\"exe\":\"/tmp/<script>x</script>\",\"cmdline\":\"a'b\","
	    "\"user\":\"<h3u>\",\"smb_client\":{\"address\":\"<h4a>\",\"user\":"
	    "\"<svg onload=1>\"}},\"indicators\":[{\"name\":\"<x>\",\"detail\":"
	    "\"<y>\",\"weight\":3}],\"evidence\":[{\"time\":\"t\",\"path\":"
	    "\"/srv/share/Patient <Name>.docx\",\"why\":\"<z>\"}],"
	    "\"artifacts\":{\"exe_sha256\":\"zz\",\"extensions\":[{\"ext\":"
	    "\"x'] OR [a\"}],\"notes\":[{\"name\":\"n'ote\",\"sha256\":\"bad\"}]},"
	    "\"timeline\":[{\"t_ns\":1200,\"op\":\"<op>\",\"path\":"
	    "\"/srv/share/<h5p>\"},{\"t_ns\":\"wrong type\"},7]}";
	json_t *inc = json_loads(doc, 0, NULL);
	assert_non_null(inc);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(report_html(inc, f), 0);
	fclose(f);
	static const char *const raw[] = { "<script>x", "<img src=x>", "<h3u>",
		"<svg onload", "<x>", "<y>", "<z>", "<op>", "<h5p>", "<h1b>",
		"<h2i>", "<Name>", "<h4a>" };
	for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
		if (strstr(buf, raw[i]))
			fail_msg("raw \"%s\" in the HTML", raw[i]);
	free(buf);
	struct report_opts o = { .org = "Org", .tlp = "amber" };
	char err[128];
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(report_stix(inc, &o, f, err, sizeof err), 0);
	fclose(f);
	assert_null(strstr(buf, "/srv/share"));
	assert_null(strstr(buf, "Patient"));
	/* a quote in a name cannot end the pattern's string literal */
	assert_non_null(strstr(buf, "x\\\\'] OR [a"));
	/* a malformed hash is not made an indicator */
	assert_null(strstr(buf, "'SHA-256' = 'bad'"));
	assert_null(strstr(buf, "'SHA-256' = 'zz'"));
	free(buf);
	json_decref(inc);
}

/* ECS and syslog from a hostile document: valid JSON, no line breaks,
 * SD-PARAM values escaped so that "]" cannot end the structured data. */
static void
events_hostile(void **state)
{
	(void)state;
	const char *doc = "{\"actor\":{\"exe\":\"/tmp/x\\\"] [evil@1 a=\\\"b\\\"]\\nline2\","
	    "\"user\":\"u\\\\\",\"root_pid\":42,\"uid\":1000,\"smb_client\":"
	    "{\"address\":\"10.0.0.9\",\"user\":\"eve\"}},\"files_touched\":3,"
	    "\"evidence\":[{\"path\":\"/srv/a\"}]}";
	char *ecs = emit_ecs(5, "contained", doc, "host one", 1700000000000000000LL);
	assert_non_null(ecs);
	assert_null(strchr(ecs, '\n'));
	json_t *e = json_loads(ecs, 0, NULL);
	assert_non_null(e);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    e, "source"), "ip")), "10.0.0.9");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    e, "event"), "action")), "ransomware-contained");
	json_decref(e);
	free(ecs);
	char line[4096];
	assert_true(emit_syslog_line(line, sizeof line, 5, "contained", doc,
	    "host one", 77, 1700000000000000000LL) > 0);
	assert_null(strchr(line, '\n'));
	assert_non_null(strstr(line, "<26>1 2023-11-14T22:13:20.000Z host_one vigild 77 incident [vigil@32473 "));
	/* the quote and bracket of the exe are escaped inside the value */
	assert_non_null(strstr(line, "exe=\"/tmp/x\\\"\\] [evil@1 a=\\\"b\\\"\\]line2\""));
	assert_non_null(strstr(line, "client=\"10.0.0.9\""));
	/* no document at all still gives an event */
	ecs = emit_ecs(6, "released", NULL, "h", 0);
	assert_non_null(ecs);
	free(ecs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uuid5_vectors),
		cmocka_unit_test(stix_quote_cases),
		cmocka_unit_test(html_escape_cases),
		cmocka_unit_test(hostile_incident),
		cmocka_unit_test(events_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
