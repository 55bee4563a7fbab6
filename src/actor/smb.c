/*
 * smb.c - which SMB client an smbd process works for (see smb.h).
 *
 * DESIGN
 * Every write a Windows client makes to a share is made by smbd, so a
 * per-process view sees one program doing everything.  Samba forks one
 * smbd per client connection; that process's TCP peer is the client.  The
 * peer is read once per smbd process: each socket in /proc/PID/fd is
 * borrowed with pidfd_getfd(2) and asked getpeername(2), a few system
 * calls per socket.  Where that is refused (a kernel before 5.6, a
 * ptrace policy), the socket inodes are looked up in /proc/PID/net/tcp
 * and tcp6 instead: also exact, but the kernel walks its whole TCP hash
 * table to print them, milliseconds on the permission path per new smbd
 * (a third of the reader's time in bench/smb.sh, 2026-12-07).  User and
 * machine names come from `smbstatus -p --json`, run by a thread of its
 * own whenever a new smbd appears; the table it fills is only ever read
 * under a mutex held for a copy, so no lookup waits for smbstatus.
 * Must not: block the permission path on smbstatus, trust names the
 * client chose (they are copied, bounded and only ever printed as JSON
 * strings or logged), or signal anything (contain/ does that).
 */
#define _GNU_SOURCE
#include "actor.h"
#include "smb.h"
#include "../common/log.h"
#include "../common/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 128
#define MAX_SESSIONS 4096
#define TCP_TABLE_MAX (16u << 20)      /* /proc/net/tcp of a busy server */
#define STATUS_MAX (8u << 20)          /* smbstatus --json output */
#define STATUS_TIMEOUT_MS 5000

extern char **environ;

/* ---- the peer of an smbd process ---- */

