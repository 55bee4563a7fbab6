/*
 * smbban.c - keeping a contained SMB client off the share (see smbban.h).
 *
 * DESIGN
 * Freezing the client's smbd stops its writes, but Windows reconnects on
 * its own within seconds, and a new connection is a new smbd.  So the
 * client is banned where Samba itself decides who may connect: a config
 * fragment, included from smb.conf's [global], holding "hosts deny" (the
 * client's address) and, if configured, "invalid users" (its user).  smbd
 * re-reads it on "smbcontrol smbd reload-config" and refuses the next
 * connection.  The fragment is the record of the bans: each ban is a
 * "# ban INCIDENT ADDRESS USER" comment line followed by the settings
 * rebuilt from all records, rewritten atomically (temp file + rename), so
 * a crash never leaves smbd a half-written file.  A firewall ban
 * (nftables) would also work but would make vigil manage the host's
 * firewall; Samba's own switch is the smaller step (docs/samba.md).
 * Must never: write unvalidated text into the fragment (smbd parses it
 * as root; a newline in a user name would be a config injection), or
 * kill a process that is not an smbd serving the banned address.  The
 * main smbd (the listener) also holds each new client's socket for a
 * moment after accept(); smb_peer_of() rules out any process with a
 * listening socket, since ending it would take the share from everyone.
 */
#define _GNU_SOURCE
#include "smbban.h"
#include "contain.h"
#include "../actor/smb.h"
#include "../common/util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_MAX (1u << 20)

extern char **environ;

int
smbban_user_ok(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)u[i];
		if (!isalnum(c) && c != '.' && c != '_' && c != '-' &&
		    c != '$' && c != '@')
			return 0;
	}
	return u[0] != '-' && u[0] != '@' && u[0] != '+' && u[0] != '&';
}

static int
addr_ok(const char *a)
{
	unsigned char b[16];
	return inet_pton(AF_INET, a, b) == 1 || inet_pton(AF_INET6, a, b) == 1;
}

int
smbban_parse(const char *text, struct smbban *out, int max)
{
	int n = 0;
	const char *l = text;
	while (l && *l && n < max) {
		const char *e = strchr(l, '\n');
		char line[256];
		size_t ll = e ? (size_t)(e - l) : strlen(l);
		if (ll < sizeof line) {
			memcpy(line, l, ll);
			line[ll] = '\0';
			unsigned long long id;
			char a[64], u[80];
			struct smbban *b = &out[n];
			if (sscanf(line, "# ban %llu %63s %79s", &id, a, u) == 3 &&
			    id > 0) {
				memset(b, 0, sizeof *b);
				b->incident = id;
				if (strcmp(a, "-") != 0 && addr_ok(a))
					snprintf(b->address, sizeof b->address,
					    "%s", a);
				if (strcmp(u, "-") != 0 && smbban_user_ok(u))
					snprintf(b->user, sizeof b->user, "%s",
					    u);
				if (b->address[0] || b->user[0])
					n++;
			}
		}
		l = e ? e + 1 : NULL;
	}
	return n;
}

static int
seen_before(const struct smbban *b, int i, int addr)
{
	for (int k = 0; k < i; k++)
		if (strcmp(addr ? b[k].address : b[k].user,
		    addr ? b[i].address : b[i].user) == 0)
			return 1;
	return 0;
}

static void
render_list(FILE *f, const char *key, const struct smbban *b, int n,
    int addr)
{
	int any = 0;
	for (int i = 0; i < n; i++) {
		const char *v = addr ? b[i].address : b[i].user;
		if (v[0] == '\0' || seen_before(b, i, addr))
			continue;
		fprintf(f, "%s%s", any ? " " : key, v);
		any = 1;
	}
	if (any)
		fputc('\n', f);
}

void
smbban_render(FILE *f, const struct smbban *b, int n)
{
	fprintf(f, "# vigil: SMB clients banned after ransomware incidents.\n"
	    "# Written by vigild; \"vigil release ID\" lifts a ban.  Do not "
	    "edit.\n# smb.conf includes it in [global] (docs/samba.md):\n"
	    "#   include = <this file>\n");
	for (int i = 0; i < n; i++)
		fprintf(f, "# ban %" PRIu64 " %s %s\n", b[i].incident,
		    b[i].address[0] ? b[i].address : "-",
		    b[i].user[0] ? b[i].user : "-");
	render_list(f, "hosts deny = ", b, n, 1);
	render_list(f, "invalid users = ", b, n, 0);
}

