/*
 * store.c - SQLite journal: schema, format checks, and the writer thread.
 *
 * DESIGN
 * The journal must survive kill -9 at any instant.  SQLite in WAL mode
 * with synchronous=NORMAL gives atomic transactions that survive a process
 * crash (a power cut may lose the last transaction, never corrupt).
 * Contents are written to the vault *before* their row is queued, and each
 * vault file also carries its metadata in an xattr, so a crash between the
 * two is repaired at the next start (vault.c: vault_reconcile).
 * Records are batched: the writer commits every 50 ms or 4096 records,
 * whichever comes first.  The queue is unbounded in count but each record
 * is small; it is drained far faster than events arrive in practice, and
 * its depth is reported by "vigil status".
 */
#define _GNU_SOURCE
#include "store.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

static const char *schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS trees(id INTEGER PRIMARY KEY, path TEXT "
    "  UNIQUE, dev INTEGER, vault TEXT);"
    "CREATE TABLE IF NOT EXISTS actors(id INTEGER PRIMARY KEY, pid INTEGER,"
    "  start INTEGER, ppid INTEGER, uid INTEGER, parent_id INTEGER,"
    "  is_smbd INTEGER, is_kernel INTEGER, comm TEXT, exe TEXT,"
    "  cmdline TEXT, cgroup TEXT, first_seen INTEGER);"
    "CREATE TABLE IF NOT EXISTS versions(id INTEGER PRIMARY KEY,"
    "  tree_id INTEGER, path TEXT, dev INTEGER, ino INTEGER, size INTEGER,"
    "  bytes INTEGER, mode INTEGER, uid INTEGER, gid INTEGER,"
    "  atime INTEGER, mtime INTEGER, ctime INTEGER, created INTEGER,"
    "  actor_id INTEGER, reason TEXT, state TEXT, evicted INTEGER "
    "  DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS versions_path ON versions(path, created);"
    "CREATE INDEX IF NOT EXISTS versions_ino ON versions(dev, ino, created);"
    "CREATE INDEX IF NOT EXISTS versions_created ON versions(created);"
    "CREATE TABLE IF NOT EXISTS names(dev INTEGER, ino INTEGER, path TEXT,"
    "  since INTEGER, until INTEGER);"
    "CREATE INDEX IF NOT EXISTS names_path ON names(path, since);"
    "CREATE INDEX IF NOT EXISTS names_ino ON names(dev, ino, since);"
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, time INTEGER,"
    "  actor_id INTEGER, op TEXT, path TEXT, path2 TEXT, dev INTEGER,"
    "  ino INTEGER, version_id INTEGER);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(time);"
    "CREATE INDEX IF NOT EXISTS events_actor ON events(actor_id, time);"
    "CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY, time INTEGER,"
    "  level INTEGER, kind TEXT, message TEXT);"
    /* one row per incident; doc is the JSON the judge wrote (actor,
     * indicators, evidence); state and times change as it is handled */
    "CREATE TABLE IF NOT EXISTS incidents(id INTEGER PRIMARY KEY,"
    "  state TEXT, detected INTEGER, contained INTEGER, first_activity "
    "  INTEGER, rolled_back INTEGER, released INTEGER, actor_ids TEXT,"
    "  doc TEXT);"
    /* what a rollback did, step by step, so that --undo can reverse it */
    "CREATE TABLE IF NOT EXISTS rollback_items(incident_id INTEGER,"
    "  seq INTEGER, action TEXT, path TEXT, path2 TEXT, kept_version "
    "  INTEGER, restored_version INTEGER, time INTEGER, undone INTEGER "
    "  DEFAULT 0, PRIMARY KEY(incident_id, seq));";

int
store_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_warnx("sqlite: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
store_check_format(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE "
	    "key='format'", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "journal.db is not a vigil journal (%s)",
		    sqlite3_errmsg(db));
		return -1;
	}
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		int f = sqlite3_column_int(st, 0);
		if (f == VIGIL_STATE_FORMAT)
			rc = 0;
		else
			snprintf(err, errlen, "journal.db has state format %d; "
			    "this vigil reads format %d and will not convert "
			    "it (keep the old vigil, or move the state dir "
			    "aside)", f, VIGIL_STATE_FORMAT);
	} else {
		snprintf(err, errlen, "journal.db has no format marker: not a "
		    "vigil journal");
	}
	sqlite3_finalize(st);
	return rc;
}

