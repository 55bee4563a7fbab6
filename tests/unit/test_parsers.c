/*
 * test_parsers.c - table-driven unit tests of everything that parses
 * untrusted or user-given text: configuration, times, sizes, paths,
 * /proc/<tid>/syscall lines, /proc/<pid>/stat, and the vault's metadata
 * xattr.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "../../src/actor/actor.h"
#include "../../src/capture/intent.h"
#include "../../src/common/config.h"
#include "../../src/common/util.h"
#include "../../src/journal/vault.h"

static void
config_cases(void **state)
{
	(void)state;
	static const struct { const char *text; int ok; const char *err; } t[] = {
		{ "", 1, NULL },
		{ "# only a comment\n\n", 1, NULL },
		{ "workers = 8\nperm_timeout_ms = 250\n", 1, NULL },
		{ "protect = /srv/share\nprotect = /srv/other\n", 1, NULL },
		{ "vault_budget = 50G\n", 1, NULL },
		{ "vault_budget = 30%\n", 1, NULL },
		{ "vault_dir = auto\n", 1, NULL },
		{ "log_level = debug  # trailing comment\n", 1, NULL },
		{ "workres = 4\n", 0, "t:1: workres: unknown option" },
		{ "detect = off\nrollback = manual\nkill = never\n", 1, NULL },
		{ "score_threshold = 12\nanalysis_backlog = 2\n", 1, NULL },
		{ "allow_exe = /usr/bin/rsync\n", 1, NULL },
		{ "allow_exe = /usr/bin/rsync 0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef\n", 1, NULL },
		{ "allow_exe = /usr/bin/rsync deadbeef\n", 0, "t:1: allow_exe" },
		{ "allow_exe = rsync\n", 0, "t:1: allow_exe" },
		{ "allow_user = 1000\nallow_path = /srv/share/db\n", 1, NULL },
		{ "allow_user = root\n", 0, "t:1: allow_user: root cannot" },
		{ "allow_user = 0\n", 0, "t:1: allow_user: root cannot" },
		{ "allow_user = no-such-user-here\n", 0, "t:1: allow_user" },
		{ "allow_path = /\n", 0, "t:1: allow_path" },
		{ "rollback = sometimes\n", 0, "t:1: rollback: expected one of" },
		{ "detect = yes\n", 0, "t:1: detect" },
		{ "score_threshold = 0\n", 0, "t:1: score_threshold" },
		{ "\n\nworkers = 0\n", 0, "t:3: workers" },
		{ "workers = 4x\n", 0, "t:1: workers" },
		{ "perm_timeout_ms = 5\n", 0, "t:1: perm_timeout_ms" },
		{ "protect = relative/path\n", 0, "t:1: protect" },
		{ "protect = /srv/../etc\n", 0, "t:1: protect" },
		{ "protect = /\n", 0, "t:1: protect" },
		{ "protect = /srv\nprotect = /srv/share\n", 0, "t:2: protect" },
		{ "vault_budget = 0\n", 0, "t:1: vault_budget" },
		{ "vault_budget = 99%\n", 0, "t:1: vault_budget" },
		{ "state_dir =\n", 0, "t:1: state_dir: missing value" },
		{ "just words\n", 0, "t:1: expected" },
		{ "log_level = loud\n", 0, "t:1: log_level" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct config c;
		char err[512] = "";
		config_defaults(&c);
		int rc = config_parse(&c, t[i].text, "t", err, sizeof err);
		if (t[i].ok != (rc == 0))
			fail_msg("case %zu: \"%s\" rc=%d err=%s", i, t[i].text,
			    rc, err);
		if (!t[i].ok && strstr(err, t[i].err) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err,
			    t[i].err);
		config_free(&c);
	}
}

static void
default_config_parses(void **state)
{
	(void)state;
	struct config a, b;
	char err[512];
	config_defaults(&a);
	config_defaults(&b);
	assert_int_equal(config_parse(&b, config_default_text, "builtin", err,
	    sizeof err), 0);
	/* the shipped text must describe exactly the compiled defaults */
	assert_memory_equal(&a, &b, sizeof a);
}

static void
time_cases(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(parse_time("2026-11-24T10:00:00Z", &v), 0);
	assert_true(v == 1795514400LL * 1000000000LL);
	assert_int_equal(parse_time("@1795514400", &v), 0);
	assert_true(v == 1795514400LL * 1000000000LL);
	assert_int_equal(parse_time("2026-11-24T10:00:00.250Z", &v), 0);
	assert_true(v == 1795514400LL * 1000000000LL + 250000000LL);
	int64_t now = now_ns();
	assert_int_equal(parse_time("-2h", &v), 0);
	assert_true(now - v >= 7200LL * 1000000000LL - 1000000000LL);
	const char *bad[] = { "", "yesterday", "-5", "-5y", "@x", "2026-13-45",
		"2026-11-24T10:00:00Zjunk", "-99999999999999999d" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse_time(bad[i], &v) == 0)
			fail_msg("accepted bad time \"%s\"", bad[i]);
}

