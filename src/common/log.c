/*
 * log.c - a bounded, non-blocking log ring in the style of OpenBSD's log.c.
 *
 * Why a ring: fapolicyd learned that a fanotify daemon which logs
 * synchronously can deadlock, because journald itself may open a watched
 * file and wait on the very permission event the logging thread should be
 * answering.  Here a caller only copies its formatted line into a fixed
 * ring under a mutex that is never held across I/O; the drain thread does
 * the writing.  When the ring is full the line is dropped and counted.
 */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define RING_SLOTS 1024
#define LINE_MAX_LEN 512

struct slot {
	int level;
	char line[LINE_MAX_LEN];
};

static struct {
	const char *prog;
	int to_syslog;
	int level;
	int async;
	int stop;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot ring[RING_SLOTS];
	unsigned head, tail; /* head: next write, tail: next read */
	uint64_t dropped;
} L = { .prog = "vigil", .level = LOG_LVL_INFO,
	.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static const char *
level_name(int level)
{
	switch (level) {
	case LOG_LVL_CRIT: return "CRIT";
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

static void
emit(int level, const char *line)
{
	if (L.to_syslog) {
		syslog(level, "%s", line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char tbuf[32];
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(tbuf, sizeof tbuf, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s[%d]: %s: %s\n", tbuf, ts.tv_nsec / 1000000,
	    L.prog, getpid(), level_name(level), line);
}

void
log_init(const char *progname, int to_syslog, int level)
{
	L.prog = progname;
	L.to_syslog = to_syslog;
	L.level = level;
	if (to_syslog)
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(int level)
{
	L.level = level;
}

int
log_level_parse(const char *s)
{
	static const struct { const char *n; int l; } t[] = {
		{ "crit", LOG_LVL_CRIT }, { "error", LOG_LVL_ERR },
		{ "warning", LOG_LVL_WARN }, { "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strcmp(s, t[i].n) == 0)
			return t[i].l;
	return -1;
}

static void *
drain(void *arg)
{
	(void)arg;
	struct slot s;
	pthread_mutex_lock(&L.mu);
	for (;;) {
		while (L.head == L.tail && !L.stop)
			pthread_cond_wait(&L.cv, &L.mu);
		if (L.head == L.tail && L.stop)
			break;
		s = L.ring[L.tail % RING_SLOTS];
		L.tail++;
		pthread_mutex_unlock(&L.mu);
		emit(s.level, s.line);
		pthread_mutex_lock(&L.mu);
	}
	pthread_mutex_unlock(&L.mu);
	return NULL;
}

int
log_start_thread(void)
{
	if (L.async)
		return 0;
	if (pthread_create(&L.thread, NULL, drain, NULL) != 0)
		return -1;
	L.async = 1;
	return 0;
}

void
log_stop_thread(void)
{
	if (!L.async)
		return;
	pthread_mutex_lock(&L.mu);
	L.stop = 1;
	pthread_cond_signal(&L.cv);
	pthread_mutex_unlock(&L.mu);
	pthread_join(L.thread, NULL);
	L.async = 0;
	L.stop = 0;
}

uint64_t
log_dropped(void)
{
	pthread_mutex_lock(&L.mu);
	uint64_t d = L.dropped;
	pthread_mutex_unlock(&L.mu);
	return d;
}

static void
vlog(int level, int with_errno, const char *fmt, va_list ap)
{
	if (level > L.level)
		return;
	int saved = errno;
	char line[LINE_MAX_LEN];
	int n = vsnprintf(line, sizeof line, fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, ": %s",
		    strerror(saved));
	if (!L.async) {
		emit(level, line);
		errno = saved;
		return;
	}
	pthread_mutex_lock(&L.mu);
	if (L.head - L.tail >= RING_SLOTS) {
		L.dropped++;
	} else {
		struct slot *s = &L.ring[L.head % RING_SLOTS];
		s->level = level;
		memcpy(s->line, line, sizeof line);
		L.head++;
		pthread_cond_signal(&L.cv);
	}
	pthread_mutex_unlock(&L.mu);
	errno = saved;
}

#define DEFINE_LOG(name, level, errflag)                  \
	void name(const char *fmt, ...)                   \
	{                                                 \
		va_list ap;                               \
		va_start(ap, fmt);                        \
		vlog(level, errflag, fmt, ap);            \
		va_end(ap);                               \
	}

DEFINE_LOG(log_crit, LOG_LVL_CRIT, 0)
DEFINE_LOG(log_warn, LOG_LVL_WARN, 1)
DEFINE_LOG(log_warnx, LOG_LVL_WARN, 0)
DEFINE_LOG(log_info, LOG_LVL_INFO, 0)
DEFINE_LOG(log_debug, LOG_LVL_DEBUG, 0)

__attribute__((noreturn)) static void
vfatal(int with_errno, const char *fmt, va_list ap)
{
	vlog(LOG_LVL_CRIT, with_errno, fmt, ap);
	log_stop_thread();
	exit(1);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfatal(1, fmt, ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfatal(0, fmt, ap);
}
