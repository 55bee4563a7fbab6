/*
 * intent.c - decode the open flags of a thread blocked in open().
 */
#define _GNU_SOURCE
#include "intent.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

const char *
intent_name(enum intent i)
{
	switch (i) {
	case INTENT_READ: return "read";
	case INTENT_WRITE: return "write";
	case INTENT_TRUNC: return "truncate";
	default: return "unknown";
	}
}

int
intent_is_destructive(enum intent i)
{
	return i != INTENT_READ;
}

static enum intent
from_flags(unsigned long long f)
{
	if (f & O_TRUNC)
		return INTENT_TRUNC; /* Linux truncates even with O_RDONLY */
	if ((f & O_ACCMODE) == O_RDONLY)
		return INTENT_READ;
	return INTENT_WRITE;
}

int
intent_fetch_mem(pid_t tid, unsigned long addr, unsigned long long *flags)
{
	struct iovec local = { flags, sizeof *flags };
	struct iovec remote = { (void *)addr, sizeof *flags };
	return process_vm_readv(tid, &local, 1, &remote, 1, 0) ==
	    (ssize_t)sizeof *flags ? 0 : -1;
}

enum intent
intent_parse(const char *line, pid_t tid, intent_fetch_fn fetch)
{
	char *end;
	long nr = strtol(line, &end, 10);
	if (end == line)
		return INTENT_UNKNOWN; /* "running" or empty */
	unsigned long long a[6] = { 0 };
	const char *p = end;
	for (int i = 0; i < 6; i++) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return INTENT_UNKNOWN;
		a[i] = strtoull(p, &end, 16);
		if (end == p)
			return INTENT_UNKNOWN;
		p = end;
	}
	switch (nr) {
#ifdef SYS_open
	case SYS_open:
		return from_flags(a[1]);
#endif
#ifdef SYS_creat
	case SYS_creat:
		return INTENT_TRUNC;
#endif
	case SYS_openat:
		return from_flags(a[2]);
	case SYS_open_by_handle_at:
		return from_flags(a[2]);
#ifdef SYS_openat2
	case SYS_openat2:
#else
	case 437:
#endif
	{
		unsigned long long f;
		if (fetch && fetch(tid, (unsigned long)a[2], &f) == 0)
			return from_flags(f);
		return INTENT_UNKNOWN;
	}
	case SYS_execve:
	case SYS_execveat:
		return INTENT_READ;
	default:
		return INTENT_UNKNOWN;
	}
}

enum pre_kind
intent_pre_kind(const char *line)
{
	char *end;
	long nr = strtol(line, &end, 10);
	if (end == line)
		return PRE_TO_END;     /* "running", empty: assume the worst */
	switch (nr) {
	case SYS_read:
	case SYS_pread64:
	case SYS_readv:
	case SYS_preadv:
#ifdef SYS_preadv2
	case SYS_preadv2:
#endif
		return PRE_READ;
	case SYS_write:
	case SYS_pwrite64:
	case SYS_writev:
	case SYS_pwritev:
#ifdef SYS_pwritev2
	case SYS_pwritev2:
#endif
	case SYS_mmap:
		return PRE_RANGE;
	default:
		/* truncate, ftruncate, fallocate (a punched hole or a
		 * collapsed range reaches past the reported page), copies
		 * and splices, io_uring, kernel threads */
		return PRE_TO_END;
	}
}
