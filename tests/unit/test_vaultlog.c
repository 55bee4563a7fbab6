/*
 * test_vaultlog.c - the vault's metadata log (journal/vault.c): records
 * appended with their version, rotation, and the start-up replay, which
 * must give back exactly the records of versions still in the vault, in
 * order, and stop at a torn last record.  Needs root (a vault must be
 * owned by root); skipped otherwise.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/journal/vault.h"

struct seen {
	uint64_t ids[64];
	char paths[64][64];
	int n;
};

static void
collect(const struct version_meta *m, void *arg)
{
	struct seen *s = arg;
	if (s->n < 64) {
		s->ids[s->n] = m->id;
		snprintf(s->paths[s->n], sizeof s->paths[0], "%s", m->path);
		s->n++;
	}
}

static void
add_version(struct vault *v, uint64_t id, const char *path)
{
	int fd = openat(v->versions_fd, ".", O_TMPFILE | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, path, strlen(path)), (ssize_t)strlen(path));
	struct version_meta m = { 0 };
	m.id = id;
	m.tree_id = 1;
	m.size = strlen(path);
	snprintf(m.reason, sizeof m.reason, "write");
	snprintf(m.state, sizeof m.state, "ok");
	snprintf(m.path, sizeof m.path, "%s", path);
	assert_int_equal(vault_journal(v, fd, &m), 0);
	close(fd);
}

static off_t
file_size(struct vault *v, const char *name)
{
	struct stat st;
	return fstatat(v->dirfd, name, &st, 0) == 0 ? st.st_size : -1;
}

static void
log_cases(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char dir[] = "/tmp/vigil-vaultlog.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct stat st;
	assert_int_equal(stat(dir, &st), 0);
	struct vault v;
	char err[256];
	assert_int_equal(vault_open(&v, dir, st.st_dev, err, sizeof err), 0);
	assert_int_equal(vault_log_open(&v), 0);

	/* records before a rotation are dropped by it */
	add_version(&v, 1, "/p/one");
	add_version(&v, 2, "/p/two");
	assert_true(vault_log_bytes(&v) > 0);
	vault_log_rotate(&v, 1 << 20);          /* under the limit: kept */
	assert_true(file_size(&v, "pending") > 0);
	vault_log_rotate(&v, 10);
	assert_int_equal(file_size(&v, "pending"), 0);
	assert_int_equal(file_size(&v, "pending.old"), -1);
	assert_int_equal(vault_log_bytes(&v), 0);

	/* a path with a newline, an evicted version, a torn tail */
	add_version(&v, 3, "/p/three");
	add_version(&v, 4, "/p/with\nnewline");
	add_version(&v, 5, "/p/evicted");
	add_version(&v, 6, "/p/six");
	assert_int_equal(vault_remove_version(&v, 5), 0);
	int fd = openat(v.dirfd, "pending", O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	const char torn[] = "R0000000000ffff\nv1\nid=7\ntree=1";
	assert_int_equal(write(fd, torn, sizeof torn - 1), (ssize_t)sizeof torn - 1);
	close(fd);

	struct seen s = { .n = 0 };
	vault_log_replay(&v, collect, &s);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.ids[0], 3);
	assert_int_equal(s.ids[1], 4);
	assert_string_equal(s.paths[1], "/p/with\nnewline");
	assert_int_equal(s.ids[2], 6);
	assert_int_equal(file_size(&v, "pending"), 0);

	/* a foreign header stops the replay at once */
	fd = openat(v.dirfd, "pending", O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "R-000000000000f\nv1\n", 19), 19);
	close(fd);
	s.n = 0;
	vault_log_replay(&v, collect, &s);
	assert_int_equal(s.n, 0);

	for (uint64_t id = 1; id <= 6; id++)
		vault_remove_version(&v, id);
	vault_close(&v);
	char p[128];
	snprintf(p, sizeof p, "%s/versions", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/pending", dir);
	unlink(p);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(log_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