static int
integrity_ok(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "journal.db is corrupt or not a "
		    "database: %s", sqlite3_errmsg(db));
		return 0;
	}
	int ok = sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	if (!ok)
		snprintf(err, errlen, "journal.db failed its integrity check");
	sqlite3_finalize(st);
	return ok;
}

sqlite3 *
store_open(const char *state_dir, int create, int readonly, char *err,
    size_t errlen)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/journal.db", state_dir);
	struct stat st;
	int exists = lstat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return NULL;
	}
	if (!exists && !create) {
		snprintf(err, errlen, "%s: no journal here (is vigild using "
		    "another --state-dir?)", path);
		return NULL;
	}
	sqlite3 *db;
	int flags = readonly ? SQLITE_OPEN_READONLY :
	    (SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
	flags |= SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	if (exists && !integrity_ok(db, err, errlen))
		goto fail;
	if (!readonly) {
		if (store_exec(db, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL;") < 0) {
			snprintf(err, errlen, "%s: cannot enable WAL: %s", path,
			    sqlite3_errmsg(db));
			goto fail;
		}
	}
	if (!exists) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO meta VALUES('format',"
		    "'%d');", VIGIL_STATE_FORMAT);
		if (store_exec(db, schema) < 0 || store_exec(db, sql) < 0) {
			snprintf(err, errlen, "%s: cannot create schema: %s",
			    path, sqlite3_errmsg(db));
			goto fail;
		}
	}
	if (store_check_format(db, err, errlen) < 0)
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}

uint64_t
store_max_id(sqlite3 *db, const char *table)
{
	char sql[96];
	snprintf(sql, sizeof sql, "SELECT coalesce(max(id),0) FROM %s", table);
	sqlite3_stmt *st;
	uint64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ---- writer thread ---- */

static struct {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv, done_cv;
	struct rec *head, *tail;
	uint64_t queued, committed, enqueued_total;
	int stop, running, flush_wanted;
	sqlite3_stmt *ins_actor, *ins_version, *ins_name, *close_name,
	    *ins_event, *ins_alert, *drop_version, *put_incident;
} W = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
	.done_cv = PTHREAD_COND_INITIALIZER };

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_version(sqlite3_stmt *s, const struct version_meta *v)
{
	sqlite3_bind_int64(s, 1, (sqlite3_int64)v->id);
	sqlite3_bind_int(s, 2, v->tree_id);
	bind_text(s, 3, v->path);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)v->dev);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)v->ino);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)v->size);
	sqlite3_bind_int64(s, 7, (sqlite3_int64)v->bytes);
	sqlite3_bind_int(s, 8, (int)v->mode);
	sqlite3_bind_int64(s, 9, v->uid);
	sqlite3_bind_int64(s, 10, v->gid);
	sqlite3_bind_int64(s, 11, v->atime_ns);
	sqlite3_bind_int64(s, 12, v->mtime_ns);
	sqlite3_bind_int64(s, 13, v->ctime_ns);
	sqlite3_bind_int64(s, 14, v->created_ns);
	sqlite3_bind_int64(s, 15, (sqlite3_int64)v->actor_id);
	bind_text(s, 16, v->reason);
	bind_text(s, 17, v->state);
}

/* A range pre-image (daemon/range.c) is recorded when it starts filling
 * and again when it is complete: the second record updates its state. */
#define INS_VERSION_SQL "INSERT INTO versions(id,tree_id,path,dev," \
	"ino,size,bytes,mode,uid,gid,atime,mtime,ctime,created,actor_id," \
	"reason,state) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) " \
	"ON CONFLICT(id) DO UPDATE SET state=excluded.state, " \
	"bytes=excluded.bytes"

int
store_insert_version(sqlite3 *db, const struct version_meta *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, INS_VERSION_SQL, -1, &s, NULL) != SQLITE_OK)
		return -1;
	bind_version(s, v);
	int rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