/* Read a whole /proc file (they report size 0) into a malloc'd string. */
static char *
read_proc_all(const char *path, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 16384, n = 0;
	char *b = malloc(cap);
	while (b) {
		if (cap - n < 4096) {
			if (cap >= max)
				break;
			char *nb = realloc(b, cap * 2);
			if (nb == NULL)
				break;
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (b)
		b[n] = '\0';
	return b;
}

/* An IPv4 (4 bytes) or IPv6 (16 bytes) address as text, an IPv4-mapped
 * IPv6 address written as IPv4; 0 or -1. */
static int
ip_text(int v6, const void *bytes, char *out, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	if (v6 && memcmp(bytes, mapped, 12) == 0)
		return inet_ntop(AF_INET, (const unsigned char *)bytes + 12,
		    out, (socklen_t)len) ? 0 : -1;
	return inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, out,
	    (socklen_t)len) ? 0 : -1;
}

/* An address as printed by the kernel (%08X per native 32-bit word). */
static int
hex_addr(const char *s, int v6, char *out, size_t len)
{
	unsigned char bytes[16];
	int words = v6 ? 4 : 1;
	for (int w = 0; w < words; w++) {
		char h[9];
		memcpy(h, s + 8 * w, 8);
		h[8] = '\0';
		if (strspn(h, "0123456789abcdefABCDEF") != 8)
			return -1;
		uint32_t v = (uint32_t)strtoul(h, NULL, 16);
		memcpy(bytes + 4 * w, &v, 4);
	}
	return ip_text(v6, bytes, out, len);
}

int
smb_parse_net_tcp(const char *buf, const unsigned long *inodes,
    size_t ninodes, int v6, char *addr, size_t len)
{
	size_t alen = v6 ? 32 : 8;
	int rc = -1;
	const char *line = strchr(buf, '\n');    /* skip the header */
	while (line && *line) {
		line++;
		const char *next = strchr(line, '\n');
		char l[512];
		size_t ll = next ? (size_t)(next - line) : strlen(line);
		if (ll >= sizeof l)
			ll = sizeof l - 1;
		memcpy(l, line, ll);
		l[ll] = '\0';
		line = next;
		/* sl local rem st queues timer retr uid timeout inode */
		char loc[40], rem[40], st[4];
		unsigned long inode;
		if (sscanf(l, " %*s %39s %39s %3s %*s %*s %*s %*s %*s %lu",
		    loc, rem, st, &inode) != 4)
			continue;
		size_t i = 0;
		while (i < ninodes && inodes[i] != inode)
			i++;
		if (i == ninodes)
			continue;
		if (strcmp(st, "0A") == 0)
			return 1;       /* a listener: the server itself */
		if (rc == 0 || strcmp(st, "01") != 0 ||
		    strlen(rem) != alen + 5 || rem[alen] != ':')
			continue;
		rc = hex_addr(rem, v6, addr, len);
	}
	return rc;
}

struct inodes {
	unsigned long *ino;
	size_t n, max;
};

static int
add_socket(int fd, const char *link, void *arg)
{
	(void)fd;
	struct inodes *s = arg;
	unsigned long i;
	if (sscanf(link, "socket:[%lu]", &i) == 1)
		s->ino[s->n++] = i;
	return s->n >= s->max;
}

static size_t
socket_inodes(pid_t pid, unsigned long *ino, size_t max)
{
	struct inodes s = { ino, 0, max };
	if (max > 0)
		actor_fd_links(pid, add_socket, &s);
	return s.n;
}

/* ---- the peer through the sockets themselves ---- */

/* A TCP socket's connected peer, written as smb_peer_of does: 0; 1 for a
 * TCP listener; -1 for anything else (not TCP: a unix socket, listening
 * or not, says nothing about the client; not connected). */
static int
socket_peer(int sfd, char *addr, size_t len)
{
	int dom = 0, proto = 0, v = 0;
	socklen_t dl = sizeof dom, pl = sizeof proto, vl = sizeof v;
	if (getsockopt(sfd, SOL_SOCKET, SO_DOMAIN, &dom, &dl) < 0 ||
	    (dom != AF_INET && dom != AF_INET6) ||
	    getsockopt(sfd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) < 0 ||
	    proto != IPPROTO_TCP)
		return -1;
	if (getsockopt(sfd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) == 0 && v)
		return 1;
	struct tcp_info ti;
	socklen_t tl = sizeof ti;
	if (getsockopt(sfd, IPPROTO_TCP, TCP_INFO, &ti, &tl) < 0 ||
	    ti.tcpi_state != TCP_ESTABLISHED)
		return -1;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getpeername(sfd, (struct sockaddr *)&ss, &sl) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ip_text(0, &((struct sockaddr_in *)&ss)->sin_addr, addr,
		    len);
	if (ss.ss_family == AF_INET6)
		return ip_text(1, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    addr, len);
	return -1;
}

struct borrow {
	int pidfd, n, found;   /* found: 0, -1 none, -2 refused */
	char *addr;
	size_t len;
};

/* actor_fd_links callback: ask one socket of the process.  Non-zero
 * stops the walk: a listener (which rules the process out) or a refusal. */
static int
borrow_socket(int fd, const char *link, void *arg)
{
	struct borrow *b = arg;
	if (strncmp(link, "socket:[", 8) != 0)
		return 0;
	if (++b->n > MAX_SOCKETS)
		return 1;
	int sfd = (int)syscall(SYS_pidfd_getfd, b->pidfd, fd, 0);
	if (sfd < 0) {
		if (errno == EBADF || errno == ESRCH)
			return 0;   /* closed meanwhile, or its process gone */
		/* refused (EPERM, ENOSYS, an LSM) or no fd to spare: a
		 * socket left unasked could be the listener that rules the
		 * process out, so the tables must decide */
		b->found = -2;
		return 1;
	}
	char a[SMB_ADDR_MAX];
	int rc = socket_peer(sfd, a, sizeof a);
	close(sfd);
	if (rc == 1) {
		b->found = -1;
		return 1;
	}
	if (rc == 0 && b->found < 0) {
		snprintf(b->addr, b->len, "%s", a);
		b->found = 0;
	}
	return 0;
}

int
smb_peer_by_pidfd(pid_t pid, char *addr, size_t len)
{
	struct borrow b = { .found = -1, .addr = addr, .len = len };
	b.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (b.pidfd < 0)
		return errno == ESRCH ? -1 : -2;
	actor_fd_links(pid, borrow_socket, &b);
	close(b.pidfd);
	return b.found;
}

int
smb_peer_of(pid_t pid, char *addr, size_t len)
{
	int r = smb_peer_by_pidfd(pid, addr, len);
	if (r != -2)
		return r;
	unsigned long ino[MAX_SOCKETS];
	size_t n = socket_inodes(pid, ino, MAX_SOCKETS);
	if (n == 0)
		return -1;
	/* Samba's main smbd listens, accepts and forks: for a moment after
	 * each accept it also holds the new client's established socket.
	 * It serves no one client, so a listening socket in either table
	 * rules the process out, whatever else it holds.  (Treating it as
	 * the client once had containment kill the whole server.) */
	int found = -1;
	char a[SMB_ADDR_MAX];
	for (int v6 = 0; v6 <= 1; v6++) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/net/tcp%s", (int)pid,
		    v6 ? "6" : "");
		char *b = read_proc_all(p, TCP_TABLE_MAX);
		int rc = b ? smb_parse_net_tcp(b, ino, n, v6, a, sizeof a) : -1;
		free(b);
		if (rc == 1)
			return -1;
		if (rc == 0 && found < 0) {
			snprintf(addr, len, "%s", a);
			found = 0;
		}
	}
	return found;
}

/* ---- smbstatus --json ---- */

