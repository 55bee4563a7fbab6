/*
 * test_judge.c - table-driven tests of the judge's text indicators: the
 * extension a rename adds, ransom-note names and contents; and of the
 * lead a group's rename-overs may take over the notification handler.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../src/actor/actor.h"
#include "../../src/analyse/analyse.h"
#include "../../src/common/config.h"
#include "../../src/judge/judge.h"

#include <stdio.h>
#include <unistd.h>

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

/* ---- the rename lead (renames_behind in judge.c) ---- */
static unsigned long handled_now;

static unsigned long
fake_handled(void)
{
	return handled_now;
}

static unsigned long backlog_none(void) { return 0; }
static unsigned long backlog_some(void) { return 1; }

/* Steps: read a rename (seq), set the handled count, or credit a clean
 * replacement; after each, whether the group's next read-only open must
 * go to a worker (and so wait for the handler), and whether the reader
 * may admit a new file's open itself (judge_admit_now): never while the
 * handler is behind; before any score, whenever the handler is idle. */
enum step { READ, HANDLED, CLEAN, DESTROYED };

static void
rename_lead_cases(void **state)
{
	(void)state;
	static struct config cfg;
	config_defaults(&cfg);
	cfg.detect = 1;
	judge_init(&cfg, 1, NULL);
	judge_on_handled(fake_handled);
	static struct actor a;
	a.id = 7;
	a.pid = getpid();
	a.start = 1;
	snprintf(a.exe, sizeof a.exe, "/usr/bin/sed");
	snprintf(a.comm, sizeof a.comm, "sed");
	judge_allowed(&a);   /* known, as a worker has looked by then */
	int scored = 0;
	static const struct { enum step op; unsigned long n; int worker; }
	    t[] = {
		{ HANDLED, 3, 0 },
		{ READ, 5, 0 },       /* one rename unhandled: goes on */
		{ READ, 8, 1 },       /* two: waits for the handler */
		{ HANDLED, 5, 0 },    /* one left */
		{ HANDLED, 8, 0 },
		/* 16 clean replacements buy one more rename of lead */
		{ CLEAN, 16, 0 },
		{ READ, 10, 0 }, { READ, 12, 0 },
		{ READ, 14, 1 },      /* three unhandled */
		{ HANDLED, 14, 0 },
		/* the lead never passes 6, however clean the past */
		{ CLEAN, 1000, 0 },
		{ READ, 20, 0 }, { READ, 21, 0 }, { READ, 22, 0 },
		{ READ, 23, 0 }, { READ, 24, 0 },
		{ READ, 25, 1 },      /* six unhandled */
		{ HANDLED, 25, 0 },
		/* a destroyed file takes the credit away */
		{ DESTROYED, 1, 0 },
		{ READ, 30, 0 },
		{ READ, 31, 1 },
		{ HANDLED, 31, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		switch (t[i].op) {
		case READ:
			judge_rename_read(&a, t[i].n);
			break;
		case HANDLED:
			handled_now = t[i].n;
			break;
		case CLEAN:
			for (unsigned long k = 0; k < t[i].n; k++)
				judge_clean_replacement(&a);
			break;
		case DESTROYED: {
			struct analysis an = { .verdict = V_DESTROYED };
			snprintf(an.why, sizeof an.why, "test");
			judge_file(&a, "/srv/share/x.pdf", &an);
			scored = 1;
			break;
		}
		}
		int w = judge_needs_worker(&a);
		if (w != t[i].worker)
			fail_msg("step %zu: needs_worker %d, want %d", i, w,
			    t[i].worker);
		if (t[i].worker && judge_admit_now(&a, 0, 0, 1, 1,
		    backlog_some) != ADMIT_WAIT)
			fail_msg("step %zu: admitted on the reader while behind",
			    i);
		if (!t[i].worker && !scored && judge_admit_now(&a, 0, 0, 1, 1,
		    backlog_none) != ADMIT_ALLOW)
			fail_msg("step %zu: not admitted on the reader with "
			    "nothing to wait for", i);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(extension_cases),
		cmocka_unit_test(note_name_cases),
		cmocka_unit_test(note_keyword_cases),
		cmocka_unit_test(note_candidate_cases),
		cmocka_unit_test(rename_lead_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
