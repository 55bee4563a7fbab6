/*
 * config.c - a strict parser for vigil.conf: "key = value" lines.
 *
 * Strict on purpose: an unknown key or a malformed value is an error with
 * file and line, because a typo in a security tool's configuration should
 * stop it at start, not silently leave a tree unprotected.
 */
#define _GNU_SOURCE
#include "config.h"
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <pwd.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (1 << 20)

const char config_default_text[] =
#include "vigil.conf.inc"
    ;

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->state_dir, sizeof c->state_dir, "%s",
	    CONFIG_DEFAULT_STATE_DIR);
	c->perm_timeout_ms = 5000;
	c->workers = 4;
	c->range_preimage_min = 64ULL << 20;
	c->range_fill_rate = 0;
	c->retention_days = 7;
	c->vault_budget_pct = 20;
	c->retention_interval = 60;
	c->log_level = LOG_LVL_INFO;
	c->detect = 1;
	c->score_threshold = 9;
	c->detect_window = 600;
	c->analysis_backlog = 1;
	c->backpressure_ms = 2000;
	c->rollback_auto = 1;
	c->kill_policy = KILL_AFTER_ROLLBACK;
	c->smb_ban = 1;                /* address */
	c->report_tlp = 2;             /* amber */
	c->events_file = 1;
	c->canary_depth = 1;
	c->massread_files = 2000;
	c->massread_factor = 4;
	c->snapshot_poll = 10;
	c->webhook_retries = 5;
	c->syslog = 1;
	snprintf(c->syslog_socket, sizeof c->syslog_socket, "/dev/log");
	snprintf(c->report_org, sizeof c->report_org, "vigil user");
}

void
config_free(struct config *c)
{
	for (int i = 0; i < c->nprotect; i++)
		free(c->protect[i]);
	c->nprotect = 0;
	for (int i = 0; i < c->nallow_path; i++)
		free(c->allow_path[i]);
	c->nallow_path = 0;
}

