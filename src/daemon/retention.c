/*
 * retention.c - how long versions live, and the orphan sweep.
 *
 * Every retention_interval seconds:
 *  1. orphan sweep: a held inode whose last name went away without vigild
 *     noticing (a lost notification) is preserved into a version, named by
 *     its last known path (hold.c);
 *  2. age: versions older than retention_days are removed;
 *  3. space: while a vault holds more than its budget, the oldest versions
 *     go first.  Removing a version younger than retention_days breaks the
 *     promise the admin configured, so it is logged at CRIT level, raised
 *     as an alert and counted in "vigil status".
 * Uses its own database connection; it never runs on the permission path.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static pthread_t rthread;
static int rrunning;
static pthread_mutex_t rmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t rcv = PTHREAD_COND_INITIALIZER;

/* perm.c skips preserving a file whose ctime and size match the content
 * it last preserved (ient.pres_*).  Once that version is evicted the
 * content is no longer kept: the next write-open must preserve it again. */
static void
forget_preserved(sqlite3 *db, uint64_t id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT dev, ino FROM versions WHERE id=?",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		uint64_t dev = (uint64_t)sqlite3_column_int64(st, 0);
		uint64_t ino = (uint64_t)sqlite3_column_int64(st, 1);
		index_lock();
		struct ient *e = index_by_ino(dev, ino);
		if (e && e->pres_vid == id)
			e->pres_ctime = -1;
		index_unlock();
	}
	sqlite3_finalize(st);
}

static void
evict(sqlite3 *db, struct tree *t, uint64_t id, int64_t created, int young)
{
	forget_preserved(db, id);
	if (vault_remove_version(t->vault, id) < 0 && errno != ENOENT) {
		log_warn("evict version %llu", (unsigned long long)id);
		return;
	}
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "UPDATE versions SET evicted=? WHERE "
	    "id=?", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, now_ns());
		sqlite3_bind_int64(st, 2, (sqlite3_int64)id);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		/* the file is gone but the row is not marked: the next pass
		 * retries (ENOENT above) and counts it then, once */
		log_warnx("evict version %llu: %s", (unsigned long long)id,
		    sqlite3_errmsg(db));
		return;
	}
	atomic_fetch_add(&D.c.evicted, 1);
	if (young) {
		atomic_fetch_add(&D.c.evicted_young, 1);
		char tb[40];
		store_alert(LOG_LVL_CRIT, "budget-evict", "vault %s is over its "
		    "space budget: evicted version %llu from %s, younger than "
		    "retention_days=%u. Raise vault_budget or add space.",
		    t->vault->path, (unsigned long long)id,
		    format_time(created, tb, sizeof tb), D.cfg.retention_days);
	}
}

static uint64_t
budget_of(struct tree *t)
{
	if (D.cfg.vault_budget_pct == 0)
		return D.cfg.vault_budget_bytes;
	struct statvfs sv;
	if (fstatvfs(t->vault->dirfd, &sv) < 0)
		return UINT64_MAX;
	return (uint64_t)sv.f_blocks * sv.f_frsize / 100 *
	    D.cfg.vault_budget_pct;
}

static void
enforce(sqlite3 *db)
{
	int64_t cutoff = now_ns() - (int64_t)D.cfg.retention_days * 86400LL *
	    1000000000LL;
	for (int i = 0; i < D.ntrees; i++) {
		struct tree *t = &D.trees[i];
		sqlite3_stmt *st;
		/* age */
		if (sqlite3_prepare_v2(db, "SELECT id, created FROM versions "
		    "WHERE tree_id=? AND evicted=0 AND created<? ORDER BY "
		    "created", -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int(st, 1, t->id);
		sqlite3_bind_int64(st, 2, cutoff);
		uint64_t ids[1024];
		int n = 0;
		while (n < 1024 && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		for (int k = 0; k < n; k++)
			evict(db, t, ids[k], 0, 0);
		/* space: all trees sharing this vault count together */
		uint64_t budget = budget_of(t);
		if (sqlite3_prepare_v2(db, "SELECT coalesce(sum(bytes),0) FROM "
		    "versions WHERE evicted=0 AND tree_id IN (SELECT id FROM "
		    "trees WHERE vault=(SELECT vault FROM trees WHERE id=?))",
		    -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int(st, 1, t->id);
		/* the vault's metadata log takes room in the vault too */
		uint64_t used = vault_log_bytes(t->vault);
		if (sqlite3_step(st) == SQLITE_ROW)
			used += (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (used <= budget)
			continue;
		if (sqlite3_prepare_v2(db, "SELECT id, created, bytes FROM "
		    "versions WHERE evicted=0 AND tree_id IN (SELECT id FROM "
		    "trees WHERE vault=(SELECT vault FROM trees WHERE id=?)) "
		    "ORDER BY created LIMIT 4096", -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_int(st, 1, t->id);
		/* choose first, evict after the SELECT is finalized: an UPDATE
		 * while it is still open runs in its read snapshot, which fails
		 * with SQLITE_BUSY_SNAPSHOT once the journal writer committed */
		static struct { uint64_t id; int64_t created; } vic[4096];
		int nv = 0;
		while (used > budget && nv < 4096 &&
		    sqlite3_step(st) == SQLITE_ROW) {
			vic[nv].id = (uint64_t)sqlite3_column_int64(st, 0);
			vic[nv].created = sqlite3_column_int64(st, 1);
			uint64_t b = (uint64_t)sqlite3_column_int64(st, 2);
			nv++;
			used = used > b ? used - b : 0;
		}
		sqlite3_finalize(st);
		for (int k = 0; k < nv; k++)
			evict(db, t, vic[k].id, vic[k].created,
			    vic[k].created >= cutoff);
	}
}

/* the vault's metadata log is cut once it is this long and its rows are
 * committed (journal/vault.h) */
#define LOG_ROTATE_BYTES (1 << 20)

static void *
retention_main(void *arg)
{
	sqlite3 *db = arg;
	self_register_thread("vigild-retain", NICE_BACKGROUND);
	/* decoys are planted (and put back) from this thread: its file
	 * activity is vigild's own, never judged or waited on */
	canaries_refresh();
	while (!atomic_load(&D.stopping)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += D.cfg.retention_interval;
		pthread_mutex_lock(&rmu);
		while (!atomic_load(&D.stopping) &&
		    pthread_cond_timedwait(&rcv, &rmu, &ts) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&rmu);
		if (atomic_load(&D.stopping))
			break;
		hold_sweep_orphans();
		store_flush(); /* retired versions must be rows before pruning */
		for (int i = 0; i < D.nvaults; i++)
			vault_log_rotate(&D.vaults[i], LOG_ROTATE_BYTES);
		enforce(db);
		canaries_refresh();
	}
	sqlite3_close(db);
	return NULL;
}

int
retention_start(void)
{
	char err[512];
	sqlite3 *db = store_open(D.cfg.state_dir, 0, 0, err, sizeof err);
	if (db == NULL) {
		log_warnx("retention: %s", err);
		return -1;
	}
	if (pthread_create(&rthread, NULL, retention_main, db) != 0)
		return -1;
	rrunning = 1;
	return 0;
}

void
retention_stop(void)
{
	if (!rrunning)
		return;
	pthread_mutex_lock(&rmu);
	pthread_cond_broadcast(&rcv);
	pthread_mutex_unlock(&rmu);
	pthread_join(rthread, NULL);
	rrunning = 0;
}