static void
apply_rec(struct rec *r)
{
	sqlite3_stmt *s = NULL;
	switch (r->kind) {
	case REC_ACTOR: {
		const struct actor *a = r->a;
		s = W.ins_actor;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)a->id);
		sqlite3_bind_int(s, 2, a->pid);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)a->start);
		sqlite3_bind_int(s, 4, a->ppid);
		sqlite3_bind_int64(s, 5, a->uid);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)a->parent_id);
		sqlite3_bind_int(s, 7, a->is_smbd);
		sqlite3_bind_int(s, 8, a->is_kernel);
		bind_text(s, 9, a->comm);
		bind_text(s, 10, a->exe);
		bind_text(s, 11, a->cmdline);
		bind_text(s, 12, a->cgroup);
		sqlite3_bind_int64(s, 13, a->first_seen_ns);
		break;
	}
	case REC_VERSION:
		s = W.ins_version;
		bind_version(s, r->v);
		break;
	case REC_VERSION_DROP:
		s = W.drop_version;
		sqlite3_bind_int64(s, 1, r->time_ns);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)r->version_id);
		break;
	case REC_NAME_OPEN:
		s = W.ins_name;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)r->dev);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)r->ino);
		bind_text(s, 3, r->path);
		sqlite3_bind_int64(s, 4, r->time_ns);
		break;
	case REC_NAME_CLOSE:
		s = W.close_name;
		sqlite3_bind_int64(s, 1, r->time_ns);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)r->dev);
		sqlite3_bind_int64(s, 3, (sqlite3_int64)r->ino);
		bind_text(s, 4, r->path);
		break;
	case REC_EVENT:
		s = W.ins_event;
		sqlite3_bind_int64(s, 1, r->time_ns);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)r->actor_id);
		bind_text(s, 3, r->op);
		bind_text(s, 4, r->path);
		bind_text(s, 5, r->path2);
		sqlite3_bind_int64(s, 6, (sqlite3_int64)r->dev);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)r->ino);
		if (r->version_id)
			sqlite3_bind_int64(s, 8, (sqlite3_int64)r->version_id);
		else
			sqlite3_bind_null(s, 8);
		break;
	case REC_INCIDENT:
		s = W.put_incident;
		sqlite3_bind_int64(s, 1, (sqlite3_int64)r->version_id);
		bind_text(s, 2, r->op);
		sqlite3_bind_int64(s, 3, r->time_ns);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)r->dev);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)r->ino);
		bind_text(s, 6, r->path2);
		bind_text(s, 7, r->path);
		break;
	case REC_ALERT:
		s = W.ins_alert;
		sqlite3_bind_int64(s, 1, r->time_ns);
		sqlite3_bind_int(s, 2, r->level);
		bind_text(s, 3, r->op);
		bind_text(s, 4, r->path);
		break;
	}
	if (sqlite3_step(s) != SQLITE_DONE)
		log_warnx("journal: cannot record %d: %s", r->kind,
		    sqlite3_errmsg(W.db));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

static void
free_rec(struct rec *r)
{
	free(r->path);
	free(r->path2);
	free(r->v);
	free(r->a);
	free(r);
}

#define BATCH_NS (50 * 1000000LL)
#define BATCH_MAX 4096

static void
timespec_add_ns(struct timespec *t, int64_t ns)
{
	ns += t->tv_nsec;
	t->tv_sec += (time_t)(ns / 1000000000LL);
	t->tv_nsec = (long)(ns % 1000000000LL);
}

static int
timespec_passed(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec &&
	    now.tv_nsec >= t->tv_nsec);
}