int
config_add_protect(struct config *c, const char *path, char *err,
    size_t errlen)
{
	if (!path_is_clean_absolute(path) || strcmp(path, "/") == 0) {
		snprintf(err, errlen, "protect: \"%s\" is not a clean absolute "
		    "path below / (no \".\", \"..\", \"//\" or trailing \"/\")",
		    path);
		return -1;
	}
	for (int i = 0; i < c->nprotect; i++) {
		if (path_is_under(path, c->protect[i]) ||
		    path_is_under(c->protect[i], path)) {
			snprintf(err, errlen, "protect: \"%s\" overlaps \"%s\"",
			    path, c->protect[i]);
			return -1;
		}
	}
	if (c->nprotect == CONFIG_MAX_TREES) {
		snprintf(err, errlen, "protect: more than %d trees",
		    CONFIG_MAX_TREES);
		return -1;
	}
	c->protect[c->nprotect] = strdup(path);
	if (c->protect[c->nprotect] == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->nprotect++;
	return 0;
}

static int
set_uint(const char *v, unsigned long long lo, unsigned long long hi,
    unsigned *out, char *msg, size_t len)
{
	unsigned long long x;
	if (parse_uint(v, hi, &x) < 0 || x < lo) {
		snprintf(msg, len, "expected a whole number from %llu to %llu",
		    lo, hi);
		return -1;
	}
	*out = (unsigned)x;
	return 0;
}

static int
set_path(const char *v, char *out, size_t outlen, char *msg, size_t len)
{
	if (!path_is_clean_absolute(v)) {
		snprintf(msg, len, "expected a clean absolute path");
		return -1;
	}
	snprintf(out, outlen, "%s", v);
	return 0;
}

static int
set_budget(struct config *c, const char *v, char *msg, size_t len)
{
	size_t n = strlen(v);
	if (n > 1 && v[n - 1] == '%') {
		char num[16];
		unsigned long long p;
		if (n - 1 >= sizeof num)
			goto bad;
		memcpy(num, v, n - 1);
		num[n - 1] = '\0';
		if (parse_uint(num, 95, &p) < 0 || p == 0)
			goto bad;
		c->vault_budget_pct = (unsigned)p;
		c->vault_budget_bytes = 0;
		return 0;
	}
	if (parse_size(v, &c->vault_budget_bytes) < 0 ||
	    c->vault_budget_bytes == 0)
		goto bad;
	c->vault_budget_pct = 0;
	return 0;
bad:
	snprintf(msg, len, "expected a size (e.g. 50G) or a percentage "
	    "from 1%% to 95%%");
	return -1;
}

static int
set_choice(const char *v, const char *const *names, int *out, char *msg,
    size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	snprintf(msg, len, "expected one of:");
	for (int i = 0; names[i]; i++) {
		size_t n = strlen(msg);
		snprintf(msg + n, len - n, " %s", names[i]);
	}
	return -1;
}

/* "allow_exe = /usr/bin/rsync [sha256-hex]" */
static int
set_allow_exe(struct config *c, const char *v, char *msg, size_t len)
{
	if (c->nallow_exe == CONFIG_MAX_ALLOW) {
		snprintf(msg, len, "more than %d entries", CONFIG_MAX_ALLOW);
		return -1;
	}
	struct allow_exe *a = &c->allow_exe[c->nallow_exe];
	char path[PATH_MAX];
	const char *sp = strpbrk(v, " \t");
	size_t pl = sp ? (size_t)(sp - v) : strlen(v);
	if (pl >= sizeof path) {
		snprintf(msg, len, "path too long");
		return -1;
	}
	memcpy(path, v, pl);
	path[pl] = '\0';
	if (set_path(path, a->path, sizeof a->path, msg, len) < 0)
		return -1;
	a->sha256[0] = '\0';
	if (sp) {
		while (*sp == ' ' || *sp == '\t')
			sp++;
		size_t hl = strlen(sp);
		if (hl != 64 || strspn(sp, "0123456789abcdefABCDEF") != 64) {
			snprintf(msg, len, "expected a path, optionally "
			    "followed by the executable's SHA-256 in hex");
			return -1;
		}
		for (size_t i = 0; i < 64; i++)
			a->sha256[i] = (char)tolower((unsigned char)sp[i]);
		a->sha256[64] = '\0';
	}
	c->nallow_exe++;
	return 0;
}

static int
set_allow_user(struct config *c, const char *v, char *msg, size_t len)
{
	unsigned long long uid;
	if (parse_uint(v, UINT32_MAX - 1, &uid) < 0) {
		struct passwd *pw = getpwnam(v);
		if (pw == NULL) {
			snprintf(msg, len, "no such user");
			return -1;
		}
		uid = pw->pw_uid;
	}
	if (uid == 0) {
		snprintf(msg, len, "root cannot be allowlisted as a whole "
		    "(ransomware running as root is the worst case); "
		    "allowlist its programs with allow_exe instead");
		return -1;
	}
	if (c->nallow_uid == CONFIG_MAX_ALLOW) {
		snprintf(msg, len, "more than %d entries", CONFIG_MAX_ALLOW);
		return -1;
	}
	c->allow_uid[c->nallow_uid++] = (uint32_t)uid;
	return 0;
}

static int
set_allow_path(struct config *c, const char *v, char *msg, size_t len)
{
	if (!path_is_clean_absolute(v) || strcmp(v, "/") == 0) {
		snprintf(msg, len, "expected a clean absolute path below /");
		return -1;
	}
	if (c->nallow_path == CONFIG_MAX_ALLOW) {
		snprintf(msg, len, "more than %d entries", CONFIG_MAX_ALLOW);
		return -1;
	}
	c->allow_path[c->nallow_path] = strdup(v);
	if (c->allow_path[c->nallow_path] == NULL) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	c->nallow_path++;
	return 0;
}

const char *const config_tlp_names[] = { "white", "green", "amber", "red",
	NULL };

static int
apply_report(struct config *c, const char *key, const char *v, char *msg,
    size_t len)
{
	static const char *const onoff[] = { "off", "on", NULL };
	if (strcmp(key, "report_tlp") == 0)
		return set_choice(v, config_tlp_names, &c->report_tlp, msg, len);
	if (strcmp(key, "report_include_paths") == 0)
		return set_choice(v, onoff, &c->report_include_paths, msg, len);
	if (strcmp(key, "canaries") == 0)
		return set_choice(v, onoff, &c->canaries, msg, len);
	if (strcmp(key, "canary_depth") == 0)
		return set_uint(v, 0, 1, &c->canary_depth, msg, len);
	if (strcmp(key, "massread_files") == 0)
		return set_uint(v, 0, 10000000, &c->massread_files, msg, len);
	if (strcmp(key, "massread_factor") == 0)
		return set_uint(v, 1, 1000, &c->massread_factor, msg, len);
	if (strcmp(key, "snapshot_poll") == 0)
		return set_uint(v, 0, 86400, &c->snapshot_poll, msg, len);
	if (strcmp(key, "canary_action") == 0) {
		static const char *const ca[] = { "alert", "contain", NULL };
		return set_choice(v, ca, &c->canary_action, msg, len);
	}
	if (strcmp(key, "events_file") == 0)
		return set_choice(v, onoff, &c->events_file, msg, len);
	if (strcmp(key, "syslog") == 0)
		return set_choice(v, onoff, &c->syslog, msg, len);
	if (strcmp(key, "syslog_tls") == 0)
		return set_choice(v, onoff, &c->syslog_tls, msg, len);
	if (strcmp(key, "syslog_ca") == 0)
		return set_path(v, c->syslog_ca, sizeof c->syslog_ca, msg, len);
	if (strcmp(key, "syslog_socket") == 0)
		return set_path(v, c->syslog_socket, sizeof c->syslog_socket, msg,
		    len);
	if (strcmp(key, "syslog_remote") == 0) {
		const char *colon = strrchr(v, ':');
		unsigned long long port;
		if (colon == NULL || colon == v || parse_uint(colon + 1, 65535,
		    &port) < 0 || port == 0 || strlen(v) >=
		    sizeof c->syslog_remote || strpbrk(v, " \t/")) {
			snprintf(msg, len, "expected HOST:PORT");
			return -1;
		}
		snprintf(c->syslog_remote, sizeof c->syslog_remote, "%s", v);
		return 0;
	}
	if (strcmp(key, "webhook_url") == 0 || strcmp(key, "taxii_collection")
	    == 0) {
		char *dst = key[0] == 'w' ? c->webhook_url : c->taxii_collection;
		if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7)
		    != 0) || strlen(v) >= sizeof c->webhook_url ||
		    strpbrk(v, " \t\"'<>\\")) {
			snprintf(msg, len, "expected an http:// or https:// URL");
			return -1;
		}
		snprintf(dst, sizeof c->webhook_url, "%s", v);
		return 0;
	}
	if (strcmp(key, "webhook_ca") == 0)
		return set_path(v, c->webhook_ca, sizeof c->webhook_ca, msg, len);
	if (strcmp(key, "taxii_ca") == 0)
		return set_path(v, c->taxii_ca, sizeof c->taxii_ca, msg, len);
	if (strcmp(key, "webhook_retries") == 0)
		return set_uint(v, 0, 20, &c->webhook_retries, msg, len);
	if (strcmp(key, "taxii_user") == 0 || strcmp(key, "taxii_password")
	    == 0) {
		char *dst = key[6] == 'u' ? c->taxii_user : c->taxii_password;
		size_t cap = key[6] == 'u' ? sizeof c->taxii_user :
		    sizeof c->taxii_password;
		if (strlen(v) >= cap || (key[6] == 'u' && strchr(v, ':'))) {
			snprintf(msg, len, "too long%s", key[6] == 'u' ?
			    " or holds ':'" : "");
			return -1;
		}
		snprintf(dst, cap, "%s", v);
		return 0;
	}
	if (strcmp(key, "report_org") == 0) {
		if (strlen(v) >= sizeof c->report_org) {
			snprintf(msg, len, "longer than %zu bytes",
			    sizeof c->report_org - 1);
			return -1;
		}
		snprintf(c->report_org, sizeof c->report_org, "%s", v);
		return 0;
	}
	return 1;
}

