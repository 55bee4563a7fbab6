/*
 * daemon.h - state shared by vigild's threads.
 *
 * Threads and what each one owns:
 *   perm reader   reads the permission group, answers vigild's own events
 *                 at once, queues the rest (perm.c)
 *   perm workers  hold, preserve, attribute, then answer (perm.c)
 *   deadline      answers any event older than perm_timeout_ms with ALLOW
 *                 and raises an alert: nobody waits on vigild for longer
 *                 (perm.c)
 *   range filler  completes range pre-images of large files (range.c)
 *   notify        reads the notification group: creates, deletes, renames,
 *                 close-writes; marks new directories (notify.c)
 *   store writer  the only writer of journal.db for events (store.c)
 *   retention     age and space budget, orphan sweep (retention.c)
 *   control       the CLI's socket (control.c)
 *   log drain     (log.c)
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <limits.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../common/config.h"
#include "../journal/vault.h"

#define MAX_VAULTS CONFIG_MAX_TREES
/* fds never used for holding: permission events need one each, and the
 * kernel denies an event whose fd it cannot install */
#define HOLD_RESERVE_FDS 8192

struct tree {
	int id;
	char path[PATH_MAX];
	size_t pathlen;
	dev_t dev;
	int rootfd;
	uint64_t fsid;          /* f_fsid from statfs, as in fanotify FIDs */
	struct vault *vault;
	atomic_ulong dirs, files;
};

struct counters {
	atomic_ulong perm_events, perm_own, perm_fast, writes_seen, preserved,
	    preserve_failed, skipped_same, held, hold_failed, failopen,
	    retired, notify_events, dirs_marked, mark_failed, alerts,
	    evicted, evicted_young, torn, range_begun, range_done,
	    range_covers, pre_events, busy_gate;
	atomic_ullong preserve_ns_total, perm_ns_total, perm_ns_max;
};

struct daemon {
	struct config cfg;
	struct tree trees[CONFIG_MAX_TREES];
	int ntrees;
	struct vault vaults[MAX_VAULTS];
	int nvaults;
	int perm_fd, notif_fd;
	sqlite3 *db;
	int64_t started_ns;
	pid_t unclean_pid;         /* set when the last vigild did not stop cleanly */

	int range_on;           /* the kernel reports FAN_PRE_ACCESS (6.14+) */
	atomic_int scanned;     /* initial scan done: protection complete */
	atomic_int stopping;
	atomic_uint_fast64_t next_version;
	pid_t self_tids[32];
	atomic_int nself;
	atomic_long held_now;    /* fds held open (hold.c) */
	/* vigild threads doing work right now (notification batch, worker,
	 * analyser): the permission reader spins only while they leave a
	 * core free (perm.c) */
	atomic_int busy;
	int ncpu;
	long held_max;           /* never hold more: keep room for events */
	struct counters c;
};

extern struct daemon D;

/* tree lookup by absolute path (NULL if outside all trees) */
struct tree *tree_of_path(const char *path);
struct tree *tree_of_fsid(uint64_t fsid);
/* Each vigild thread: its name (top -H, ps -L) and its nice value.
 * Background work (the journal writer, range fillers, sweeps) runs at
 * NICE_BACKGROUND, so that an opener woken by an answer preempts it at
 * once rather than waiting behind it for a core.  Not the notification
 * thread: the back-pressure on a read-then-delete encryptor starts only
 * once it has read the first deletion (at nice 5, one detect.sh run in
 * five let wannacry-newfile touch 17 files before containment). */
#define NICE_BACKGROUND 5
void self_register_thread(const char *name, int nice);
int self_is_tid(pid_t tid);
uint64_t version_next_id(void);
int path_in_vault(const char *path);
/* Plant missing decoys (canaries = on); vigild.c. */
void canaries_refresh(void);

/* capture/fanotify.c */
int capture_init(char *err, size_t errlen);
int capture_mark_dir(int dirfd, const char *path, struct tree *t);
/* Walk dir (an fd opened O_DIRECTORY|O_NOFOLLOW), marking directories and
 * holding files below it. */
void capture_scan(struct tree *t, int dirfd, const char *path);
void capture_probe_pre_access(int dirfd);
int capture_watch_vault(int dirfd, const char *path, struct tree *t);
void capture_unmark_all(void);

/* perm.c */
int perm_start(void);
void perm_stop(void);

/* notify.c */
int notify_start(void);
void notify_stop(void);
/* Preserve-on-unlink: the last visible name of (dev, ino) went away.
 * Returns the new version's id, or 0.  *vfd (if vfd is not NULL) is an
 * fd on that version for the caller to close, or -1. */
uint64_t notify_retire(struct tree *t, uint64_t ino, const char *path,
    const char *reason, uint64_t actor_id, int *vfd);
/* Read the held inode (dev, ino) from offset 0 into buf[cap], with no
 * dup of its fd: the byte count, or -1 if it is not held or unreadable. */
ssize_t notify_read_held(uint64_t dev, uint64_t ino, uint8_t *buf,
    size_t cap);
/* Wait (at most until deadline, CLOCK_MONOTONIC) until events already
 * queued on the notification group have been handled (read_only: read,
 * which tells the judge of the deletions among them); give up early once
 * *stop is set (stop may be NULL). */
