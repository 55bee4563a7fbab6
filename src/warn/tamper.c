/*
 * tamper.c - someone going after vigil itself.
 *
 * DESIGN
 * Attackers stop security tools and destroy backups before they encrypt.
 * vigil raises a tamper alert (vigild's log, the journal, the SIEM) when
 *  - a process other than vigil opens or deletes a version in a vault
 *    (the vault's versions directory is watched by the notification
 *    group; vigild's own and the vigil CLI's accesses are not counted);
 *  - vigild is told to stop (SIGTERM, SIGINT): who sent the signal;
 *  - vigild starts and finds that the previous vigild did not stop
 *    cleanly (its pid still in vigild.pid: killed with SIGKILL or
 *    crashed); the systemd unit restarts it (Restart=always), and this
 *    alert is how that restart is reported.
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

void
tamper_vault(const struct actor *a, const char *path, const char *what)
{
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
