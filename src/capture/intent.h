/*
 * intent.h - does a blocked open mean to write?
 *
 * A FAN_OPEN_PERM event does not carry the open flags.  With
 * FAN_REPORT_TID the event names the blocked thread, whose
 * /proc/<tid>/syscall shows the open call and its flags (openat2 passes a
 * pointer, read with process_vm_readv).  Anything we cannot decode
 * (io_uring workers, kernel threads such as nfsd, exotic calls) is
 * treated as a write: preserving too much costs time, too little costs
 * data.
 */
#ifndef VIGIL_INTENT_H
#define VIGIL_INTENT_H

#include <sys/types.h>

enum intent { INTENT_READ = 0, INTENT_WRITE = 1, INTENT_TRUNC = 2,
	      INTENT_UNKNOWN = 3 };

/* Decode a /proc/<tid>/syscall line (actor_probe reads it); openat2's
 * flags are fetched from the thread's memory with fetch (may be NULL:
 * then unknown). */
typedef int (*intent_fetch_fn)(pid_t tid, unsigned long addr,
    unsigned long long *flags);
enum intent intent_parse(const char *line, pid_t tid, intent_fetch_fn fetch);
int intent_fetch_mem(pid_t tid, unsigned long addr, unsigned long long *flags);
const char *intent_name(enum intent i);

/* A FAN_PRE_ACCESS event reports the page range about to be read or
 * written, not which.  The blocked thread's syscall says: a read needs
 * nothing, a write or shared mmap needs its range preserved, and anything
 * else (a truncate reports only the page at the new size) everything from
 * the range's start to the end of the file. */
enum pre_kind { PRE_READ = 0, PRE_RANGE = 1, PRE_TO_END = 2 };
enum pre_kind intent_pre_kind(const char *line);
int intent_is_destructive(enum intent i);

#endif
