/*
 * warn.h - early warning: decoys touched, unusual mass reads.
 *
 * Owns: turning "an actor opened a decoy" or "an actor read far more
 * than its kind" into an alert (log, journal, SIEM event) and, where the
 * policy says so, into containment through the judge.
 * Does not own: the decoys themselves (canary.c), the judge's score.
 * Must never block: it is called on the permission workers and the
 * notification thread.
 */
#ifndef VIGIL_WARN_H
#define VIGIL_WARN_H

#include <stdint.h>
#include <sys/types.h>

struct actor;

/* A decoy was opened (destructive = 0) or opened for writing, renamed or
 * deleted (destructive = 1).  Returns 1 when the actor is now contained
 * (the caller denies the open). */
int warn_canary(const struct actor *a, const char *path, const char *what,
    int destructive);
/* Mass-read detection: its thread (massread.c); massread_files = 0 is off. */
int massread_start(void);
void massread_stop(void);
/* Tamper alerts (tamper.c): a vault version opened or deleted by another
 * program; a stop signal and its sender; an unclean previous stop. */
void tamper_vault(const struct actor *a, pid_t pid, const char *path,
    const char *what);
/* The vigil CLI said "hello" on the control socket before reading the
 * vault: its accesses are not tamper, even once it has exited. */
void tamper_cli_hello(pid_t pid);
/* 1 if pid said "hello" recently (the vigil CLI). */
int tamper_cli_known(pid_t pid);
void tamper_signal(int sig, pid_t pid, uid_t uid);
/* Another program holds a state file open; a state file (name "" for
 * the directory itself) deleted or renamed away; a snapshot gone. */
void tamper_state(const struct actor *a, const char *path);
void tamper_state_gone(const char *dir, const char *name, const char *what);
void tamper_snapshot(const char *snap, const char *tree);
/* The guard thread (guard.c): STATE_DIR watched with inotify, snapshots
 * listed every snapshot_poll seconds (snapshot.c). */
int guard_start(const char *state_dir);
void guard_stop(void);
/* List the btrfs snapshots of the protected filesystems; alert on those
 * gone since the last call.  Returns how many went. */
int snapshot_scan(void);
void snapshot_forget(void);
void tamper_unclean(pid_t previous);
/* The small incident-like JSON document a warning carries to the SIEM
 * (malloc'd, or NULL). */
char *warn_doc(pid_t pid, const char *exe, const char *cmdline, unsigned uid,
    const char *smb, const char *path, const char *why);
/* One alert: vigild's log, the journal's alerts, a SIEM event of kind. */
void warn_tell(const struct actor *a, const char *kind, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
