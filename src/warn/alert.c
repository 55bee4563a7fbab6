/*
 * alert.c - early warnings: what happens when a decoy is touched or an
 * actor reads far more than its kind does (see warn.h).
 *
 * DESIGN
 * An early warning is not yet an incident: reading a decoy may be a
 * curious user or a backup program not yet allowlisted.  So a read of a
 * decoy raises an alert (vigild's log, the journal's alerts, an ECS event
 * "decoy-opened" for the SIEM) and, with canary_action = contain, also
 * contains.  Writing, renaming or deleting a decoy destroys something no
 * person made: that is an incident at once (judge_canary), the open is
 * denied and the actor frozen.  Each (actor, decoy) pair is told once a
 * minute at most, so a walk over many decoys cannot flood the log.
 * Must not: block (callers include the permission workers and the
 * notification thread): logging, the journal and the emitter all queue.
 */
#define _GNU_SOURCE
#include "warn.h"
#include "canary.h"
#include "../actor/actor.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../daemon/daemon.h"
#include "../journal/store.h"
#include "../judge/judge.h"
#include "../report/emit.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECENT 256
#define QUIET_NS (60LL * 1000000000LL)

static struct {
	pthread_mutex_t mu;
	struct { uint64_t actor, key; int64_t t; } r[RECENT];
	unsigned next;
} W = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* 1 if (actor, key) was told less than a minute ago; else remember it. */
static int
told_recently(uint64_t actor, uint64_t key)
{
	int64_t now = now_ns();
	pthread_mutex_lock(&W.mu);
	for (unsigned i = 0; i < RECENT; i++)
		if (W.r[i].actor == actor && W.r[i].key == key &&
		    now - W.r[i].t < QUIET_NS) {
			pthread_mutex_unlock(&W.mu);
			return 1;
		}
	unsigned k = W.next++ % RECENT;
	W.r[k].actor = actor;
	W.r[k].key = key;
	W.r[k].t = now;
	pthread_mutex_unlock(&W.mu);
	return 0;
}

/* A small incident-like document, so that the emitter's ECS mapping
 * (process.*, user.*, source.ip, file.path) applies to warnings too.
 * smb may be NULL or "". */
char *
warn_doc(pid_t pid, const char *exe, const char *cmdline, unsigned uid,
    const char *smb, const char *path, const char *why)
{
	char *d = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&d, &n);
	if (f == NULL)
		return NULL;
	fprintf(f, "{\"actor\":{\"root_pid\":%d,\"exe\":", (int)pid);
	json_str(f, exe);
	fprintf(f, ",\"cmdline\":");
	json_str(f, cmdline);
	fprintf(f, ",\"uid\":%u,\"user\":\"\",\"smb_client\":", uid);
	if (smb && smb[0]) {
		fprintf(f, "{\"address\":");
		json_str(f, smb);
		fprintf(f, ",\"user\":\"\"}");
	} else {
		fprintf(f, "null");
	}
	fprintf(f, "},\"files_touched\":0,\"evidence\":[{\"path\":");
	json_str(f, path);
	fprintf(f, ",\"why\":");
	json_str(f, why);
	fprintf(f, "}]}");
	fclose(f);
	return d;
}

void
warn_tell(const struct actor *a, const char *kind, const char *path,
    const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_crit("early warning: %s", msg);
	store_alert(LOG_LVL_CRIT, kind, "%s", msg);
	char *doc = warn_doc(a->pid, a->exe, a->cmdline, (unsigned)a->uid,
	    a->smb_client, path, msg);
	emit_incident(0, kind, doc);
	free(doc);
}

int
warn_canary(const struct actor *a, const char *path, const char *what,
    int destructive)
{
	if (a == NULL) {        /* gone before it could be named */
		store_alert(LOG_LVL_CRIT, "canary", "decoy file %s %s by a "
		    "process that had already exited", path, what);
		log_crit("early warning: decoy file %s %s by an exited "
		    "process", path, what);
		return 0;
	}
	if (a->is_kernel || judge_allowed(a))
		return 0;
	uint64_t key = 0;
	for (const char *c = path; *c; c++)
		key = (key ^ (unsigned char)*c) * 0x100000001b3ULL;
	if (!told_recently(a->id, key ^ (uint64_t)destructive)) {
		store_event(now_ns(), a->id, destructive ? "canary-destroy" :
		    "canary-open", path, NULL, 0, 0, 0);
		warn_tell(a, "canary", path, "decoy file %s %s by %s (pid %d, "
		    "uid %u%s%s)", path, what, a->exe, (int)a->pid,
		    (unsigned)a->uid, a->smb_client[0] ? ", SMB client " : "",
		    a->smb_client);
	}
	if (!D.cfg.detect)
		return 0;
	if (destructive || D.cfg.canary_action == CANARY_CONTAIN)
		return judge_canary(a, path, what);
	return 0;
}
