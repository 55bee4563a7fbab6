/*
 * test_smb.c - table-driven tests of the Samba layer's parsers: the
 * client address of an smbd from /proc/net/tcp{,6}, sessions from
 * `smbstatus --json` (its text comes partly from clients), and the ban
 * file that smbd reads as root (nothing unvalidated may reach it).
 * peer_live_cases asks smb_peer_of() about real processes: children
 * holding a loopback TCP connection (IPv4, IPv6, v4-mapped), a TCP
 * listener, or a unix listener beside a connection.
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
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "../../src/actor/smb.h"
#include "../../src/common/config.h"
#include "../../src/contain/smbban.h"

static const char tcp4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0101640A:1162 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1000 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0101640A:1162 0201640A:D3A2 01 00000000:00000000 00:00000000 00000000     0        0 2000 1 0000000000000000 20 4 30 10 -1\n"
    "   2: 0101640A:1162 0301640A:D3A4 06 00000000:00000000 03:00000000 00000000     0        0 3000 1 0000000000000000 20 4 30 10 -1\n";
static const char tcp6[] =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0000000000000000FFFF00000101640A:1162 0000000000000000FFFF00000901640A:C001 01 00000000:00000000 00:00000000 00000000     0        0 4000 1 0\n"
    "   1: 000080FE000000000000000001000000:1162 000080FE000000000000000002000000:C002 01 00000000:00000000 00:00000000 00000000     0        0 5000 1 0\n";

/* A loopback address of family af, port 0 (bind) or as given. */
static socklen_t
loopback(int af, struct sockaddr_storage *ss, int any)
{
	memset(ss, 0, sizeof *ss);
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof *a;
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
	a->sin6_family = AF_INET6;
	a->sin6_addr = any ? in6addr_any : in6addr_loopback;
	return sizeof *a;
}

struct hold_case {
	int lf;           /* the listener's family (AF_INET6 with any: dual stack) */
	int any;
	int cf;           /* the client's family */
	int listen_only;  /* the child keeps the TCP listener, serves no one */
	int unix_too;     /* the child also holds a listening unix socket */
	int rc;
	const char *addr;
};

/* A child holding what c says until killed (an accepted TCP connection
 * from a client that stays in the parent, as *client); -1 if the
 * families are not available here. */
static pid_t
holder(const struct hold_case *c, int *client)
{
	*client = -1;
	struct sockaddr_storage ss;
	socklen_t sl = loopback(c->lf, &ss, c->any);
	int l = socket(c->lf, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&ss, sl) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&ss, &sl) < 0) {
		close(l);
		return -1;
	}
	in_port_t port = c->lf == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port;
	struct sockaddr_storage to;
	socklen_t tl = loopback(c->cf, &to, 0);
	if (c->cf == AF_INET)
		((struct sockaddr_in *)&to)->sin_port = port;
	else
		((struct sockaddr_in6 *)&to)->sin6_port = port;
	int k = socket(c->cf, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int pipefd[2] = { -1, -1 };
	if (k < 0 || connect(k, (struct sockaddr *)&to, tl) < 0 ||
	    pipe(pipefd) < 0) {
		close(l);
		if (k >= 0)
			close(k);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(k);
		if (!c->listen_only) {
			int a = accept(l, NULL, NULL);
			close(l);
			(void)a;
		}
		if (c->unix_too) {
			int u = socket(AF_UNIX, SOCK_STREAM, 0);
			struct sockaddr_un un = { .sun_family = AF_UNIX };
			/* abstract: nothing left in the filesystem */
			snprintf(un.sun_path + 1, sizeof un.sun_path - 1,
			    "vigil-test-%d", (int)getpid());
			if (u < 0 || bind(u, (struct sockaddr *)&un,
			    sizeof un) < 0 || listen(u, 1) < 0)
				_exit(1);
		}
		(void)!write(pipefd[1], "r", 1);
		pause();
		_exit(0);
	}
	close(l);
	close(pipefd[1]);
	char b = 0;
	if (pid < 0 || read(pipefd[0], &b, 1) != 1) {
		close(pipefd[0]);
		close(k);
		return -1;
	}
	close(pipefd[0]);
	*client = k;   /* stays open until the child goes */
	return pid;
}

