/*
 * log.h - logging that never blocks the caller on I/O.
 *
 * Owns: the process-wide log ring and the thread that drains it to stderr
 * (foreground) or syslog (daemon).  The permission path calls these
 * functions too, so a call only formats into memory under a short mutex;
 * if the ring is full the message is dropped and counted, never waited for.
 * Does not own: alerts stored in the journal (see journal/store.h).
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_LVL_CRIT = 2, LOG_LVL_ERR = 3, LOG_LVL_WARN = 4,
		 LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Start logging.  With to_syslog == 0 messages go to stderr.  Before
 * log_start_thread() (or in short-lived tools) messages are written
 * synchronously. */
void log_init(const char *progname, int to_syslog, int level);
int log_level_parse(const char *s);
void log_set_level(int level);
/* Switch to asynchronous mode: a thread drains the ring. */
int log_start_thread(void);
void log_stop_thread(void);
uint64_t log_dropped(void);

void log_crit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 1, 2))) void fatal(const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2))) void fatalx(const char *fmt, ...);

#endif
