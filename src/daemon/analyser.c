/*
 * analyser.c - the analysis threads: from "an actor changed a file" to an
 * analysis the judge can score.
 *
 * DESIGN
 * The notification thread submits jobs and never waits for them:
 *   MODIFIED  a file was closed after a write and its before-version is in
 *             the vault: compare the two (analyse_pair);
 *   REPLACED  a file was renamed over: compare the version that lost its
 *             name with what now sits at that path;
 *   DELETED   a file was deleted: if the same group created a file beside
 *             it whose name extends it (x.pdf -> x.pdf.gz, x.pdf.WNCRY),
 *             compare the two (analyse_replacement); otherwise it is an
 *             unexplained deletion;
 *   NEWFILE   a small new file that may be a ransom note.
 * Every job is counted against its actor's group until it is done: that
 * count is the back-pressure the judge applies to the group's next opens.
 * Files are opened beneath their tree without following symlinks; the
 * opens are vigild's own and never wait on its permission path.
 * Must not: block the notification thread, or hold any lock while
 * reading file contents.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../actor/actor.h"
#include "../analyse/analyse.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../judge/judge.h"
#include "../journal/index.h"
#include "../journal/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ANALYSERS 2
#define NOTE_MAX_SIZE 65536
/* A woken analyser waits until this many jobs are queued, or the oldest
 * is this old, before it starts: one wake then serves several jobs.  On
 * sed -i over 10,000 files the threads had woken twice per job, and on a
 * virtual machine each wake costs more than a small file's analysis.
 * Never while an open waits for analysis (judge_urgent): it made each
 * write-open of bench/openlat wait the whole 1 ms (p50 1251 us). */
#define ANALYSE_BATCH 8
#define ANALYSE_LINGER_NS 1000000LL
/* A job no open waits for, of a group with nothing against it (most of
 * them: every file a bulk editor rewrites), runs this much nicer than
 * vigild, so that it takes the CPU the users' programs leave; any opener
 * held back for analysis, a group with a score, a deletion: full priority
 * again (judge_urgent).  sed -i over 10,000 files, one daemon at a time:
 * 3.23-3.36 s with the analysers at +10, 3.65-3.95 s at +0. */
#define ANALYSE_NICE 10

struct job {
	enum job_kind kind;
	struct tree *t;
	const struct actor *a;
	char *path;
	uint64_t dev, ino, vid;
	int64_t queued_ns;        /* CLOCK_MONOTONIC */
	struct job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	unsigned long queued;
	pthread_t th[ANALYSERS];
	int running;
} Q = { .mu = PTHREAD_MUTEX_INITIALIZER };

static atomic_ulong n_done, n_destroyed, n_suspect;

static int
path_allowed(const char *path)
{
	for (int i = 0; i < D.cfg.nallow_path; i++)
		if (path_is_under(path, D.cfg.allow_path[i]))
			return 1;
	return 0;
}

static void verdict(const struct job *j, const char *path,
    const struct analysis *an);
static void queue(enum job_kind kind, struct tree *t, const struct actor *a,
    const char *path, uint64_t dev, uint64_t ino, uint64_t vid);

/* A small file renamed over another (sed -i, a program saving through a
 * temporary file): analysed here, on the notification thread, from the
 * held fd of the inode that took the name.  Queueing it cost more than
 * analysing it: a job, a wake, a path lookup, two of the judge's locks.
 * Both files are read whole with one pread each, into a static buffer,
 * the new one through its held fd itself: no dup, no fstat, no
 * allocation (sed -i spent half of this function in dup, fstat, close,
 * malloc and repeated reads).  A file larger than
 * INLINE_MAX, or one that cannot be read, goes to the analysers.
 * 1 if done. */
#define INLINE_MAX (64 * 1024)
static int
replaced_inline(struct tree *t, const struct actor *a, const char *path,
    uint64_t dev, uint64_t ino, uint64_t vid, int before_fd)
{
	/* the notification thread's only (analyser_replaced) */
	static uint8_t buf[2 * (INLINE_MAX + 1)];
	const size_t cap = INLINE_MAX + 1;

	if (ino == 0)
		return 0;
	int b = before_fd, done = 0;
	ssize_t nn = notify_read_held(dev, ino, buf + cap, cap), on = -1;
	if (nn >= 0 && (size_t)nn < cap &&
	    (b >= 0 || (b = vault_open_version(t->vault, vid)) >= 0))
		on = pread_head(b, buf, cap);
	struct analysis an;
	if (on >= 0 && (size_t)on < cap) {
		analyse_replacement_buffers(buf, (size_t)on, buf + cap,
		    (size_t)nn, &an);
		done = 1;
	}
	if (b >= 0 && b != before_fd)
		close(b);
	if (done) {
		struct job j = { .kind = JOB_REPLACED, .t = t, .a = a,
			.path = (char *)path, .dev = dev, .ino = ino,
			.vid = vid };
		verdict(&j, path, &an);
		atomic_fetch_add(&n_done, 1);
	}
	return done;
}

