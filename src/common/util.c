/*
 * util.c - clocks, parsing of times and sizes, lexical path checks.
 */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void
cond_wait_step(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t until_ns,
    int64_t step_ns)
{
	int64_t now = mono_ns();
	if (until_ns - now > step_ns)
		until_ns = now + step_ns;
	if (until_ns <= now)
		return;
	struct timespec ts = { (time_t)(until_ns / 1000000000LL),
	    (long)(until_ns % 1000000000LL) };
	pthread_cond_timedwait(cv, mu, &ts);
}

int64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
parse_relative(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s + 1, &end, 10);
	if (errno || end == s + 1 || v < 0)
		return -1;
	long long mul;
	switch (*end) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (end[1] != '\0' || v > LLONG_MAX / mul / 1000000000LL)
		return -1;
	*out = now_ns() - v * mul * 1000000000LL;
	return 0;
}

int
parse_time(const char *s, int64_t *out_ns)
{
	if (s == NULL || *s == '\0')
		return -1;
	if (*s == '-')
		return parse_relative(s, out_ns);
	if (*s == '@') {
		unsigned long long v;
		if (parse_uint(s + 1, LLONG_MAX / 1000000000LL, &v) < 0)
			return -1;
		*out_ns = (int64_t)v * 1000000000LL;
		return 0;
	}
	struct tm tm = { 0 };
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (rest == NULL)
		rest = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (rest == NULL) {
		memset(&tm, 0, sizeof tm);
		rest = strptime(s, "%Y-%m-%d %H:%M", &tm);
	}
	if (rest == NULL) {
		memset(&tm, 0, sizeof tm);
		rest = strptime(s, "%Y-%m-%d", &tm);
	}
	if (rest == NULL)
		return -1;
	long frac_ns = 0;
	if (*rest == '.') {
		long scale = 100000000;
		for (rest++; isdigit((unsigned char)*rest); rest++) {
			frac_ns += (*rest - '0') * scale;
			scale /= 10;
		}
	}
	time_t t;
	if (*rest == 'Z' && rest[1] == '\0') {
		t = timegm(&tm);
	} else if (*rest == '\0') {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else {
		return -1;
	}
	if (t == (time_t)-1)
		return -1;
	*out_ns = (int64_t)t * 1000000000LL + frac_ns;
	return 0;
}

char *
format_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000LL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[24];
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)((ns / 1000000) % 1000));
	return buf;
}

int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	default: return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int
path_is_clean_absolute(const char *p)
{
	if (p == NULL || p[0] != '/')
		return 0;
	if (strlen(p) >= PATH_MAX)
		return 0;
	const char *c = p + 1;
	if (*c == '\0')
		return 1;
	while (*c) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (e == NULL)
			break;
		c = e + 1;
		if (*c == '\0') /* trailing slash */
			return 0;
	}
	return 1;
}

int
path_is_under(const char *child, const char *root)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return child[0] == '/';
	if (strncmp(child, root, n) != 0)
		return 0;
	return child[n] == '\0' || child[n] == '/';
}

int
write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

ssize_t
pread_head(int fd, void *buf, size_t cap)
{
	ssize_t r;
	do
		r = pread(fd, buf, cap, 0);
	while (r < 0 && errno == EINTR);
	return r;
}

int
mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -1;
		struct stat st;
		if (lstat(buf, &st) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

int
sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

void
pidset_add(struct pidset *s, int pid)
{
	s->e[s->n % PIDSET_N].pid = pid;
	s->e[s->n % PIDSET_N].t = now_ns();
	s->n++;
}

int
pidset_has(const struct pidset *s, int pid, int64_t ttl_ns)
{
	int64_t now = now_ns();
	for (unsigned i = 0; i < PIDSET_N && i < s->n; i++)
		if (s->e[i].pid == pid && now - s->e[i].t < ttl_ns)
			return 1;
	return 0;
}
