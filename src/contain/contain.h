/*
 * contain.h - freezing, resuming and killing an attacker's processes.
 *
 * Owns: turning "the process tree rooted at (pid, start time), plus these
 * member processes" into a set of pidfds, and signalling that set.  A
 * pidfd names one process for its whole life, so once we hold it no pid
 * reuse can redirect a signal to an innocent process.
 * Does not own: deciding whom to contain (judge/) or recording incidents.
 * Must never signal pid 1, vigild itself or a kernel thread.
 */
#ifndef VIGIL_CONTAIN_H
#define VIGIL_CONTAIN_H

#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* pidfds, for headers older than the kernel (contain.c, smbban.c) */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

#define CONTAIN_MAX 1024

struct proc_id {
	pid_t pid;
	uint64_t start;          /* clock ticks after boot, /proc/PID/stat */
};

struct cset {
	int n;
	struct proc_id id[CONTAIN_MAX];
	int pidfd[CONTAIN_MAX];
};

/* Stop (SIGSTOP) the tree below root and every member given, repeating
 * the /proc walk until no new descendant appears (a process cannot fork
 * once it is stopped, so the set converges).  Returns the number of
 * processes stopped; s keeps their pidfds for later release or kill. */
int contain_freeze(struct cset *s, struct proc_id root,
    const struct proc_id *members, int nmembers);
/* SIGCONT / SIGKILL every process of the set; close the pidfds. */
void contain_release(struct cset *s);
void contain_kill(struct cset *s);
void contain_close(struct cset *s);
/* Read the start time of pid (0 if gone). */
uint64_t contain_start_time(pid_t pid);

#endif
