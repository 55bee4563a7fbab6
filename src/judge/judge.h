/*
 * judge.h - is this actor an attacker?  Indicators, score, verdict,
 * back-pressure.
 *
 * Owns: grouping actors (threads, forked children and process trees)
 * into groups, the behavioural indicators of each group, the explainable
 * score against the configured threshold, the allowlist, the admission
 * decision for a group's next open (allow, wait for analysis, deny), and
 * the creation of incidents (which it hands to contain/ and records).
 * Does not own: reading file contents (analyse/), the permission or
 * notification loops (daemon/), undoing changes (recover/).
 */
#ifndef VIGIL_JUDGE_H
#define VIGIL_JUDGE_H

#include <stdint.h>
#include <sys/types.h>

#include "../analyse/analyse.h"
#include "../common/config.h"

struct actor;
struct jgroup;

enum admit { ADMIT_ALLOW, ADMIT_DENY, ADMIT_WAIT };

/* Called once the configuration is final; `incident_cb` runs (on the
 * analyser thread) after an incident's actor is frozen and recorded. */
typedef void (*incident_cb)(uint64_t incident_id);
void judge_init(const struct config *cfg, uint64_t first_incident_id,
    incident_cb cb);

/* The group an actor belongs to (created on first use; never freed). */
struct jgroup *judge_group(const struct actor *a);
uint64_t judge_group_id(const struct actor *a);   /* root actor id */
const struct actor *judge_group_root(const struct actor *a);
/* vigil's own CLI (rollback, restore) is never judged. */
void judge_trust_exe(const char *path);
/* Allowlisted actors are never scored, throttled or contained. */
int judge_allowed(const struct actor *a);

/* ---- permission path ---- */
/* Decide an open by a (counted: a write-open of existing, non-empty
 * content, which will be analysed; behind: the notification reader has
 * more than a few files' events unread, notify_behind()).  May wait,
 * at most until deadline_ns (CLOCK_MONOTONIC), for the group's analysis
 * to catch up.  `catch_up` lets the judge wait for the notification
 * thread to drain events already queued (notify.c); it gives up as soon
 * as *stop (the group's contained flag) is set, so that an opener of a
 * group frozen meanwhile is answered at once. */
enum admit judge_admit(const struct actor *a, int counted, int behind,
    uint64_t dev, uint64_t ino, int64_t deadline_ns,
    void (*catch_up)(int64_t deadline_ns, const int *stop, int read_only));
/* judge_admit for the permission reader, which must not wait: the same
 * decision and bookkeeping when judge_admit would allow at once (nothing
 * to wait for, or the notification thread's backlog() is 0, so its
 * catch-up would return at once); ADMIT_WAIT, with nothing changed, when
 * it would wait or deny, or when the actor's allowlist check has not run
 * yet (it may hash an executable): the open then goes to a worker and
 * judge_admit.  Takes the judge's mutex, never waits on a condition. */
enum admit judge_admit_now(const struct actor *a, int counted, int behind,
    uint64_t dev, uint64_t ino, unsigned long (*backlog)(void));
/* Must a's analysis jobs run at full priority?  Yes while any open
 * waits in judge_admit (back-pressure waits for analysis), and for a
 * group with a score or a deletion unanalysed.  Lock-free. */
int judge_urgent(const struct actor *a);
/* fn is called when an open starts waiting for analysis (not under the
 * judge's lock): the analysers' wake-up. */
void judge_on_wait(void (*fn)(void));
/* Cheap check for the reader's fast path: must this read-only open go to
 * a worker (contained group, or a suspicious group with work pending)? */
int judge_needs_worker(const struct actor *a);
/* a write-opened an empty file (most often one it creates with this very
 * open).  Lock-free; called on the reader. */
void judge_new_file(const struct actor *a);
/* a's group wrote a new file within the last second (creating() in
 * judge.c): while the notification reader is behind, its opens of
 * existing files go to a worker and wait there for the queue to be read.
 * Lock-free. */
int judge_creating(const struct actor *a);

/* ---- notification / analysis path ---- */
void judge_closed(const struct actor *a, uint64_t dev, uint64_t ino);
/* An analysis job of a's group was queued / finished; deletion: it is
 * about an unlink of someone else's file (back-pressure, see deleting()). */