static int
apply_smb(struct config *c, const char *key, const char *v, char *msg,
    size_t len)
{
	/* the order of enum smb_ban_mode */
	static const char *const ban[] = { "off", "address", "user", "both",
		NULL };
	if (strcmp(key, "smb_ban") == 0)
		return set_choice(v, ban, &c->smb_ban, msg, len);
	if (strcmp(key, "smb_conf") == 0)
		return set_path(v, c->smb_conf, sizeof c->smb_conf, msg, len);
	if (strcmp(key, "smb_ban_file") == 0)
		return set_path(v, c->smb_ban_file, sizeof c->smb_ban_file, msg,
		    len);
	return apply_report(c, key, v, msg, len);
}

static int
apply_detect(struct config *c, const char *key, const char *v, char *msg,
    size_t len)
{
	static const char *const onoff[] = { "off", "on", NULL };
	static const char *const rb[] = { "manual", "auto", NULL };
	static const char *const kp[] = { "after-rollback", "never",
		"immediately", NULL };
	if (strcmp(key, "detect") == 0)
		return set_choice(v, onoff, &c->detect, msg, len);
	if (strcmp(key, "score_threshold") == 0)
		return set_uint(v, 1, 1000, &c->score_threshold, msg, len);
	if (strcmp(key, "detect_window") == 0)
		return set_uint(v, 10, 86400, &c->detect_window, msg, len);
	if (strcmp(key, "analysis_backlog") == 0)
		return set_uint(v, 1, 1024, &c->analysis_backlog, msg, len);
	if (strcmp(key, "backpressure_ms") == 0)
		return set_uint(v, 0, 600000, &c->backpressure_ms, msg, len);
	if (strcmp(key, "rollback") == 0)
		return set_choice(v, rb, &c->rollback_auto, msg, len);
	if (strcmp(key, "kill") == 0)
		return set_choice(v, kp, &c->kill_policy, msg, len);
	if (strcmp(key, "allow_exe") == 0)
		return set_allow_exe(c, v, msg, len);
	if (strcmp(key, "allow_user") == 0)
		return set_allow_user(c, v, msg, len);
	if (strcmp(key, "allow_path") == 0)
		return set_allow_path(c, v, msg, len);
	return apply_smb(c, key, v, msg, len);
}