/* "ipv4:10.0.0.2:49152", "ipv6:fd00::2:49152" or "ipv6:[fd00::2]:49152"
 * -> the address, normalised as smb_peer_of writes it. */
static int
status_addr(const char *host, char *out, size_t len)
{
	char a[128];
	if (strncmp(host, "ipv4:", 5) != 0 && strncmp(host, "ipv6:", 5) != 0)
		return -1;
	snprintf(a, sizeof a, "%s", host + 5);
	char *colon = strrchr(a, ':');
	if (colon)
		*colon = '\0';
	char *s = a;
	if (*s == '[') {
		s++;
		char *e = strchr(s, ']');
		if (e)
			*e = '\0';
	}
	unsigned char b[16];
	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, out, (socklen_t)len) ? 0 : -1;
	if (inet_pton(AF_INET6, s, b) != 1)
		return -1;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	if (memcmp(b, mapped, 12) == 0)
		return inet_ntop(AF_INET, b + 12, out, (socklen_t)len) ? 0 : -1;
	return inet_ntop(AF_INET6, b, out, (socklen_t)len) ? 0 : -1;
}

static void
copy_str(json_t *o, const char *key, char *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));
	snprintf(out, len, "%s", s ? s : "");
	for (char *c = out; *c; c++)          /* no control characters */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

int
smb_parse_status(const char *text, size_t len, struct smb_session *out,
    int max)
{
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	json_t *sessions = json_object_get(root, "sessions");
	if (!json_is_object(sessions)) {
		/* no sessions at all is a valid, empty table */
		int rc = sessions == NULL || json_is_null(sessions) ? 0 : -1;
		json_decref(root);
		return rc;
	}
	int n = 0;
	const char *key;
	json_t *s;
	json_object_foreach(sessions, key, s) {
		if (n == max)
			break;
		if (!json_is_object(s))
			continue;
		struct smb_session *x = &out[n];
		memset(x, 0, sizeof *x);
		const char *pid = json_string_value(json_object_get(
		    json_object_get(s, "server_id"), "pid"));
		char *end;
		long p = pid ? strtol(pid, &end, 10) : 0;
		if (pid == NULL || *end != '\0' || p <= 1 || p > 4194304)
			continue;
		x->pid = (pid_t)p;
		json_int_t uid = json_integer_value(json_object_get(s, "uid"));
		x->uid = uid >= 0 && uid < UINT32_MAX ? (unsigned)uid :
		    (unsigned)-1;
		copy_str(s, "username", x->user, sizeof x->user);
		if (x->user[0] == '(')   /* "(auth in progress)": no user yet */
			x->user[0] = '\0';
		copy_str(s, "remote_machine", x->machine, sizeof x->machine);
		copy_str(s, "session_dialect", x->dialect, sizeof x->dialect);
		char host[128];
		copy_str(s, "hostname", host, sizeof host);
		if (status_addr(host, x->address, sizeof x->address) < 0)
			x->address[0] = '\0';
		n++;
	}
	json_decref(root);
	return n;
}

/* ---- the directory ---- */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv, done;
	pthread_t th;
	int running, stop, busy;
	atomic_int poked;                /* set without the lock */
	unsigned long generation;        /* refreshes completed */
	char conf[4096];
	struct smb_session *s;
	int n;
} S = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER };

/* Run smbstatus -p --json with a deadline; its output, or NULL.  -p:
 * the sessions only, which is all that is read; without it smbstatus
 * also walks every share connection and open file (locking.tdb), on a
 * busy server by far the larger part of its time and output. */