static int
load(const char *file, struct smbban *b, char *err, size_t errlen)
{
	int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	char *text = malloc(FILE_MAX + 1);
	size_t n = 0;
	ssize_t r;
	while (text && n < FILE_MAX &&
	    (r = read(fd, text + n, FILE_MAX - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	text[n] = '\0';
	int k = smbban_parse(text, b, SMBBAN_MAX);
	free(text);
	return k;
}

static int
save(const char *file, const struct smbban *b, int n, char *err,
    size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", file, (int)getpid()) >=
	    (int)sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", file);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	smbban_render(f, b, n);
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, file) != 0) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
smbban_add(const char *file, int mode, uint64_t incident,
    const char *address, const char *user, char *err, size_t errlen)
{
	struct smbban *b = calloc(SMBBAN_MAX + 1, sizeof *b);
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int n = load(file, b, err, errlen);
	if (n < 0) {
		free(b);
		return -1;
	}
	int k = 0;
	for (int i = 0; i < n; i++)   /* drop an older record of this id */
		if (b[i].incident != incident)
			b[k++] = b[i];
	n = k;
	struct smbban *x = &b[n];
	memset(x, 0, sizeof *x);
	x->incident = incident;
	if ((mode == SMB_BAN_ADDRESS || mode == SMB_BAN_BOTH) && address &&
	    addr_ok(address))
		snprintf(x->address, sizeof x->address, "%s", address);
	if ((mode == SMB_BAN_USER || mode == SMB_BAN_BOTH) && user &&
	    smbban_user_ok(user))
		snprintf(x->user, sizeof x->user, "%s", user);
	if (x->address[0] == '\0' && x->user[0] == '\0') {
		snprintf(err, errlen, "nothing to ban (address \"%s\", user "
		    "\"%s\", mode %d)", address ? address : "",
		    user ? user : "", mode);
		free(b);
		return -1;
	}
	if (n < SMBBAN_MAX)
		n++;
	int rc = save(file, b, n, err, errlen);
	free(b);
	return rc;
}

int
smbban_init(const char *file, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(file, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return 0;
		snprintf(err, errlen, "%s: not a regular file", file);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	return save(file, NULL, 0, err, errlen);
}

int
smbban_remove(const char *file, uint64_t incident, char *err,
    size_t errlen)
{
	struct smbban *b = calloc(SMBBAN_MAX, sizeof *b);
	if (b == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int n = load(file, b, err, errlen);
	if (n <= 0) {
		free(b);
		return n;
	}
	int k = 0;
	for (int i = 0; i < n; i++)
		if (b[i].incident != incident)
			b[k++] = b[i];
	int rc = k == n ? 0 : save(file, b, k, err, errlen) == 0 ? 1 : -1;
	free(b);
	return rc;
}

int
smbban_reload(const char *smb_conf)
{
	char *argv[7];
	int k = 0;
	argv[k++] = "smbcontrol";
	if (smb_conf && smb_conf[0]) {
		argv[k++] = "-s";
		argv[k++] = (char *)smb_conf;
	}
	argv[k++] = "smbd";
	argv[k++] = "reload-config";
	argv[k] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawnp(&pid, "smbcontrol", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int st = 0;
	for (int i = 0; i < 500; i++) {          /* 5 s */
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		if (w < 0 && errno != EINTR)
			return -1;
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static int
is_smbd(pid_t pid)
{
	char p[64], exe[PATH_MAX];
	snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(p, exe, sizeof exe - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	const char *b = strrchr(exe, '/');
	return strcmp(b ? b + 1 : exe, "smbd") == 0;
}

int
smbban_end_sessions(const char *address)
{
	DIR *d = opendir("/proc");
	if (d == NULL)
		return 0;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 1 || pid == getpid())
			continue;
		if (!is_smbd((pid_t)pid))
			continue;
		/* hold the process first, then check it is the right one */
		int pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
		if (pfd < 0)
			continue;
		char peer[64];
		if (is_smbd((pid_t)pid) && smb_peer_of((pid_t)pid, peer,
		    sizeof peer) == 0 && strcmp(peer, address) == 0 &&
		    syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0) == 0)
			n++;
		close(pfd);
	}
	closedir(d);
	return n;
}