/* detection off, no actor, or allowlisted: nothing to analyse */
static int
not_analysed(const struct actor *a, const char *path)
{
	return !D.cfg.detect || a == NULL || path_allowed(path) ||
	    judge_allowed(a);
}

void
analyser_submit(enum job_kind kind, struct tree *t, const struct actor *a,
    const char *path, uint64_t dev, uint64_t ino, uint64_t vid)
{
	if (!not_analysed(a, path))
		queue(kind, t, a, path, dev, ino, vid);
}

void
analyser_replaced(struct tree *t, const struct actor *a, const char *path,
    uint64_t dev, uint64_t ino, uint64_t vid, int before_fd)
{
	if (not_analysed(a, path) ||
	    replaced_inline(t, a, path, dev, ino, vid, before_fd))
		return;
	queue(JOB_REPLACED, t, a, path, dev, ino, vid);
}

static void
queue(enum job_kind kind, struct tree *t, const struct actor *a,
    const char *path, uint64_t dev, uint64_t ino, uint64_t vid)
{
	struct job *j = calloc(1, sizeof *j);
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		free(j);
		return;
	}
	j->kind = kind;
	j->t = t;
	j->a = a;
	j->dev = dev;
	j->ino = ino;
	j->vid = vid;
	j->queued_ns = mono_ns();
	judge_job_added(a, kind == JOB_DELETED);
	pthread_mutex_lock(&Q.mu);
	if (Q.tail)
		Q.tail->next = j;
	else
		Q.head = j;
	Q.tail = j;
	Q.queued++;
	/* the first job wakes an analyser, which lingers (next_job); a
	 * full batch ends its wait */
	if (Q.queued == 1 || Q.queued >= ANALYSE_BATCH)
		pthread_cond_signal(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
}

static void
verdict(const struct job *j, const char *path, const struct analysis *an)
{
	if (an->verdict == V_DESTROYED)
		atomic_fetch_add(&n_destroyed, 1);
	else if (an->verdict == V_SUSPECT)
		atomic_fetch_add(&n_suspect, 1);
	if (an->verdict != V_CLEAN)
		log_info("analyse: %s by pid %d (%s): %s: %s", path,
		    (int)j->a->pid, j->a->comm, an->verdict == V_DESTROYED ?
		    "destroyed" : "suspect", an->why);
	judge_file(j->a, path, an);
	if (an->verdict == V_CLEAN && j->kind == JOB_REPLACED)
		judge_clean_replacement(j->a);
}

static void
fill_version(void *ctx, uint64_t off, uint64_t len)
{
	range_fill_span(*(const uint64_t *)ctx, off, len);
}

static void
run_modified(struct job *j)
{
	int b = vault_open_version(j->t->vault, j->vid);
	int a = j->kind == JOB_MODIFIED || j->ino ? held_dup(j->dev, j->ino) :
	    held_fd_at(j->t, j->path);
	if (a < 0)
		a = tree_open(j->t, j->path, O_RDONLY | O_NONBLOCK | O_NOATIME);
	struct stat st;
	struct analysis an;
	if (b >= 0 && a >= 0 && fstat(a, &st) == 0 && S_ISREG(st.st_mode) &&
	    (j->kind == JOB_REPLACED || (uint64_t)st.st_ino == j->ino)) {
		/* a range pre-image still filling gets the parts read */
		int rc = j->kind == JOB_REPLACED ?
		    analyse_replacement(b, a, 0, &an) :
		    analyse_pair_fill(b, fill_version, &j->vid, a, 0, &an);
		if (rc == 0)
			verdict(j, j->path, &an);
	}
	if (b >= 0)
		close(b);
	if (a >= 0)
		close(a);
}

static void
run_deleted(struct job *j)
{
	char repl[PATH_MAX];
	if (judge_find_replacement(j->a, j->path, repl, sizeof repl) < 0) {
		judge_delete_unexplained(j->a, j->path);
		return;
	}
	int b = vault_open_version(j->t->vault, j->vid);
	int a = held_fd_at(j->t, repl);
	if (a < 0)
		a = tree_open(j->t, repl, O_RDONLY | O_NONBLOCK | O_NOATIME);
	struct stat st;
	struct analysis an;
	if (b >= 0 && a >= 0 && fstat(a, &st) == 0 && S_ISREG(st.st_mode) &&
	    analyse_replacement(b, a, 0, &an) == 0)
		verdict(j, j->path, &an);
	else
		judge_delete_unexplained(j->a, j->path);
	if (b >= 0)
		close(b);
	if (a >= 0)
		close(a);
}