int
config_set(struct config *c, const char *key, const char *value, char *err,
    size_t errlen)
{
	char msg[256];
	int rc = apply_detect(c, key, value, msg, sizeof msg);
	if (rc == 1) {
		snprintf(err, errlen, "unknown option \"%s\"", key);
		return -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", key, msg);
	return rc;
}

static int
apply(struct config *c, const char *key, const char *v, char *msg, size_t len)
{
	int r = apply_detect(c, key, v, msg, len);
	if (r <= 0)
		return r;
	if (strcmp(key, "protect") == 0)
		return config_add_protect(c, v, msg, len);
	if (strcmp(key, "state_dir") == 0)
		return set_path(v, c->state_dir, sizeof c->state_dir, msg, len);
	if (strcmp(key, "vault_dir") == 0) {
		if (strcmp(v, "auto") == 0) {
			c->vault_dir[0] = '\0';
			return 0;
		}
		return set_path(v, c->vault_dir, sizeof c->vault_dir, msg, len);
	}
	if (strcmp(key, "perm_timeout_ms") == 0)
		return set_uint(v, 10, 600000, &c->perm_timeout_ms, msg, len);
	if (strcmp(key, "workers") == 0)
		return set_uint(v, 1, 64, &c->workers, msg, len);
	if (strcmp(key, "range_preimage_min") == 0) {
		if (strcmp(v, "0") == 0 || strcmp(v, "off") == 0) {
			c->range_preimage_min = 0;
			return 0;
		}
		if (parse_size(v, &c->range_preimage_min) < 0 ||
		    c->range_preimage_min < 65536) {
			snprintf(msg, len, "expected a size of at least 64K "
			    "(K, M, G suffixes), or 0 for off");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "range_fill_rate") == 0) {
		if (parse_size(v, &c->range_fill_rate) < 0) {
			snprintf(msg, len, "expected bytes per second (K, M, G "
			    "suffixes), or 0 for as fast as the disk allows");
			return -1;
		}
		return 0;
	}
	if (strcmp(key, "retention_days") == 0)
		return set_uint(v, 0, 3650, &c->retention_days, msg, len);
	if (strcmp(key, "retention_interval") == 0)
		return set_uint(v, 1, 86400, &c->retention_interval, msg, len);
	if (strcmp(key, "vault_budget") == 0)
		return set_budget(c, v, msg, len);
	if (strcmp(key, "log_level") == 0) {
		int l = log_level_parse(v);
		if (l < 0) {
			snprintf(msg, len, "expected crit, error, warning, "
			    "info or debug");
			return -1;
		}
		c->log_level = l;
		return 0;
	}
	snprintf(msg, len, "unknown option \"%s\"", key);
	return -1;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_parse(struct config *c, const char *text, const char *name, char *err,
    size_t errlen)
{
	char *copy = strdup(text);
	if (copy == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	int lineno = 0, rc = 0;
	char *cur = copy;
	while (cur != NULL) {
		char *l = strsep(&cur, "\n");
		lineno++;
		char *hash = strchr(l, '#');
		if (hash)
			*hash = '\0';
		char *t = trim(l);
		if (*t == '\0')
			continue;
		char msg[256];
		char *eq = strchr(t, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"",
			    name, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(t), *val = trim(eq + 1);
		if (*val == '\0') {
			snprintf(err, errlen, "%s:%d: %s: missing value", name,
			    lineno, key);
			rc = -1;
			break;
		}
		if (apply(c, key, val, msg, sizeof msg) < 0) {
			snprintf(err, errlen, "%s:%d: %s: %s", name, lineno,
			    key, msg);
			rc = -1;
			break;
		}
	}
	free(copy);
	return rc;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: not a regular file of at most 1 MiB",
		    path);
		close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	ssize_t n = read(fd, buf, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	if (memchr(buf, '\0', (size_t)n) != NULL) {
		free(buf);
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		return -1;
	}
	int rc = config_parse(c, buf, path, err, errlen);
	free(buf);
	return rc;
}