static void *
writer(void *arg)
{
	(void)arg;
	/* background work: an opener woken by vigild preempts it (the
	 * daemon's other background threads do the same, daemon.h) */
	pthread_setname_np(pthread_self(), "vigild-journal");
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 5);
	struct timespec due;   /* the next commit, CLOCK_MONOTONIC */
	clock_gettime(CLOCK_MONOTONIC, &due);
	for (;;) {
		/* one commit per BATCH_NS at most: a busy tree queues records
		 * faster than a commit takes, and committing back to back
		 * rewrote the same index pages in every small transaction */
		timespec_add_ns(&due, BATCH_NS);
		pthread_mutex_lock(&W.mu);
		while (!W.stop && W.flush_wanted == 0 &&
		    W.queued < BATCH_MAX && (W.head == NULL ||
		    !timespec_passed(&due)))
			if (pthread_cond_timedwait(&W.cv, &W.mu, &due) ==
			    ETIMEDOUT && W.head == NULL)
				timespec_add_ns(&due, BATCH_NS);
		if (W.head == NULL && W.stop) {
			pthread_mutex_unlock(&W.mu);
			break;
		}
		W.flush_wanted = 0;
		struct rec *batch = W.head;
		W.head = W.tail = NULL;
		pthread_mutex_unlock(&W.mu);
		clock_gettime(CLOCK_MONOTONIC, &due);

		uint64_t n = 0;
		store_exec(W.db, "BEGIN");
		for (struct rec *r = batch; r; r = r->next, n++)
			apply_rec(r);
		if (store_exec(W.db, "COMMIT") < 0)
			log_crit("journal: commit failed: %s",
			    sqlite3_errmsg(W.db));
		while (batch) {
			struct rec *nx = batch->next;
			free_rec(batch);
			batch = nx;
		}
		pthread_mutex_lock(&W.mu);
		W.queued -= n;
		W.committed += n;
		pthread_cond_broadcast(&W.done_cv);
		pthread_mutex_unlock(&W.mu);
	}
	return NULL;
}

int
store_writer_start(sqlite3 *db)
{
	W.db = db;
	/* the writer's deadlines are monotonic: a clock step must not
	 * hold commits back */
	pthread_cond_destroy(&W.cv);
	cond_init_monotonic(&W.cv);
	static const char *sql[] = {
		"INSERT OR IGNORE INTO actors VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
		INS_VERSION_SQL,
		"INSERT INTO names(dev,ino,path,since) SELECT ?1,?2,?3,?4 "
		"WHERE NOT EXISTS (SELECT 1 FROM names WHERE dev=?1 AND "
		"ino=?2 AND path=?3 AND until IS NULL)",
		"UPDATE names SET until=? WHERE dev=? AND ino=? AND path=? AND "
		"until IS NULL",
		"INSERT INTO events(time,actor_id,op,path,path2,dev,ino,"
		"version_id) VALUES(?,?,?,?,?,?,?,?)",
		"INSERT INTO alerts(time,level,kind,message) VALUES(?,?,?,?)",
		"UPDATE versions SET evicted=? WHERE id=?",
		/* the daemon owns doc, detected, contained and actor_ids;
		 * the CLI owns rolled_back/released, so never overwrite them */
		"INSERT INTO incidents(id,state,detected,contained,"
		"first_activity,actor_ids,doc) VALUES(?1,?2,?3,?4,?5,?6,?7) "
		"ON CONFLICT(id) DO UPDATE SET contained=?4, actor_ids=?6, "
		"doc=?7, state=CASE WHEN state IN ('detected','contained') "
		"THEN ?2 ELSE state END",
	};
	sqlite3_stmt **out[] = { &W.ins_actor, &W.ins_version, &W.ins_name,
		&W.close_name, &W.ins_event, &W.ins_alert, &W.drop_version,
		&W.put_incident };
	for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, out[i], NULL) !=
		    SQLITE_OK) {
			log_warnx("journal: prepare: %s", sqlite3_errmsg(db));
			return -1;
		}
	if (pthread_create(&W.thread, NULL, writer, NULL) != 0)
		return -1;
	W.running = 1;
	return 0;
}

void
store_writer_stop(void)
{
	if (!W.running)
		return;
	pthread_mutex_lock(&W.mu);
	W.stop = 1;
	pthread_cond_signal(&W.cv);
	pthread_mutex_unlock(&W.mu);
	pthread_join(W.thread, NULL);
	W.running = 0;
	sqlite3_stmt *all[] = { W.ins_actor, W.ins_version, W.ins_name,
		W.close_name, W.ins_event, W.ins_alert, W.drop_version };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		sqlite3_finalize(all[i]);
}

