/*
 * test_canary.c - the decoys' names and contents: deterministic per
 * (seed, folder), different between folders and installations, valid for
 * their type, dated in the past, and free of anything real.
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

#include "../../src/warn/canary.h"

static void
deterministic_and_varied(void **state)
{
	(void)state;
	struct canary_spec a, b, c;
	int64_t now = 1800000000;
	assert_int_equal(canary_make(42, "/srv/share/Lab", 0, now, &a), 0);
	assert_int_equal(canary_make(42, "/srv/share/Lab", 0, now, &b), 0);
	assert_string_equal(a.name, b.name);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	canary_spec_free(&b);
	/* another installation, another folder, another attempt: other
	 * names over a handful of tries (never all the same) */
	int differ = 0;
	static const char *const dirs[] = { "/srv/share/Wards",
		"/srv/share/Admin", "/srv/share/Radiology", "/srv/share/HR" };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(canary_make(42, dirs[i], 0, now, &c), 0);
		differ += strcmp(c.name, a.name) != 0;
		canary_spec_free(&c);
	}
	assert_true(differ >= 2);
	assert_int_equal(canary_make(7, "/srv/share/Lab", 1, now, &c), 0);
	assert_true(c.mtime < now - 30 * 86400);
	canary_spec_free(&c);
	canary_spec_free(&a);
}

static void
valid_formats(void **state)
{
	(void)state;
	int seen[3] = { 0, 0, 0 };
	for (int i = 0; i < 64; i++) {
		char dir[64];
		snprintf(dir, sizeof dir, "/srv/share/folder%d", i);
		struct canary_spec c;
		assert_int_equal(canary_make(99, dir, 0, 1800000000, &c), 0);
		assert_true(c.len > 1000);
		/* sorts early in a listing, no path separator */
		assert_true(strchr("0!_", c.name[0]) != NULL);
		assert_null(strchr(c.name, '/'));
		const char *ext = strrchr(c.name, '.');
		assert_non_null(ext);
		if (strcmp(ext, ".pdf") == 0) {
			seen[0] = 1;
			assert_memory_equal(c.data, "%PDF-1.4", 8);
			assert_non_null(memmem(c.data, c.len, "%%EOF", 5));
			/* startxref points at the xref table */
			const char *sx = memmem(c.data, c.len, "startxref\n", 10);
			assert_non_null(sx);
			long off = strtol(sx + 10, NULL, 10);
			assert_memory_equal(c.data + off, "xref\n", 5);
		} else if (strcmp(ext, ".csv") == 0) {
			seen[1] = 1;
			assert_memory_equal(c.data, "MRN,Name", 8);
		} else {
			seen[2] = 1;
			assert_string_equal(ext, ".rtf");
			assert_memory_equal(c.data, "{\\rtf1", 6);
			assert_int_equal(c.data[c.len - 3], '}');
		}
		canary_spec_free(&c);
	}
	assert_true(seen[0] && seen[1] && seen[2]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deterministic_and_varied),
		cmocka_unit_test(valid_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