static char *
run_smbstatus(size_t *len)
{
	char *argv[7];
	int k = 0;
	argv[k++] = "smbstatus";
	if (S.conf[0]) {
		argv[k++] = "-s";
		argv[k++] = S.conf;
	}
	argv[k++] = "-p";
	argv[k++] = "--json";
	argv[k] = NULL;
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		return NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pp[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "smbstatus", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pp[1]);
	if (rc != 0) {
		close(pp[0]);
		return NULL;
	}
	size_t cap = 65536, n = 0;
	char *b = malloc(cap);
	int64_t deadline = now_ns() + STATUS_TIMEOUT_MS * 1000000LL;
	while (b) {
		int left = (int)((deadline - now_ns()) / 1000000);
		struct pollfd p = { .fd = pp[0], .events = POLLIN };
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		if (cap - n < 4096) {
			char *nb = cap < STATUS_MAX ? realloc(b, cap * 2) : NULL;
			if (nb == NULL)
				break;
			b = nb;
			cap *= 2;
		}
		ssize_t r = read(pp[0], b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pp[0]);
	kill(pid, SIGKILL);      /* harmless if it has exited; never waits */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (b)
		b[n] = '\0';
	*len = n;
	return b;
}

/* Merge fresh sessions into the table.  Sessions that ended stay (an
 * attacker's connection may be gone by the time its incident is written)
 * until the table is full; then the least recently seen go first. */
static void
merge_locked(const struct smb_session *s, int n)
{
	if (S.s == NULL && (S.s = calloc(MAX_SESSIONS, sizeof *S.s)) == NULL)
		return;
	for (int i = 0; i < n; i++) {
		int k;
		for (k = 0; k < S.n; k++)
			if (S.s[k].pid == s[i].pid &&
			    strcmp(S.s[k].address, s[i].address) == 0)
				break;
		if (k < S.n && s[i].user[0] == '\0' && S.s[k].user[0])
			continue;      /* keep the user once known */
		if (k == S.n && S.n == MAX_SESSIONS) {
			memmove(S.s, S.s + 1, (MAX_SESSIONS - 1) * sizeof *S.s);
			k = --S.n;
		}
		if (k < S.n) {   /* most recently seen go to the end */
			memmove(S.s + k, S.s + k + 1,
			    (size_t)(S.n - k - 1) * sizeof *S.s);
			k = --S.n;
		}
		S.s[k] = s[i];
		S.n++;
	}
}

static void
refresh(void)
{
	size_t len = 0;
	char *out = run_smbstatus(&len);
	struct smb_session *s = calloc(MAX_SESSIONS, sizeof *s);
	int n = out && s ? smb_parse_status(out, len, s, MAX_SESSIONS) : -1;
	free(out);
	pthread_mutex_lock(&S.mu);
	if (n > 0)
		merge_locked(s, n);
	S.generation++;
	pthread_cond_broadcast(&S.done);
	pthread_mutex_unlock(&S.mu);
	free(s);
	if (n < 0)
		log_debug("smb: smbstatus gave no session table");
}

static void *
directory_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&S.mu);
	while (!S.stop) {
		while (!atomic_load(&S.poked) && !S.stop) {
			/* a poke that lost the trylock is seen within 1 s */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&S.cv, &S.mu, &ts);
		}
		if (S.stop)
			break;
		atomic_store(&S.poked, 0);
		S.busy = 1;
		pthread_mutex_unlock(&S.mu);
		refresh();
		pthread_mutex_lock(&S.mu);
		S.busy = 0;
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

int
smb_directory_start(const char *smb_conf)
{
	pthread_mutex_lock(&S.mu);
	snprintf(S.conf, sizeof S.conf, "%s", smb_conf ? smb_conf : "");
	int rc = 0;
	if (!S.running) {
		S.stop = 0;
		rc = pthread_create(&S.th, NULL, directory_main, NULL) == 0 ?
		    0 : -1;
		S.running = rc == 0;
	}
	pthread_mutex_unlock(&S.mu);
	return rc;
}

void
smb_directory_stop(void)
{
	pthread_mutex_lock(&S.mu);
	int running = S.running;
	S.stop = 1;
	S.running = 0;
	pthread_cond_broadcast(&S.cv);
	pthread_mutex_unlock(&S.mu);
	if (running)
		pthread_join(S.th, NULL);
	pthread_mutex_lock(&S.mu);
	free(S.s);
	S.s = NULL;
	S.n = 0;
	pthread_mutex_unlock(&S.mu);
}

void
smb_directory_poke(void)
{
	atomic_store(&S.poked, 1);
	/* trylock: the caller may be the permission path */
	if (pthread_mutex_trylock(&S.mu) != 0)
		return;
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
}

void
smb_directory_refresh_now(void)
{
	pthread_mutex_lock(&S.mu);
	if (!S.running) {
		pthread_mutex_unlock(&S.mu);
		return;
	}
	/* a refresh already running may have missed the newest session */
	unsigned long want = S.generation + (S.busy ? 2 : 1);
	atomic_store(&S.poked, 1);
	pthread_cond_signal(&S.cv);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STATUS_TIMEOUT_MS / 1000 + 1;
	while (S.generation < want && S.running)
		if (pthread_cond_timedwait(&S.done, &S.mu, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&S.mu);
}

int
smb_directory_by_addr(const char *addr, struct smb_session *out)
{
	int rc = -1;
	pthread_mutex_lock(&S.mu);
	/* the newest session with a user; else any */
	for (int i = S.n - 1; i >= 0; i--)
		if (strcmp(S.s[i].address, addr) == 0 &&
		    (rc < 0 || (out->user[0] == '\0' && S.s[i].user[0]))) {
			*out = S.s[i];
			rc = 0;
		}
	pthread_mutex_unlock(&S.mu);
	return rc;
}

int
smb_directory_by_pid(pid_t pid, struct smb_session *out)
{
	int rc = -1;
	pthread_mutex_lock(&S.mu);
	for (int i = 0; i < S.n; i++)
		if (S.s[i].pid == pid) {
			*out = S.s[i];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&S.mu);
	return rc;
}