static void
run_newfile(struct job *j)
{
	const char *base = strrchr(j->path, '/');
	base = base ? base + 1 : j->path;
	/* by inode first: the file may have been renamed since */
	int fd = j->ino ? held_dup(j->dev, j->ino) : -1;
	if (fd < 0)
		fd = held_fd_at(j->t, j->path);
	if (fd < 0)
		fd = tree_open(j->t, j->path, O_RDONLY | O_NONBLOCK | O_NOATIME);
	if (fd < 0)
		return;
	struct stat st;
	static _Thread_local char buf[NOTE_MAX_SIZE];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size <= NOTE_MAX_SIZE)
		n = pread(fd, buf, sizeof buf, 0);
	close(fd);
	if (n <= 0)
		return;
	/* keywords are looked for in the first 4 KiB; the hash (an
	 * indicator other sites can check) is of the whole note */
	int kw = judge_note_keywords(buf, n < 4096 ? (size_t)n : 4096);
	if (!kw && !judge_note_name(base))
		return;         /* not a note: no hash needed (most new files) */
	char sha[65];
	int hashed = n == st.st_size && sha256_hex(buf, (size_t)n, sha) == 0;
	judge_note(j->a, j->path, kw, hashed ? sha : NULL);
}

static void
run(struct job *j)
{
	switch (j->kind) {
	case JOB_MODIFIED:
	case JOB_REPLACED:
		run_modified(j);
		break;
	case JOB_DELETED:
		run_deleted(j);
		break;
	case JOB_NEWFILE:
		run_newfile(j);
		break;
	}
}

/* The thread's priority for job j: vigild's own, or ANALYSE_NICE more.
 * Raising it back needs CAP_SYS_NICE; without it the thread stays at
 * vigild's priority. */
struct prio {
	pid_t tid;
	int base, now, stuck;
};

static void
prio_for(struct prio *p, const struct job *j)
{
	if (p->stuck)
		return;
	int want = p->base;
	if (j->kind != JOB_DELETED && !judge_urgent(j->a))
		want = p->base + ANALYSE_NICE > 19 ? 19 : p->base + ANALYSE_NICE;
	if (want == p->now)
		return;
	if (setpriority(PRIO_PROCESS, (id_t)p->tid, want) == 0) {
		p->now = want;
	} else if (want == p->base) {
		p->stuck = 1;   /* cannot come back: never go nicer again */
		log_warn("analyser: cannot restore priority %d", want);
	}
}

static void *
analyser_main(void *arg)
{
	(void)arg;
	self_register_thread("vigild-analyse", 0);
	struct prio pr = { .tid = (pid_t)syscall(SYS_gettid) };
	errno = 0;
	pr.base = pr.now = getpriority(PRIO_PROCESS, (id_t)pr.tid);
	pr.stuck = errno != 0;
	for (;;) {
		pthread_mutex_lock(&Q.mu);
		int slept = 0;
		while (Q.head == NULL && !atomic_load(&D.stopping)) {
			pthread_cond_wait(&Q.cv, &Q.mu);
			slept = 1;
		}
		/* lingers only when woken from an empty queue: jobs left
		 * after a batch are taken at once */
		while (slept && Q.head && Q.queued < ANALYSE_BATCH &&
		    !atomic_load(&D.stopping) && !judge_urgent(Q.head->a) &&
		    mono_ns() < Q.head->queued_ns + ANALYSE_LINGER_NS)
			cond_wait_step(&Q.cv, &Q.mu, Q.head->queued_ns +
			    ANALYSE_LINGER_NS, ANALYSE_LINGER_NS);
		struct job *j = Q.head;
		if (j == NULL) {
			pthread_mutex_unlock(&Q.mu);
			break;
		}
		Q.head = j->next;
		if (Q.head == NULL)
			Q.tail = NULL;
		Q.queued--;
		pthread_mutex_unlock(&Q.mu);
		prio_for(&pr, j);
		atomic_fetch_add(&D.busy, 1);
		run(j);
		atomic_fetch_sub(&D.busy, 1);
		atomic_fetch_add(&n_done, 1);
		judge_job_done(j->a, j->kind == JOB_DELETED);
		free(j->path);
		free(j);
	}
	return NULL;
}

/* An open waits for analysis: no lingering now (judge_on_wait). */
static void
wake_all(void)
{
	pthread_mutex_lock(&Q.mu);
	pthread_cond_broadcast(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
}

int
analyser_start(void)
{
	cond_init_monotonic(&Q.cv);
	judge_on_wait(wake_all);
	for (int i = 0; i < ANALYSERS; i++)
		if (pthread_create(&Q.th[i], NULL, analyser_main, NULL) != 0)
			return -1;
	Q.running = 1;
	return 0;
}

void
analyser_stop(void)
{
	if (!Q.running)
		return;
	pthread_mutex_lock(&Q.mu);
	pthread_cond_broadcast(&Q.cv);
	pthread_mutex_unlock(&Q.mu);
	for (int i = 0; i < ANALYSERS; i++)
		pthread_join(Q.th[i], NULL);
	Q.running = 0;
}

void
analyser_counters(unsigned long *done, unsigned long *queued,
    unsigned long *destroyed, unsigned long *suspect)
{
	pthread_mutex_lock(&Q.mu);
	*queued = Q.queued;
	pthread_mutex_unlock(&Q.mu);
	*queued += notes_waiting();     /* new files soon to be jobs */
	*done = atomic_load(&n_done);
	*destroyed = atomic_load(&n_destroyed);
	*suspect = atomic_load(&n_suspect);
}
