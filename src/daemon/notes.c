/*
 * notes.c - new files that may be ransom notes, held back a moment.
 *
 * DESIGN
 * A new small file its creator closed after writing is read by an
 * analyser to see whether it is a note (analyser.c, run_newfile).  Most
 * such files are not new for long: sed -i, editors and office programs
 * write a temporary file and rename it over the one they edit, within
 * microseconds of the close.  A job queued at the close then finds
 * nothing at the temporary name (two failed lookups, a wake, a queue
 * entry: the analyser thread's 10-13 ticks in a 3 s sed -i over 10,000
 * files, about 4% of vigild's CPU).
 * So the close puts the file here, and it becomes a job NOTE_WAIT_NS
 * later, unless before then:
 *   - it was renamed over another file: that is a replacement, which the
 *     rename's analysis (JOB_REPLACED) judges; no note job;
 *   - it was deleted: a note no one can read; no job;
 *   - it was renamed to a new name: the job is for that name (a note
 *     written as a temporary file and renamed to README.txt is looked at
 *     under the name a person sees).
 * Owns only the table below.  Runs on the notification thread alone (no
 * lock); it must not block: a flush only queues jobs.
 */
#define _GNU_SOURCE
#include "daemon.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* long enough for a rename that follows its close (microseconds from a
 * program, a millisecond or two from mv in a script; the reader may see
 * the two in different reads), short enough that a note counts while its
 * writer is at the next folder.  At sed -i's 3 files a millisecond, about
 * 30 wait at once. */
#define NOTE_WAIT_NS (10 * 1000 * 1000)
#define NOTE_SLOTS 64

struct note {
	struct tree *t;
	const struct actor *a;
	uint64_t dev, ino;
	int64_t due;                /* CLOCK_MONOTONIC */
	char *path;
};

static struct {
	struct note v[NOTE_SLOTS];
	int n;                      /* in order of due */
} N;
static atomic_ulong waiting;        /* N.n, for other threads */

static void
submit(struct note *e)
{
	analyser_submit(JOB_NEWFILE, e->t, e->a, e->path, e->dev, e->ino, 0);
	free(e->path);
}

/* remove k entries from i on (their paths already freed) */
static void
cut(int i, int k)
{
	memmove(&N.v[i], &N.v[i + k], (size_t)(N.n - i - k) * sizeof N.v[0]);
	N.n -= k;
	atomic_store_explicit(&waiting, (unsigned long)N.n,
	    memory_order_relaxed);
}

static void
drop_at(int i)
{
	free(N.v[i].path);
	cut(i, 1);
}

static int
find(uint64_t dev, uint64_t ino)
{
	for (int i = 0; i < N.n; i++)
		if (N.v[i].ino == ino && N.v[i].dev == dev)
			return i;
	return -1;
}

void
notes_flush(int64_t now)
{
	int k = 0;
	while (k < N.n && N.v[k].due <= now)
		submit(&N.v[k++]);
	if (k > 0)
		cut(0, k);
}

void
notes_forget(void)
{
	for (int i = 0; i < N.n; i++)
		free(N.v[i].path);
	cut(0, N.n);
}

void
notes_defer(struct tree *t, const struct actor *a, const char *path,
    uint64_t dev, uint64_t ino, int64_t now)
{
	if (ino != 0 && find(dev, ino) >= 0)
		return;             /* closed again: one look is enough */
	char *p = ino ? strdup(path) : NULL;
	if (p == NULL) {            /* no inode to follow, or no memory */
		analyser_submit(JOB_NEWFILE, t, a, path, dev, ino, 0);
		return;
	}
	if (N.n == NOTE_SLOTS) {    /* full: the oldest goes now */
		submit(&N.v[0]);
		cut(0, 1);
	}
	N.v[N.n++] = (struct note){ t, a, dev, ino, now + NOTE_WAIT_NS, p };
	atomic_store_explicit(&waiting, (unsigned long)N.n,
	    memory_order_relaxed);
}

void
notes_gone(uint64_t dev, uint64_t ino)
{
	int i = ino ? find(dev, ino) : -1;
	if (i >= 0)
		drop_at(i);
}

void
notes_moved(uint64_t dev, uint64_t ino, const char *path)
{
	int i = ino ? find(dev, ino) : -1;
	char *p;
	if (i < 0 || (p = strdup(path)) == NULL)
		return;
	free(N.v[i].path);
	N.v[i].path = p;
}

int
notes_pending(void)
{
	return N.n > 0;
}

unsigned long
notes_waiting(void)
{
	return atomic_load_explicit(&waiting, memory_order_relaxed);
}