void judge_job_added(const struct actor *a, int deletion);
void judge_job_done(const struct actor *a, int deletion);
/* a's group deleted someone else's file: the notification reader saw it
 * (the event is not handled yet).  Starts deleting() at once. */
void judge_deletion_read(const struct actor *a);
/* a's group renamed a file over someone else's: the notification reader
 * read it, and the handler will have handled it once its handled-event
 * count reaches handled_at (renames_behind() in judge.c). */
void judge_rename_read(const struct actor *a, unsigned long handled_at);
/* A file a's group renamed over someone else's was analysed clean: it
 * earns a longer lead over the handler (renames_behind() in judge.c).
 * Lock-free. */
void judge_clean_replacement(const struct actor *a);
/* fn returns the notification handler's handled-event count. */
void judge_on_handled(unsigned long (*fn)(void));
/* a's group renamed a file over someone else's (replacing() in judge.c). */
void judge_replaced(const struct actor *a);
/* A file a changed was analysed. */
void judge_file(const struct actor *a, const char *path,
    const struct analysis *an);
/* a deleted path and no replacement explained it. */
void judge_delete_unexplained(const struct actor *a, const char *path);
/* a renamed old -> new (files only). */
void judge_rename(const struct actor *a, const char *oldp, const char *newp);
/* a created a file; remembered to pair deletions with replacements. */
void judge_created(const struct actor *a, const char *path);
/* A new small file a wrote looks like a ransom note (has_keywords) or
 * has a note-like name. */
void judge_note(const struct actor *a, const char *path, int has_keywords,
    const char *sha256);
/* The newest file a's group created whose name starts with the deleted
 * path's name (x.pdf -> x.pdf.gz, x.pdf.WNCRY) or shares its stem; 0 if
 * found (path copied into out). */
int judge_find_replacement(const struct actor *a, const char *deleted,
    char *out, size_t outlen);

/* ---- incidents ---- */
/* Release (SIGCONT) or kill the processes frozen for an incident.
 * Returns 0, or -1 if the daemon holds no such incident. */
/* A decoy (canary) was written, renamed or deleted by a: an indicator
 * that alone reaches the threshold.  Returns 1 if a's group is now
 * contained (the caller denies the open). */
int judge_canary(const struct actor *a, const char *path, const char *what);
/* An execution of a known-bad executable (by SHA-256) was denied: the
 * same, with the indicator known-bad-executable. */
int judge_exec_denied(const struct actor *a, const char *path,
    const char *sha256);
/* For mass-read detection: each group, its root actor and the sum of its
 * members' read opens so far (cb runs under the judge's lock). */
void judge_each_group_reads(void (*cb)(const void *group,
    const struct actor *root, unsigned long reads, void *arg), void *arg);
int judge_release(uint64_t incident_id);
int judge_kill(uint64_t incident_id);
/* The SMB client address and user of an incident's group: 0, or -1 if it
 * is not an SMB client. */
int judge_incident_client(uint64_t incident_id, char *addr, size_t len,
    char *user, size_t ulen);
/* Write the incident document again (e.g. once the SMB session's user
 * and machine are known). */
void judge_incident_update(uint64_t incident_id);
/* A copy of the incident document (free it), or NULL. */
char *judge_incident_doc(uint64_t incident_id);
/* Hash the frozen root's executable into the incident document (for
 * sharing as an indicator); not for SMB clients (their exe is smbd). */
void judge_incident_hash_exe(uint64_t incident_id);
/* Counters for "vigil status". */
void judge_counters(unsigned long *groups, unsigned long *incidents,
    unsigned long *waits, unsigned long *denied);

/* Note detection helpers (exposed for unit tests). */
int judge_note_name(const char *base);
/* 1 if a new file of this name could be a note at all (no extension, or
 * one a note is opened with): only those are read for keywords. */
int judge_note_candidate(const char *base);
int judge_note_keywords(const char *buf, size_t len);
/* The extension a rename added or changed ("" if none counts). */
int judge_new_extension(const char *oldbase, const char *newbase,
    char *ext, size_t extlen);

#endif
