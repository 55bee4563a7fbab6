/*
 * tamper.c - someone going after vigil itself.
 *
 * DESIGN
 * Attackers stop security tools and destroy backups before they encrypt.
 * vigil raises a tamper alert (vigild's log, the journal, the SIEM) when
 *  - a process other than vigil opens or deletes a version in a vault
 *    (the vault's versions directory is watched by the notification
 *    group; vigild's own and the vigil CLI's accesses are not counted:
 *    the CLI is recognised by its executable while it runs, and by the
 *    pid it announced on the root-only control socket ("hello", pid from
 *    SO_PEERCRED) once it has exited before its event was read);
 *  - vigild is told to stop (SIGTERM, SIGINT): who sent the signal;
 *  - vigild starts and finds that the previous vigild did not stop
 *    cleanly (its pid still in vigild.pid: killed with SIGKILL or
 *    crashed); the systemd unit restarts it (Restart=always), and this
 *    alert is how that restart is reported.
 *  - another program holds a file in STATE_DIR open, or a file there
 *    is deleted or renamed away (guard.c watches);
 *  - a btrfs snapshot of a protected filesystem disappears (snapshot.c).
 * This file words the alerts; guard.c and snapshot.c find the causes.
 * Must not: block (the notification thread calls it).
 */
#define _GNU_SOURCE
#include "warn.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/store.h"
#include "../judge/judge.h"
#include "../report/emit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An alert without an actor we can name (a signal's sender may be gone):
 * a small document for the SIEM event. */
static void
tell_plain(const char *msg, pid_t pid, const char *exe)
{
	log_crit("tamper: %s", msg);
	store_alert(LOG_LVL_CRIT, "tamper", "%s", msg);
	char *d = warn_doc(pid, exe, "", 0, NULL, "", msg);
	emit_incident(0, "tamper", d);
	free(d);
}

/* Recent "hello"s.  A pid announced within CLI_TTL_NS counts as the CLI;
 * the window is short so that a reused pid is unlikely to inherit it. */
#define CLI_TTL_NS (600LL * 1000000000LL)
static struct pidset cli;
static pthread_mutex_t cli_mu = PTHREAD_MUTEX_INITIALIZER;

void
tamper_cli_hello(pid_t pid)
{
	pthread_mutex_lock(&cli_mu);
	pidset_add(&cli, pid);
	pthread_mutex_unlock(&cli_mu);
}

int
tamper_cli_known(pid_t pid)
{
	pthread_mutex_lock(&cli_mu);
	int yes = pidset_has(&cli, pid, CLI_TTL_NS);
	pthread_mutex_unlock(&cli_mu);
	return yes;
}

void
tamper_vault(const struct actor *a, pid_t pid, const char *path,
    const char *what)
{
	if (pid > 0 && tamper_cli_known(pid))
		return;
	if (a == NULL) {
		char m[PATH_MAX + 96];
		snprintf(m, sizeof m, "vault version %s %s by a process that "
		    "had already exited", path, what);
		tell_plain(m, 0, "");
		return;
	}
	if (judge_allowed(a))      /* the vigil CLI restoring, allowlisted */
		return;
	warn_tell(a, "tamper", path, "vault version %s %s by %s (pid %d, "
	    "uid %u): only vigil should touch the vault", path, what, a->exe,
	    (int)a->pid, (unsigned)a->uid);
}

void
tamper_signal(int sig, pid_t pid, uid_t uid)
{
	char exe[PATH_MAX] = "", lnk[64], m[PATH_MAX + 128];
	snprintf(lnk, sizeof lnk, "/proc/%d/exe", (int)pid);
	ssize_t n = pid > 0 ? readlink(lnk, exe, sizeof exe - 1) : -1;
	exe[n > 0 ? n : 0] = '\0';
	snprintf(m, sizeof m, "vigild told to stop: signal %d from pid %d "
	    "(%s, uid %u)%s", sig, (int)pid, exe[0] ? exe : "exited",
	    (unsigned)uid, pid == 1 ? ", the service manager" : "");
	tell_plain(m, pid, exe);
}

void
tamper_unclean(pid_t previous)
{
	char m[256];
	snprintf(m, sizeof m, "the previous vigild (pid %d) did not stop "
	    "cleanly: it was killed or crashed; protection was off until now",
	    (int)previous);
	tell_plain(m, previous, "");
}

void
tamper_state(const struct actor *a, const char *path)
{
	warn_tell(a, "tamper", path, "vigil's state file %s is open in %s "
	    "(pid %d, uid %u): only vigil should read or write the journal",
	    path, a->exe, (int)a->pid, (unsigned)a->uid);
}

void
tamper_state_gone(const char *dir, const char *name, const char *what)
{
	char m[PATH_MAX + 160];
	if (name[0])
		snprintf(m, sizeof m, "vigil's state file %s/%s was %s while "
		    "vigild runs (inotify names no process)", dir, name, what);
	else
		snprintf(m, sizeof m, "vigil's state dir %s was %s while "
		    "vigild runs", dir, what);
	tell_plain(m, 0, "");
}

void
tamper_snapshot(const char *snap, const char *tree)
{
	char m[PATH_MAX + 640];
	snprintf(m, sizeof m, "btrfs snapshot %s of the filesystem holding %s "
	    "was deleted: attackers remove snapshots before they encrypt",
	    snap, tree);
	tell_plain(m, 0, "");
}