void
store_put(struct rec *r)
{
	r->next = NULL;
	pthread_mutex_lock(&W.mu);
	if (W.tail)
		W.tail->next = r;
	else
		W.head = r;
	W.tail = r;
	W.queued++;
	W.enqueued_total++;
	if (W.queued >= BATCH_MAX)
		pthread_cond_signal(&W.cv);
	pthread_mutex_unlock(&W.mu);
}

void
store_flush(void)
{
	pthread_mutex_lock(&W.mu);
	uint64_t target = W.enqueued_total;
	W.flush_wanted = 1;
	pthread_cond_signal(&W.cv);
	while (W.running && W.committed < target)
		pthread_cond_wait(&W.done_cv, &W.mu);
	pthread_mutex_unlock(&W.mu);
}

uint64_t
store_queued(void)
{
	pthread_mutex_lock(&W.mu);
	uint64_t q = W.queued;
	pthread_mutex_unlock(&W.mu);
	return q;
}

static struct rec *
new_rec(enum rec_kind k, int64_t t)
{
	struct rec *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->kind = k;
	r->time_ns = t;
	return r;
}

void
store_event(int64_t t, uint64_t actor_id, const char *op, const char *path,
    const char *path2, uint64_t dev, uint64_t ino, uint64_t version_id)
{
	struct rec *r = new_rec(REC_EVENT, t);
	if (r == NULL)
		return;
	r->actor_id = actor_id;
	snprintf(r->op, sizeof r->op, "%s", op);
	r->path = path ? strdup(path) : NULL;
	r->path2 = path2 ? strdup(path2) : NULL;
	r->dev = dev;
	r->ino = ino;
	r->version_id = version_id;
	store_put(r);
}

void
store_alert(int level, const char *op, const char *fmt, ...)
{
	struct rec *r = new_rec(REC_ALERT, now_ns());
	if (r == NULL)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->level = level;
	snprintf(r->op, sizeof r->op, "%s", op);
	r->path = strdup(msg);
	if (level <= LOG_LVL_CRIT)
		log_crit("ALERT %s: %s", op, msg);
	else
		log_warnx("alert %s: %s", op, msg);
	store_put(r);
}

static void
name_rec(enum rec_kind k, uint64_t dev, uint64_t ino, const char *path,
    int64_t t)
{
	struct rec *r = new_rec(k, t);
	if (r == NULL)
		return;
	r->dev = dev;
	r->ino = ino;
	r->path = strdup(path);
	store_put(r);
}

void
store_incident(uint64_t id, const char *state, int64_t detected,
    int64_t contained, int64_t first, const char *actor_ids, const char *doc)
{
	struct rec *r = new_rec(REC_INCIDENT, detected);
	if (r == NULL)
		return;
	r->version_id = id;
	snprintf(r->op, sizeof r->op, "%s", state);
	r->dev = (uint64_t)contained;
	r->ino = (uint64_t)first;
	r->path = strdup(doc);
	r->path2 = strdup(actor_ids);
	store_put(r);
}

void
store_name_open(uint64_t dev, uint64_t ino, const char *path, int64_t t)
{
	name_rec(REC_NAME_OPEN, dev, ino, path, t);
}

void
store_name_close(uint64_t dev, uint64_t ino, const char *path, int64_t t)
{
	name_rec(REC_NAME_CLOSE, dev, ino, path, t);
}

void
store_version(const struct version_meta *v)
{
	struct rec *r = new_rec(REC_VERSION, v->created_ns);
	if (r == NULL)
		return;
	r->v = malloc(sizeof *v);
	if (r->v == NULL) {
		free(r);
		return;
	}
	*r->v = *v;
	store_put(r);
}

void
store_actor(const struct actor *a)
{
	struct rec *r = new_rec(REC_ACTOR, a->first_seen_ns);
	if (r == NULL)
		return;
	r->a = malloc(sizeof *a);
	if (r->a == NULL) {
		free(r);
		return;
	}
	*r->a = *a;
	store_put(r);
}
