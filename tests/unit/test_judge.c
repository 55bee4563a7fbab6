/*
 * test_judge.c - table-driven tests of the judge's text indicators: the
 * extension a rename adds, ransom-note names and contents.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/judge/judge.h"

static void
extension_cases(void **state)
{
	(void)state;
	static const struct { const char *from, *to, *ext; } t[] = {
		{ "x.pdf", "x.pdf.CONTI", "CONTI" },
		{ "x.pdf", "x.pdf.a8f3kq9zt", "a8f3kq9zt" },
		{ "x.pdf", "x.locked", "locked" },
		{ "Budget.xlsx", "Budget.xlsx.WNCRY", "WNCRY" },
		{ "x.pdf.WNCRYT", "x.pdf.WNCRY", "WNCRY" },
		/* benign: compression, rotation, backups, temp files */
		{ "x.csv", "x.csv.gz", NULL },
		{ "app.log", "app.log.1", NULL },
		{ "app.log.1", "app.log.2", NULL },
		{ "x.docx", "x.docx.bak", NULL },
		{ "sedAb12Cd", "notes.txt", NULL },
		{ "IM000001.dcm.tmp", "IM000001.dcm", NULL },
		{ "x.pdf", "y.pdf", NULL },
		{ "x.pdf", "x.pdf", NULL },
		{ "x", "x.dpkg-old", NULL },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char ext[24] = "";
		int r = judge_new_extension(t[i].from, t[i].to, ext, sizeof ext);
		if (t[i].ext == NULL) {
			if (r != 0)
				fail_msg("%s -> %s counted as \".%s\"", t[i].from,
				    t[i].to, ext);
		} else if (r != 1 || strcmp(ext, t[i].ext) != 0) {
			fail_msg("%s -> %s: got %d \"%s\", want \"%s\"",
			    t[i].from, t[i].to, r, ext, t[i].ext);
		}
	}
}

static void
note_name_cases(void **state)
{
	(void)state;
	static const struct { const char *name; int note; } t[] = {
		{ "readme.txt", 1 }, { "Restore-My-Files.txt", 1 },
		{ "@Please_Read_Me@.txt", 1 }, { "HOW_TO_DECRYPT.txt", 1 },
		{ "How to Restore Your Files.html", 1 },
		{ "LOCKFILE-README-FS01-svc.hta", 1 },
		{ "!NEWS_FOR_STMARYS!.txt", 1 },
		{ "handover_2025-03-01.txt", 0 }, { "readme.md", 0 },
		{ "README", 0 }, { "lab_results.csv", 0 }, { "restore.sh", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (judge_note_name(t[i].name) != t[i].note)
			fail_msg("note name %s: want %d", t[i].name, t[i].note);
}

/* Only a new file that could be a note is read for keywords. */
static void
note_candidate_cases(void **state)
{
	(void)state;
	static const struct { const char *name; int cand; } t[] = {
		{ "readme.txt", 1 }, { "Notes.TXT", 1 }, { "info.hta", 1 },
		{ "DECRYPT-FILES.html", 1 }, { "a.htm", 1 }, { "x.rtf", 1 },
		{ "README", 1 }, { "Makefile", 1 }, { ".hidden", 1 },
		{ "trailing.", 1 },
		{ "main.c", 0 }, { "ward.h", 0 }, { "scan.dcm", 0 },
		{ "photo.jpg", 0 }, { "lab.csv", 0 }, { "a.txt.gz", 0 },
		{ "x.pdf.WNCRY", 0 }, { "txt", 1 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (judge_note_candidate(t[i].name) != t[i].cand)
			fail_msg("note candidate %s: want %d", t[i].name,
			    t[i].cand);
}

static void
note_keyword_cases(void **state)
{
	(void)state;
	static const struct { const char *text; int note; } t[] = {
		{ "All your files have been encrypted. To decrypt them pay 1 "
		  "BTC to the address below. Download Tor Browser.", 1 },
		{ "Your data is stolen and encrypted. Contact us at "
		  "http://abc.onion to recover your files.", 1 },
		{ "Handover: bed 4 stable. Recover from surgery expected.", 0 },
		{ "Backup job: encrypt the nightly archive before upload.", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (judge_note_keywords(t[i].text, strlen(t[i].text)) !=
		    t[i].note)
			fail_msg("keywords in \"%s\": want %d", t[i].text,
			    t[i].note);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(extension_cases),
		cmocka_unit_test(note_name_cases),
		cmocka_unit_test(note_keyword_cases),
		cmocka_unit_test(note_candidate_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