static void
peer_live_cases(void **state)
{
	(void)state;
	static const struct hold_case t[] = {
		{ AF_INET, 0, AF_INET, 0, 0, 0, "127.0.0.1" },
		{ AF_INET6, 0, AF_INET6, 0, 0, 0, "::1" },
		/* dual stack: the accepted socket is AF_INET6, v4-mapped */
		{ AF_INET6, 1, AF_INET, 0, 0, 0, "127.0.0.1" },
		/* a unix listener says nothing about the client */
		{ AF_INET, 0, AF_INET, 0, 1, 0, "127.0.0.1" },
		/* a TCP listener serves no one client (Samba's main smbd) */
		{ AF_INET, 0, AF_INET, 1, 0, -1, "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int c;
		pid_t pid = holder(&t[i], &c);
		if (pid < 0 && (t[i].lf == AF_INET6 || t[i].cf == AF_INET6))
			continue;   /* no IPv6 loopback on this machine */
		assert_true(pid > 0);
		char a1[SMB_ADDR_MAX] = "", a2[SMB_ADDR_MAX] = "";
		/* both ways: through pidfd_getfd (vigild runs as root, so
		 * it is not refused here) and as vigild asks */
		int r1 = smb_peer_by_pidfd(pid, a1, sizeof a1);
		int r2 = smb_peer_of(pid, a2, sizeof a2);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(c);
		assert_int_equal(r1, t[i].rc);
		assert_int_equal(r2, t[i].rc);
		if (t[i].rc == 0) {
			assert_string_equal(a1, t[i].addr);
			assert_string_equal(a2, t[i].addr);
		}
	}
	char addr[SMB_ADDR_MAX];
	assert_int_equal(smb_peer_of(getpid(), addr, sizeof addr), -1);
}

static void
net_tcp_cases(void **state)
{
	(void)state;
	/* ino2: a second socket of the same process, 0 for none */
	static const struct { const char *buf; int v6; unsigned long ino,
	    ino2; int rc; const char *addr; } t[] = {
		{ tcp4, 0, 2000, 0, 0, "10.100.1.2" },   /* established */
		{ tcp4, 0, 1000, 0, 1, "" },             /* listening socket */
		/* Samba's main smbd just after accept: it listens and holds
		 * the new client's socket; it is no session, in either order */
		{ tcp4, 0, 1000, 2000, 1, "" },
		{ tcp4, 0, 2000, 1000, 1, "" },
		{ tcp4, 0, 3000, 0, -1, "" },            /* TIME_WAIT */
		{ tcp4, 0, 9999, 0, -1, "" },            /* not ours */
		{ tcp4, 0, 3000, 2000, 0, "10.100.1.2" },
		{ tcp6, 1, 4000, 0, 0, "10.100.1.9" },   /* v4-mapped */
		{ tcp6, 1, 5000, 0, 0, "fe80::2" },
		{ tcp6, 1, 4000, 5000, 0, "10.100.1.9" },  /* the first one */
		{ "", 0, 1, 0, -1, "" },
		{ "header only\n", 0, 1, 0, -1, "" },
		{ "h\n 0: zz:1 qq:2 01 0 0 0 0 0 2000\n", 0, 2000, 0, -1, "" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char a[64] = "";
		unsigned long ino[2] = { t[i].ino, t[i].ino2 };
		int rc = smb_parse_net_tcp(t[i].buf, ino, t[i].ino2 ? 2 : 1,
		    t[i].v6, a, sizeof a);
		if (rc != t[i].rc || (rc == 0 && strcmp(a, t[i].addr) != 0))
			fail_msg("case %zu: rc %d addr \"%s\"", i, rc, a);
	}
}

static void
status_cases(void **state)
{
	(void)state;
	static const struct { const char *json; int n; const char *user,
	    *addr, *machine; int pid; } t[] = {
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":\"4242\"},"
		  "\"uid\":1001,\"username\":\"alice\",\"remote_machine\":"
		  "\"WARD-PC\",\"hostname\":\"ipv4:10.1.2.3:50000\","
		  "\"session_dialect\":\"SMB3_11\"}}}", 1, "alice",
		  "10.1.2.3", "WARD-PC", 4242 },
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":\"77\"},"
		  "\"username\":\"(auth in progress)\",\"hostname\":"
		  "\"ipv6:::ffff:10.9.9.9:445\"}}}", 1, "", "10.9.9.9", "", 77 },
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":\"78\"},"
		  "\"username\":\"bob\",\"hostname\":\"ipv6:fd00::5:445\"}}}",
		  1, "bob", "fd00::5", "", 78 },
		/* control characters from a client never reach a log line */
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":\"79\"},"
		  "\"username\":\"ev\\nil\",\"hostname\":\"ipv4:1.2.3.4:1\"}}}",
		  1, "ev?il", "1.2.3.4", "", 79 },
		{ "{\"sessions\":{}}", 0, NULL, NULL, NULL, 0 },
		{ "{\"timestamp\":\"x\"}", 0, NULL, NULL, NULL, 0 },
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":\"-3\"}}}}", 0,
		  NULL, NULL, NULL, 0 },
		{ "{\"sessions\":{\"1\":{\"server_id\":{\"pid\":12}}}}", 0,
		  NULL, NULL, NULL, 0 },
		{ "{\"sessions\":{\"1\":7}}", 0, NULL, NULL, NULL, 0 },
		{ "{\"sessions\":[]}", -1, NULL, NULL, NULL, 0 },
		{ "not json", -1, NULL, NULL, NULL, 0 },
		{ "[1,2]", -1, NULL, NULL, NULL, 0 },
		{ "{\"sessions\":{\"1\":{},\"1\":{}}}", -1, NULL, NULL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smb_session s[4];
		int n = smb_parse_status(t[i].json, strlen(t[i].json), s, 4);
		if (n != t[i].n)
			fail_msg("case %zu: %d sessions, want %d", i, n, t[i].n);
		if (n == 1 && (strcmp(s[0].user, t[i].user) != 0 ||
		    strcmp(s[0].address, t[i].addr) != 0 ||
		    strcmp(s[0].machine, t[i].machine) != 0 ||
		    s[0].pid != t[i].pid))
			fail_msg("case %zu: user \"%s\" addr \"%s\" machine "
			    "\"%s\" pid %d", i, s[0].user, s[0].address,
			    s[0].machine, (int)s[0].pid);
	}
}

