/*
 * store.h - the journal's metadata: an SQLite database in WAL mode.
 *
 * Owns: the schema, opening and validating a state dir's journal.db, and
 * the writer thread through which the daemon records actors, versions,
 * path history, events and alerts.  Callers on the permission path only
 * queue records (store_put); one thread batches them into transactions,
 * so no opener ever waits on SQLite.  The CLI opens the same database
 * directly (WAL lets readers run beside the writer).
 * Does not own: file contents (journal/vault.h).
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <sqlite3.h>
#include <stdint.h>
#include <sys/types.h>

struct actor;

enum rec_kind { REC_ACTOR, REC_VERSION, REC_NAME_OPEN, REC_NAME_CLOSE,
		REC_EVENT, REC_ALERT, REC_VERSION_DROP, REC_INCIDENT };

struct version_meta {
	uint64_t id;
	int tree_id;
	uint64_t dev, ino;
	uint64_t size, bytes;
	uint32_t mode, uid, gid;
	int64_t atime_ns, mtime_ns, ctime_ns, created_ns;
	uint64_t actor_id;
	char reason[24];   /* write, delete, rename-over, restore-replaced */
	char state[8];     /* ok, torn */
	char path[4096];
};

struct rec {
	enum rec_kind kind;
	int64_t time_ns;
	uint64_t actor_id, version_id;
	uint64_t dev, ino;
	int level;
	char op[16];
	char *path, *path2;       /* owned by the record */
	struct version_meta *v;   /* REC_VERSION */
	struct actor *a;          /* REC_ACTOR: a copy, owned */
	struct rec *next;
};

/* Open (creating if asked) <state_dir>/journal.db.  Refuses a database of
 * another format or one that fails its integrity check.  err gets a
 * message for the user. */
sqlite3 *store_open(const char *state_dir, int create, int readonly,
    char *err, size_t errlen);
int store_check_format(sqlite3 *db, char *err, size_t errlen);
uint64_t store_max_id(sqlite3 *db, const char *table);
int store_exec(sqlite3 *db, const char *sql);

/* Writer thread. */
int store_writer_start(sqlite3 *db);
void store_writer_stop(void);
void store_put(struct rec *r);           /* takes ownership */
void store_flush(void);                  /* wait until queued records commit */
uint64_t store_queued(void);

/* Convenience builders (they allocate and store_put). */
void store_event(int64_t t, uint64_t actor_id, const char *op,
    const char *path, const char *path2, uint64_t dev, uint64_t ino,
    uint64_t version_id);
void store_alert(int level, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void store_name_open(uint64_t dev, uint64_t ino, const char *path, int64_t t);
void store_name_close(uint64_t dev, uint64_t ino, const char *path, int64_t t);
void store_version(const struct version_meta *v);
/* Insert or update an incident row (daemon side). */
void store_incident(uint64_t id, const char *state, int64_t detected,
    int64_t contained, int64_t first, const char *actor_ids, const char *doc);
void store_actor(const struct actor *a);

/* Write one version row synchronously (used by the CLI and recovery). */
int store_insert_version(sqlite3 *db, const struct version_meta *v);

#endif
