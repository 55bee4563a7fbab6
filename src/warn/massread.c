/*
 * massread.c - an actor reading far more protected files than its kind
 * does: staging for exfiltration, or the walk before encryption.
 *
 * DESIGN
 * The permission path only counts: one atomic add per read open, on the
 * actor (actor.h: reads).  This thread, every few seconds, sums the counts
 * per group (the judge's process trees, or SMB clients) and keeps, per
 * group, a minute's worth of samples, so it knows how many files each
 * group opened for reading in the last minute.  It compares that with
 * what is usual for the group's kind: the most the same executable, and
 * the most the same user, ever read in a minute (baselines learned as it
 * goes, kept in STATE_DIR/baselines across restarts).  The alarm is
 * raised when a group reads more than massread_files in a minute (the
 * day-one default) and more than massread_factor times both baselines.
 * So a nightly backup alerts the first time it runs (allowlist it, or let
 * it teach vigil), and not after; a program that never read the share
 * before and suddenly reads thousands of files raises an early warning.
 * Must not: touch the permission path beyond the counters, or block.
 */
#define _GNU_SOURCE
#include "warn.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../daemon/daemon.h"
#include "../judge/judge.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TICK_S 5
#define SAMPLES 13                 /* 60 s of 5 s ticks, plus now */
#define GROUPS 1024
#define READERS 65536
#define BASELINES 4096
#define QUIET_NS (600LL * 1000000000LL)

struct gstate {
	uint64_t gid;
	unsigned long sample[SAMPLES];
	unsigned head;
	int64_t told;
	int used;
};

struct baseline {
	char key[300];                 /* "exe:/usr/bin/rsync", "uid:1000" */
	unsigned long max;
};

static struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int running, stop, dirty;
	struct gstate g[GROUPS];
	struct baseline b[BASELINES];
	int nb;
} M = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static struct baseline *
baseline(const char *key, int create)
{
	for (int i = 0; i < M.nb; i++)
		if (strcmp(M.b[i].key, key) == 0)
			return &M.b[i];
	if (!create || M.nb == BASELINES)
		return NULL;
	struct baseline *b = &M.b[M.nb++];
	snprintf(b->key, sizeof b->key, "%s", key);
	b->max = 0;
	return b;
}

static void
load_baselines(void)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/baselines", D.cfg.state_dir);
	FILE *f = fopen(p, "re");
	if (f == NULL)
		return;
	char line[400];
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t');
		if (line[0] == '#' || tab == NULL)
			continue;
		*tab = '\0';
		unsigned long v = strtoul(tab + 1, NULL, 10);
		struct baseline *b = baseline(line, 1);
		if (b && v > b->max)
			b->max = v;
	}
	fclose(f);
}

static void
save_baselines(void)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	snprintf(p, sizeof p, "%s/baselines", D.cfg.state_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", p);
	FILE *f = fopen(tmp, "we");
	if (f == NULL)
		return;
	fprintf(f, "# vigil mass-read baselines: the most protected files each "
	    "executable and user read in one minute\n");
	for (int i = 0; i < M.nb; i++)
		fprintf(f, "%s\t%lu\n", M.b[i].key, M.b[i].max);
	if (fclose(f) == 0)
		rename(tmp, p);
}

static struct gstate *
gstate(uint64_t gid)
{
	struct gstate *free_slot = NULL;
	for (int i = 0; i < GROUPS; i++) {
		if (M.g[i].used && M.g[i].gid == gid)
			return &M.g[i];
		if (!M.g[i].used && free_slot == NULL)
			free_slot = &M.g[i];
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof *free_slot);
		free_slot->gid = gid;
		free_slot->used = 1;
	}
	return free_slot;
}

struct acc {
	uint64_t gid;
	const struct actor *root;
	unsigned long reads;
};

/* One tick: reads per group over the last minute, against baselines. */
static void
tick(void)
{
	static const struct actor *a[READERS];
	static unsigned long r[READERS];
	static struct acc acc[GROUPS];
	size_t n = actor_readers(a, r, READERS);
	int na = 0;
	for (size_t i = 0; i < n; i++) {
		if (a[i]->is_kernel || judge_allowed(a[i]))
			continue;
		const struct actor *root = judge_group_root(a[i]);
		uint64_t gid = root ? root->id : 0;
		int k;
		for (k = 0; k < na; k++)
			if (acc[k].gid == gid)
				break;
		if (k == na) {
			if (na == GROUPS)
				continue;
			acc[na++] = (struct acc){ gid, root ? root : a[i], 0 };
		}
		acc[k].reads += r[i];
	}
	int64_t now = now_ns();
	for (int k = 0; k < na; k++) {
		struct gstate *g = gstate(acc[k].gid);
		if (g == NULL)
			continue;
		g->sample[g->head++ % SAMPLES] = acc[k].reads;
		/* until a minute of samples exists, count from zero: the
		 * counters start with vigild, and a fast reader may have done
		 * all its reading before the first tick that sees it */
		unsigned long before = g->head >= SAMPLES ?
		    g->sample[g->head % SAMPLES] : 0;
		unsigned long minute = acc[k].reads - before;
		const struct actor *ra = acc[k].root;
		char ke[300], ku[32];
		snprintf(ke, sizeof ke, "exe:%s", ra->exe);
		snprintf(ku, sizeof ku, "uid:%u", (unsigned)ra->uid);
		struct baseline *be = baseline(ke, 1), *bu = baseline(ku, 1);
		unsigned long usual = 0;
		if (be && be->max > usual)
			usual = be->max;
		if (bu && bu->max > usual)
			usual = bu->max;
		if (minute > D.cfg.massread_files &&
		    minute > usual * D.cfg.massread_factor &&
		    now - g->told > QUIET_NS) {
			g->told = now;
			warn_tell(ra, "mass-read", ra->exe, "%s (pid %d, uid %u%s%s)"
			    " read %lu protected files in a minute; the most its "
			    "program or user read before was %lu", ra->exe,
			    (int)ra->pid, (unsigned)ra->uid, ra->smb_client[0] ?
			    ", SMB client " : "", ra->smb_client, minute, usual);
		}
		/* learn what is usual */
		if (be && minute > be->max) {
			be->max = minute;
			M.dirty = 1;
		}
		if (bu && minute > bu->max) {
			bu->max = minute;
			M.dirty = 1;
		}
	}
	if (M.dirty) {
		save_baselines();
		M.dirty = 0;
	}
}

static void *
massread_main(void *arg)
{
	(void)arg;
	self_register_thread("vigild-massread", NICE_BACKGROUND);
	pthread_mutex_lock(&M.mu);
	while (!M.stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += TICK_S;
		while (!M.stop && pthread_cond_timedwait(&M.cv, &M.mu, &ts) !=
		    ETIMEDOUT)
			;
		if (M.stop)
			break;
		pthread_mutex_unlock(&M.mu);
		tick();
		pthread_mutex_lock(&M.mu);
	}
	pthread_mutex_unlock(&M.mu);
	return NULL;
}

int
massread_start(void)
{
	if (D.cfg.massread_files == 0)
		return 0;          /* off */
	load_baselines();
	M.stop = 0;
	if (pthread_create(&M.th, NULL, massread_main, NULL) != 0)
		return -1;
	M.running = 1;
	return 0;
}

void
massread_stop(void)
{
	pthread_mutex_lock(&M.mu);
	M.stop = 1;
	pthread_cond_broadcast(&M.cv);
	pthread_mutex_unlock(&M.mu);
	if (M.running)
		pthread_join(M.th, NULL);
	M.running = 0;
}