void notify_catch_up(int64_t deadline_ns, const int *stop, int read_only);
/* 1 when more than a few files' events wait unread in the kernel queue
 * (the notification reader is behind): a creating group's opens then
 * wait (judge.c). */
int notify_behind(void);
/* Events queued or read and not yet handled (vigil status). */
unsigned long notify_backlog(void);
/* events the notification thread has handled since it started */
unsigned long notify_handled(void);
/* Open path (absolute, inside t) beneath t's root, never following a
 * symlink. */
int tree_open(struct tree *t, const char *path, int flags);

/* analyser.c */
struct actor;
enum job_kind { JOB_MODIFIED, JOB_REPLACED, JOB_DELETED, JOB_NEWFILE };
int analyser_start(void);
void analyser_stop(void);
void analyser_submit(enum job_kind kind, struct tree *t,
    const struct actor *a, const char *path, uint64_t dev, uint64_t ino,
    uint64_t vid);
/* A JOB_REPLACED whose version the caller has open (before_fd, -1 if
 * not; the caller closes it): analysed at once when small.  Called by
 * the notification thread only (its inline analysis has one buffer);
 * analyser_submit takes the other kinds. */
void analyser_replaced(struct tree *t, const struct actor *a,
    const char *path, uint64_t dev, uint64_t ino, uint64_t vid,
    int before_fd);
void analyser_counters(unsigned long *done, unsigned long *queued,
    unsigned long *destroyed, unsigned long *suspect);

/* notes.c: new files that may be notes, queued as JOB_NEWFILE a moment
 * after their close unless renamed over another file or deleted first.
 * Notification thread only (notes_waiting excepted); now is
 * CLOCK_MONOTONIC.  notes_flush queues those due. */
void notes_defer(struct tree *t, const struct actor *a, const char *path,
    uint64_t dev, uint64_t ino, int64_t now);
void notes_gone(uint64_t dev, uint64_t ino);
void notes_moved(uint64_t dev, uint64_t ino, const char *path);
void notes_flush(int64_t now);
void notes_forget(void);    /* stopping: drop them */
/* 1 if any waits (a flush is due within NOTE_WAIT_NS) */
int notes_pending(void);
/* how many wait: any thread (status counts them as analysis queue) */
unsigned long notes_waiting(void);

/* respond.c: what happens after the judge opens an incident */
void respond_init(void);
void respond_incident(uint64_t incident_id);
void respond_stop(void);

/* hold.c */
int hold_inode(struct tree *t, int fd, int take, const struct stat *st,
    const char *path);
/* hold_inode for an inode an open creates: one the index did not know
 * is marked made by group made_by (judge_group_id; 0: none), as the
 * create event marks it later.  The notification thread, reading ahead,
 * must not take a group deleting its own new file for one destroying
 * someone else's. */
int hold_made(struct tree *t, int fd, int take, const struct stat *st,
    const char *path, uint64_t made_by);
/* A readable fd (a dup of the held one) on the inode now at path, or -1
 * when vigild holds none.  The lookup is an O_PATH open, which raises no
 * fanotify event: vigild's own reads of protected files (analysis, new
 * names) then cost the permission reader nothing. */
int held_fd_at(struct tree *t, const char *path);
/* The same for an inode by number: the writer may have renamed it. */
int held_dup(uint64_t dev, uint64_t ino);
int hold_open_at(struct tree *t, int dirfd, const char *name,
    const char *path);
void hold_sweep_orphans(void);

/* range.c: range pre-images of large files where there is no reflink */
#ifndef FAN_PRE_ACCESS
#define FAN_PRE_ACCESS 0x00100000
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif
#ifndef FAN_EVENT_INFO_TYPE_RANGE
#define FAN_EVENT_INFO_TYPE_RANGE 6
#endif
int range_enabled(const struct tree *t);
/* Large enough for a range pre-image (and range_enabled). */
int range_large(const struct tree *t, const struct stat *st);
/* A file's reads raise no pre-access events (an ignore mark), until a
 * version of it starts filling. */
void range_quiet(const struct tree *t, int fd);
/* Start a version of fd's content that fills in the background; its id,
 * or 0 (then preserve the whole file). */
uint64_t range_begin(struct tree *t, int fd, const struct stat *st,
    const char *path, uint64_t actor_id);
/* 1 if a pre-access event of (dev, ino) belongs to a range session: a
 * version is filling (range_cover copies what it touches), or one
 * completed within the last second and no write-open began another since
 * (a late event of that session, whose content as of its open is
 * preserved: its fd's events are silenced). */
int range_claims(int fd, uint64_t dev, uint64_t ino);
/* The current content of (dev, ino) is in a finished version: silence
 * the pre-access events of the rest of the session. */
void range_session_covered(int fd, uint64_t dev, uint64_t ino);
/* [off, end) of (dev, ino) is about to change: copy it in first.  0 if
 * no version of it is filling. */
int range_cover(uint64_t dev, uint64_t ino, uint64_t off, uint64_t end);
/* Copy [off, off + len) into version vid if it is still filling. */
void range_fill_span(uint64_t vid, uint64_t off, uint64_t len);
void range_finish_all(void);
int range_start(void);
void range_stop(void);

/* control.c */
int control_start(const char *state_dir);
void control_stop(void);

/* retention.c */
int retention_start(void);
void retention_stop(void);

#endif