static void
user_ok_cases(void **state)
{
	(void)state;
	static const struct { const char *u; int ok; } t[] = {
		{ "alice", 1 }, { "ward.clerk_2", 1 }, { "PC01$", 1 },
		{ "a@HOSPITAL", 1 }, { "", 0 }, { "-x", 0 }, { "+group", 0 },
		{ "@group", 0 }, { "a b", 0 }, { "a\nhosts allow = 0.0.0.0", 0 },
		{ "DOM\\user", 0 }, { "a,b", 0 }, { "x;y", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (smbban_user_ok(t[i].u) != t[i].ok)
			fail_msg("case %zu: \"%s\"", i, t[i].u);
}

/* add, render, parse back, remove: through a real file */
static void
ban_file_roundtrip(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-unit-ban.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char f[256], err[256];
	snprintf(f, sizeof f, "%s/ban.conf", dir);
	assert_int_equal(smbban_add(f, SMB_BAN_ADDRESS, 3, "10.0.0.7", "eve",
	    err, sizeof err), 0);
	assert_int_equal(smbban_add(f, SMB_BAN_BOTH, 4, "fd00::9", "mallory",
	    err, sizeof err), 0);
	/* a hostile user name is never written; the address still is */
	assert_int_equal(smbban_add(f, SMB_BAN_BOTH, 5, "10.0.0.8",
	    "x\ninclude = /tmp/evil", err, sizeof err), 0);
	assert_int_equal(smbban_add(f, SMB_BAN_USER, 6, "10.0.0.9", "bad user",
	    err, sizeof err), -1);
	assert_int_equal(smbban_add(f, SMB_BAN_ADDRESS, 7, "not-an-ip", NULL,
	    err, sizeof err), -1);
	FILE *fp = fopen(f, "r");
	assert_non_null(fp);
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_non_null(strstr(text, "\nhosts deny = 10.0.0.7 fd00::9 10.0.0.8\n"));
	assert_non_null(strstr(text, "\ninvalid users = mallory\n"));
	assert_null(strstr(text, "evil"));
	struct smbban b[8];
	assert_int_equal(smbban_parse(text, b, 8), 3);
	assert_int_equal(smbban_remove(f, 4, err, sizeof err), 1);
	assert_int_equal(smbban_remove(f, 4, err, sizeof err), 0);
	fp = fopen(f, "r");
	n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_null(strstr(text, "mallory"));
	assert_null(strstr(text, "invalid users"));
	assert_non_null(strstr(text, "\nhosts deny = 10.0.0.7 10.0.0.8\n"));
	assert_int_equal(smbban_remove(f, 3, err, sizeof err), 1);
	assert_int_equal(smbban_remove(f, 5, err, sizeof err), 1);
	fp = fopen(f, "r");
	n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	assert_null(strstr(text, "hosts deny"));
	unlink(f);
	rmdir(dir);
}

static void
ban_parse_hostile(void **state)
{
	(void)state;
	static const char *t[] = {
		"# ban 1 10.0.0.1 -\n# ban 0 10.0.0.2 -\n# ban x 1.1.1.1 -\n",
		"# ban 2 999.1.1.1 -\n# ban 3 - -\n# ban 4 - a\\nb\n",
		"hosts deny = 0.0.0.0/0\n# ban 5 10.0.0.5 ok_user\n",
	};
	static const int want[] = { 1, 0, 1 };
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct smbban b[8];
		int n = smbban_parse(t[i], b, 8);
		if (n != want[i])
			fail_msg("case %zu: %d records", i, n);
	}
}

static void
smb_config_cases(void **state)
{
	(void)state;
	struct config c;
	char err[256];
	config_defaults(&c);
	assert_int_equal(c.smb_ban, SMB_BAN_ADDRESS);
	assert_int_equal(config_parse(&c, "smb_ban = both\nsmb_conf = "
	    "/etc/samba/smb.conf\nsmb_ban_file = /etc/samba/vigil-ban.conf\n",
	    "t", err, sizeof err), 0);
	assert_int_equal(c.smb_ban, SMB_BAN_BOTH);
	assert_string_equal(c.smb_ban_file, "/etc/samba/vigil-ban.conf");
	assert_int_equal(config_parse(&c, "smb_ban = sometimes\n", "t", err,
	    sizeof err), -1);
	assert_int_equal(config_parse(&c, "smb_ban_file = relative\n", "t",
	    err, sizeof err), -1);
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(net_tcp_cases),
		cmocka_unit_test(peer_live_cases),
		cmocka_unit_test(status_cases),
		cmocka_unit_test(user_ok_cases),
		cmocka_unit_test(ban_file_roundtrip),
		cmocka_unit_test(ban_parse_hostile),
		cmocka_unit_test(smb_config_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
