/*
 * floor.c - the cheapest possible fanotify permission listener: the floor
 * under every ratio bench/run.sh prints.
 *
 * usage: floor MOUNTPOINT [SPIN_US]
 * Puts one FAN_OPEN_PERM mark on the whole filesystem mounted at
 * MOUNTPOINT and answers FAN_ALLOW to every event at once, from one
 * thread, reading events in batches; prints "ready" once the mark is in
 * place and runs until killed.  After each batch it keeps reading
 * (without sleeping) for SPIN_US microseconds, default 1000, before it
 * sleeps in poll: on this project's VMs a sleep and wakeup per event
 * costs more than the rest of the round trip (a floor that always slept
 * made grep -r 9.6x, slower than vigild, whose reader also stays awake
 * within a burst).  SPIN_US 0 always sleeps.  It keeps nothing, copies nothing and
 * looks at nothing, so what a workload pays under it is what the kernel
 * interface itself costs: a context switch to the listener and back, and
 * an event fd opened and closed, per open.  Any design that takes a
 * pre-image before a write-open (as vigild must) pays at least this; the
 * difference between this run and vigild's is vigild's own work.
 *
 * Safety: it refuses a MOUNTPOINT that is not a mount point or that is on
 * the root filesystem, since a listener stopped with events pending would
 * freeze every opener there (bench/run.sh points it at its own loop
 * filesystem).  If it dies, the kernel allows what was pending.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

static long long
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void
answer_all(int fd, const char *buf, ssize_t n)
{
	const struct fanotify_event_metadata *m = (const void *)buf;
	for (; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
		if (m->fd < 0)
			continue;
		struct fanotify_response r = { .fd = m->fd,
		    .response = FAN_ALLOW };
		if (write(fd, &r, sizeof r) < 0)
			fprintf(stderr, "floor: answer: %s\n", strerror(errno));
		close(m->fd);
	}
}

static int
is_own_mount(const char *path)
{
	struct stat st, up, root;
	char parent[4096];
	if (snprintf(parent, sizeof parent, "%s/..", path) >= (int)sizeof parent)
		return 0;
	if (stat(path, &st) < 0 || stat(parent, &up) < 0 || stat("/", &root) < 0)
		return 0;
	return st.st_dev != up.st_dev && st.st_dev != root.st_dev;
}

int
main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: floor MOUNTPOINT [SPIN_US]\n");
		return 2;
	}
	if (!is_own_mount(argv[1])) {
		fprintf(stderr, "floor: %s is not a mount point of its own "
		    "filesystem (refusing to mark it)\n", argv[1]);
		return 2;
	}
	long long spin = argc == 3 ? atoll(argv[2]) : 1000;
	int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC |
	    FAN_NONBLOCK | FAN_UNLIMITED_QUEUE, O_RDONLY | O_LARGEFILE |
	    O_CLOEXEC);
	if (fd < 0 || fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
	    FAN_OPEN_PERM, AT_FDCWD, argv[1]) < 0) {
		fprintf(stderr, "floor: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	static char buf[64 * 1024] __attribute__((aligned(8)));
	long long last = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			answer_all(fd, buf, n);
			last = now_us();
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "floor: read: %s\n", strerror(errno));
			return 1;
		}
		if (now_us() - last < spin)
			continue;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, -1);
	}
}