static void
size_cases(void **state)
{
	(void)state;
	static const struct { const char *s; int ok; uint64_t v; } t[] = {
		{ "512", 1, 512 }, { "64K", 1, 65536 }, { "10M", 1, 10485760 },
		{ "2G", 1, 2147483648ULL }, { "1T", 1, 1099511627776ULL },
		{ "", 0, 0 }, { "G", 0, 0 }, { "5X", 0, 0 }, { "5GB", 0, 0 },
		{ "-1", 0, 0 }, { "99999999999999999999T", 0, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t v = 0;
		int rc = parse_size(t[i].s, &v);
		if ((rc == 0) != t[i].ok || (t[i].ok && v != t[i].v))
			fail_msg("size \"%s\"", t[i].s);
	}
}

static void
path_cases(void **state)
{
	(void)state;
	static const struct { const char *p; int clean; } t[] = {
		{ "/", 1 }, { "/srv/share", 1 }, { "/a/b/c.txt", 1 },
		{ "", 0 }, { "srv", 0 }, { "/srv/", 0 }, { "/srv//x", 0 },
		{ "/srv/./x", 0 }, { "/srv/../etc", 0 }, { "/..", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (path_is_clean_absolute(t[i].p) != t[i].clean)
			fail_msg("clean(\"%s\")", t[i].p);
	assert_true(path_is_under("/srv/share/x", "/srv/share"));
	assert_true(path_is_under("/srv/share", "/srv/share"));
	assert_false(path_is_under("/srv/shared", "/srv/share"));
	assert_false(path_is_under("/srv", "/srv/share"));
}

static int
fake_fetch(pid_t tid, unsigned long addr, unsigned long long *flags)
{
	(void)tid;
	*flags = addr; /* the test passes the flags as the "pointer" */
	return 0;
}

static void
intent_cases(void **state)
{
	(void)state;
	static const struct { const char *line; enum intent want; } t[] = {
		/* openat(AT_FDCWD, path, flags) as seen in /proc/<tid>/syscall */
		{ "257 0xffffff9c 0x7ffc 0x0 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_READ },
		{ "257 0xffffff9c 0x7ffc 0x80000 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_READ },
		{ "257 0xffffff9c 0x7ffc 0x241 0x1b6 0x0 0x0 0x7ff 0x7ff", INTENT_TRUNC },
		{ "257 0xffffff9c 0x7ffc 0x441 0x1b6 0x0 0x0 0x7ff 0x7ff", INTENT_WRITE },
		{ "257 0xffffff9c 0x7ffc 0x80002 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_WRITE },
		{ "257 0xffffff9c 0x7ffc 0x200 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_TRUNC },
		{ "2 0x7ffc 0x1 0x0 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_WRITE },
		{ "2 0x7ffc 0x0 0x0 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_READ },
		{ "85 0x7ffc 0x1a4 0x0 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_TRUNC },
		{ "437 0xffffff9c 0x7ffc 0x2 0x18 0x0 0x0 0x7ff 0x7ff", INTENT_WRITE },
		{ "437 0xffffff9c 0x7ffc 0x0 0x18 0x0 0x0 0x7ff 0x7ff", INTENT_READ },
		{ "59 0x7ffc 0x7ffd 0x7ffe 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_READ },
		{ "426 0x3 0x1 0x0 0x0 0x0 0x0 0x7ff 0x7ff", INTENT_UNKNOWN },
		{ "running", INTENT_UNKNOWN },
		{ "-1 0x7ff 0x7ff", INTENT_UNKNOWN },
		{ "", INTENT_UNKNOWN },
		{ "257 zz", INTENT_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		enum intent got = intent_parse(t[i].line, 1, fake_fetch);
		if (got != t[i].want)
			fail_msg("case %zu \"%s\": got %s want %s", i, t[i].line,
			    intent_name(got), intent_name(t[i].want));
	}
	assert_int_equal(intent_parse("437 0x1 0x2 0x3 0x0 0x0 0x0", 1, NULL),
	    INTENT_UNKNOWN);
}

/* the syscall of a thread blocked in a FAN_PRE_ACCESS event */
static void
pre_kind_cases(void **state)
{
	(void)state;
	static const struct { const char *line; enum pre_kind want; } t[] = {
		{ "0 0x3 0x7ffc 0x1000 0x0 0x0 0x0 0x7ff 0x7ff", PRE_READ },
		{ "17 0x3 0x7ffc 0x1000 0x2000 0x0 0x0 0x7ff 0x7ff", PRE_READ },
		{ "295 0x3 0x7ffc 0x2 0x0 0x0 0x0 0x7ff 0x7ff", PRE_READ },
		{ "1 0x3 0x7ffc 0x1000 0x0 0x0 0x0 0x7ff 0x7ff", PRE_RANGE },
		{ "18 0x3 0x7ffc 0x1000 0x2000 0x0 0x0 0x7ff 0x7ff", PRE_RANGE },
		{ "20 0x3 0x7ffc 0x2 0x0 0x0 0x0 0x7ff 0x7ff", PRE_RANGE },
		{ "9 0x0 0x5000000 0x3 0x1 0x3 0x0 0x7ff 0x7ff", PRE_RANGE },
		{ "77 0x3 0x500000 0x0 0x0 0x0 0x0 0x7ff 0x7ff", PRE_TO_END },
		{ "76 0x7ffc 0x100000 0x0 0x0 0x0 0x0 0x7ff 0x7ff", PRE_TO_END },
		{ "285 0x3 0x3 0x0 0x1000 0x0 0x0 0x7ff 0x7ff", PRE_TO_END },
		{ "326 0x3 0x0 0x4 0x0 0x1000 0x0 0x7ff 0x7ff", PRE_TO_END },
		{ "running", PRE_TO_END },
		{ "", PRE_TO_END },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		enum pre_kind got = intent_pre_kind(t[i].line);
		if (got != t[i].want)
			fail_msg("case %zu \"%s\": got %d want %d", i,
			    t[i].line, got, t[i].want);
	}
}

static void
stat_cases(void **state)
{
	(void)state;
	pid_t ppid;
	uint64_t start;
	char comm[17];
	const char *line = "4242 (my (odd) prog) S 17 4242 4242 0 -1 4194560 "
	    "100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100";
	assert_int_equal(actor_parse_stat(line, &ppid, &start, comm), 0);
	assert_int_equal(ppid, 17);
	assert_true(start == 987654);
	assert_string_equal(comm, "my (odd) prog");
	assert_int_equal(actor_parse_stat("4242 (x) S 1", &ppid, &start, comm),
	    -1);
	assert_int_equal(actor_parse_stat("garbage", &ppid, &start, comm), -1);
	pid_t tg;
	uid_t uid;
	assert_int_equal(actor_parse_status("Name:\tx\nTgid:\t77\nPid:\t78\n"
	    "Uid:\t1000\t1000\t1000\t1000\n", &tg, &uid), 0);
	assert_int_equal(tg, 77);
	assert_int_equal(uid, 1000);
	assert_int_equal(actor_parse_status("nothing", &tg, &uid), -1);
}

static void
meta_roundtrip(void **state)
{
	(void)state;
	struct version_meta m = { .id = 42, .tree_id = 3, .dev = 2049,
		.ino = 123456, .size = 99, .mode = 0100640, .uid = 1234,
		.gid = 5678, .atime_ns = 1, .mtime_ns = -2, .ctime_ns = 3,
		.created_ns = 4, .actor_id = 7 };
	snprintf(m.reason, sizeof m.reason, "rename-over");
	snprintf(m.state, sizeof m.state, "ok");
	snprintf(m.path, sizeof m.path, "/srv/share/Radiology/CT 01/ä.dcm");
	char buf[8192];
	int n = vault_meta_format(&m, buf, sizeof buf);
	assert_true(n > 0);
	struct version_meta r;
	assert_int_equal(vault_meta_parse(buf, (size_t)n, &r), 0);
	assert_memory_equal(&m, &r, sizeof m);
	snprintf(m.path, sizeof m.path, "/srv/a\nid=9\nb");
	n = vault_meta_format(&m, buf, sizeof buf);
	assert_int_equal(vault_meta_parse(buf, (size_t)n, &r), 0);
	assert_string_equal(r.path, "/srv/a\nid=9\nb");
	assert_true(r.id == 42);
	const char *bad[] = { "", "v2\nid=1\npath=/x", "v1\nid=x\npath=/x",
		"v1\nid=1", "v1\nnoequals\npath=/x", "v1\npath=/x" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (vault_meta_parse(bad[i], strlen(bad[i]), &r) == 0)
			fail_msg("accepted bad meta %zu", i);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(config_cases),
		cmocka_unit_test(default_config_parses),
		cmocka_unit_test(time_cases),
		cmocka_unit_test(size_cases),
		cmocka_unit_test(path_cases),
		cmocka_unit_test(intent_cases),
		cmocka_unit_test(pre_kind_cases),
		cmocka_unit_test(stat_cases),
		cmocka_unit_test(meta_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
