/*
 * vigild.c - startup, shutdown, and the few globals every thread shares.
 *
 * Startup order matters: the permission threads run before the first mark
 * is placed, so no opener ever waits on a mark nobody answers; the initial
 * scan (which holds every existing file, hold.c) runs with events already
 * flowing; "vigil status" reports active only once the scan is done.
 * Shutdown is the reverse, and closing the fanotify groups allows any
 * event still pending: vigild fails open, never closed.
 */
#define _GNU_SOURCE
#include "daemon.h"
#include "../actor/smb.h"
#include "../contain/smbban.h"
#include "../warn/canary.h"
#include "../intel/exec.h"
#include "../warn/warn.h"
#include <sys/random.h>
#include "../report/emit.h"
#include "../actor/actor.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../journal/index.h"
#include "../journal/store.h"
#include "../judge/judge.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

struct daemon D = { .perm_fd = -1, .notif_fd = -1 };

struct tree *
tree_of_path(const char *path)
{
	for (int i = 0; i < D.ntrees; i++)
		if (path_is_under(path, D.trees[i].path))
			return &D.trees[i];
	return NULL;
}

struct tree *
tree_of_fsid(uint64_t fsid)
{
	for (int i = 0; i < D.ntrees; i++)
		if (D.trees[i].fsid == fsid)
			return &D.trees[i];
	return NULL;
}

int
path_in_vault(const char *path)
{
	for (int i = 0; i < D.nvaults; i++)
		if (path_is_under(path, D.vaults[i].path))
			return 1;
	return 0;
}

void
self_register_thread(const char *name, int nice)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int i = atomic_fetch_add(&D.nself, 1);
	if (i < 32)
		D.self_tids[i] = tid;
	pthread_setname_np(pthread_self(), name);
	if (nice && setpriority(PRIO_PROCESS, (id_t)tid, nice) < 0)
		log_warn("%s: nice %d", name, nice);
}

int
self_is_tid(pid_t tid)
{
	int n = atomic_load(&D.nself);
	for (int i = 0; i < n && i < 32; i++)
		if (D.self_tids[i] == tid)
			return 1;
	return 0;
}

uint64_t
version_next_id(void)
{
	return atomic_fetch_add(&D.next_version, 1);
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: vigild [-c FILE] [--protect PATH]... [--state-dir DIR]\n"
	    "              [--foreground] [--log-level LEVEL] "
	    "[--rollback auto|manual]\n"
	    "       vigild --print-config | --check-config [-c FILE] | "
	    "--version | --help\n\n"
	    "Protect directory trees: before a protected file's content can "
	    "be destroyed,\nvigild keeps a recoverable version of it "
	    "(see vigild(8), vigil(1)).\n\n"
	    "  -c, --config FILE    configuration file (default %s if it "
	    "exists,\n"
	    "                       else the built-in defaults)\n"
	    "  -p, --protect PATH   protect this directory tree (repeatable)\n"
	    "  -s, --state-dir DIR  journal and socket directory (default %s)\n"
	    "  -f, --foreground     stay in the foreground, log to stderr\n"
	    "  -l, --log-level L    crit, error, warning, info, debug\n"
	    "  -r, --rollback MODE  after an incident: auto (roll back at "
	    "once)\n"
	    "                       or manual (wait for vigil rollback ID)\n"
	    "      --print-config   print the built-in default configuration\n"
	    "      --check-config   validate the configuration and exit\n"
	    "  -V, --version        print the version\n"
	    "  -h, --help           this text\n",
	    CONFIG_DEFAULT_PATH, CONFIG_DEFAULT_STATE_DIR);
}

struct opts {
	const char *conf;
	const char *state_dir;
	const char *log_level;
	const char *rollback;
	const char *protect[CONFIG_MAX_TREES];
	int nprotect, foreground, check;
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "protect", required_argument, NULL, 'p' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "rollback", required_argument, NULL, 'r' },
		{ "print-config", no_argument, NULL, 'P' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "c:p:s:fl:r:Vh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; break;
		case 'p':
			if (o->nprotect == CONFIG_MAX_TREES) {
				fprintf(stderr, "vigild: too many --protect\n");
				exit(2);
			}
			o->protect[o->nprotect++] = optarg;
			break;
		case 's': o->state_dir = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'l': o->log_level = optarg; break;
		case 'r': o->rollback = optarg; break;
		case 'P': fputs(config_default_text, stdout); exit(0);
		case 'C': o->check = 1; break;
		case 'V': printf("vigild %s\n", VIGIL_VERSION); exit(0);
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		exit(2);
	}
}

static void
load_config(struct opts *o)
{
	char err[1024];
	config_defaults(&D.cfg);
	int rc;
	if (o->conf)
		rc = config_load(&D.cfg, o->conf, err, sizeof err);
	else if (access(CONFIG_DEFAULT_PATH, F_OK) == 0)
		rc = config_load(&D.cfg, CONFIG_DEFAULT_PATH, err, sizeof err);
	else
		rc = config_parse(&D.cfg, config_default_text, "(built-in)",
		    err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "vigild: %s\n", err);
		exit(2);
	}
	for (int i = 0; i < o->nprotect; i++)
		if (config_add_protect(&D.cfg, o->protect[i], err,
		    sizeof err) < 0) {
			fprintf(stderr, "vigild: --protect: %s\n", err);
			exit(2);
		}
	if (o->state_dir) {
		if (!path_is_clean_absolute(o->state_dir)) {
			fprintf(stderr, "vigild: --state-dir: \"%s\" is not a "
			    "clean absolute path\n", o->state_dir);
			exit(2);
		}
		snprintf(D.cfg.state_dir, sizeof D.cfg.state_dir, "%s",
		    o->state_dir);
	}
	if (o->rollback && config_set(&D.cfg, "rollback", o->rollback, err,
	    sizeof err) < 0) {
		fprintf(stderr, "vigild: --rollback: %s\n", err);
		exit(2);
	}
	if (o->log_level) {
		int l = log_level_parse(o->log_level);
		if (l < 0) {
			fprintf(stderr, "vigild: --log-level: expected crit, "
			    "error, warning, info or debug\n");
			exit(2);
		}
		D.cfg.log_level = l;
	}
}

/* Trees must exist, be directories, and be named without symlinks. */
static void
check_trees(void)
{
	if (D.cfg.nprotect == 0) {
		fprintf(stderr, "vigild: nothing to protect: give --protect "
		    "PATH or \"protect = PATH\" in the configuration\n");
		exit(2);
	}
	for (int i = 0; i < D.cfg.nprotect; i++) {
		const char *p = D.cfg.protect[i];
		struct stat st;
		if (lstat(p, &st) < 0) {
			fprintf(stderr, "vigild: protect %s: %s\n", p,
			    strerror(errno));
			exit(2);
		}
		if (S_ISLNK(st.st_mode)) {
			fprintf(stderr, "vigild: protect %s: is a symlink; give "
			    "the real path of the directory\n", p);
			exit(2);
		}
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "vigild: protect %s: not a directory\n",
			    p);
			exit(2);
		}
		char *real = realpath(p, NULL);
		if (real == NULL || strcmp(real, p) != 0) {
			fprintf(stderr, "vigild: protect %s: the path goes "
			    "through a symlink; give the real path %s\n", p,
			    real ? real : "?");
			exit(2);
		}
		free(real);
		if (path_is_under(D.cfg.state_dir, p)) {
			fprintf(stderr, "vigild: the state dir %s must not lie "
			    "inside protected tree %s\n", D.cfg.state_dir, p);
			exit(2);
		}
	}
}

static int pidfile_fd = -1;

static void
lock_state_dir(void)
{
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/vigild.pid", D.cfg.state_dir);
	pidfile_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (pidfile_fd < 0)
		fatal("%s", path);
	if (flock(pidfile_fd, LOCK_EX | LOCK_NB) < 0)
		fatalx("another vigild is using state dir %s", D.cfg.state_dir);
	/* a pid left in the file: the last vigild did not stop cleanly */
	char old[32] = "";
	ssize_t r = pread(pidfile_fd, old, sizeof old - 1, 0);
	D.unclean_pid = r > 0 ? (pid_t)strtol(old, NULL, 10) : 0;
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%d\n", getpid());
	if (ftruncate(pidfile_fd, 0) < 0 || write_full(pidfile_fd, buf,
	    (size_t)n) < 0)
		log_warn("%s", path);
}

static int
tree_row(const char *path, dev_t dev, const char *vault)
{
	sqlite3_stmt *st;
	int id = -1;
	if (sqlite3_prepare_v2(D.db, "INSERT INTO trees(path,dev,vault) "
	    "VALUES(?,?,?) ON CONFLICT(path) DO UPDATE SET dev=excluded.dev,"
	    " vault=excluded.vault", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)dev);
	sqlite3_bind_text(st, 3, vault, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(D.db, "SELECT id FROM trees WHERE path=?", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return id;
}

static struct vault *
vault_for(const char *path, dev_t dev)
{
	for (int i = 0; i < D.nvaults; i++)
		if (strcmp(D.vaults[i].path, path) == 0)
			return &D.vaults[i];
	struct vault *v = &D.vaults[D.nvaults];
	char err[1024];
	if (vault_open(v, path, dev, err, sizeof err) < 0) {
		fprintf(stderr, "vigild: %s\n", err);
		exit(2);
	}
	D.nvaults++;
	return v;
}

static void
open_trees(void)
{
	for (int i = 0; i < D.cfg.nprotect; i++) {
		struct tree *t = &D.trees[D.ntrees];
		snprintf(t->path, sizeof t->path, "%s", D.cfg.protect[i]);
		t->pathlen = strlen(t->path);
		t->rootfd = open(t->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		struct stat st;
		struct statfs sf;
		if (t->rootfd < 0 || fstat(t->rootfd, &st) < 0 ||
		    fstatfs(t->rootfd, &sf) < 0)
			fatal("protect %s", t->path);
		t->dev = st.st_dev;
		memcpy(&t->fsid, &sf.f_fsid, sizeof t->fsid);
		char vpath[PATH_MAX];
		if (D.cfg.vault_dir[0]) {
			snprintf(vpath, sizeof vpath, "%s", D.cfg.vault_dir);
		} else {
			char root[PATH_MAX];
			if (vault_fs_root(t->path, root, sizeof root) < 0)
				fatal("filesystem root of %s", t->path);
			snprintf(vpath, sizeof vpath, "%s%s.vigil-vault", root,
			    strcmp(root, "/") ? "/" : "");
		}
		t->vault = vault_for(vpath, t->dev);
		t->id = tree_row(t->path, t->dev, vpath);
		if (t->id < 0)
			fatalx("journal: cannot record tree %s", t->path);
		D.ntrees++;
	}
}

struct replay {
	unsigned restored;
	uint64_t max;
};

/* A record of the vault's metadata log: its row is missing (a crash came
 * between the copy and the commit), or says a range version was still
 * filling when the log knows it finished. */
static void
replay_one(const struct version_meta *m, void *arg)
{
	struct replay *rp = arg;
	if (m->id > rp->max)
		rp->max = m->id;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(D.db, "SELECT state FROM versions WHERE id=?",
	    -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)m->id);
	int missing = sqlite3_step(st) != SQLITE_ROW;
	const char *state = missing ? NULL :
	    (const char *)sqlite3_column_text(st, 0);
	int stale = state && strcmp(state, "filling") == 0 &&
	    strcmp(m->state, "filling") != 0;
	sqlite3_finalize(st);
	if ((missing || stale) && store_insert_version(D.db, m) == 0)
		rp->restored++;
}

/* Version files whose row never reached the database (a crash between the
 * copy and the commit) are described in the vault's metadata log, or, if
 * an older vigild made them, in an xattr: put them back. */
static uint64_t
reconcile_vault(struct vault *v, uint64_t db_max)
{
	struct replay rp = { 0, db_max };
	vault_log_replay(v, replay_one, &rp);
	uint64_t max = rp.max;
	if (vault_log_open(v) < 0)
		log_crit("journal: cannot open the metadata log of the vault "
		    "%s: %s; a crash may lose the rows of the last versions",
		    v->path, strerror(errno));
	int fd = dup(v->versions_fd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return max;
	}
	struct dirent *de;
	unsigned restored = rp.restored;
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long id = strtoull(de->d_name, &end, 10);
		if (*end || end == de->d_name)
			continue;
		if (id > max)
			max = id;
		if (id <= db_max)
			continue;
		int vf = openat(v->versions_fd, de->d_name, O_RDONLY |
		    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (vf < 0)
			continue;
		char buf[8192];
		ssize_t n = fgetxattr(vf, VAULT_META_XATTR, buf, sizeof buf);
		struct version_meta m;
		if (n > 0 && vault_meta_parse(buf, (size_t)n, &m) == 0 &&
		    m.id == id) {
			struct stat st;
			if (fstat(vf, &st) == 0)
				m.bytes = (uint64_t)st.st_blocks * 512;
			if (store_insert_version(D.db, &m) == 0)
				restored++;
		}
		close(vf);
	}
	closedir(d);
	if (restored)
		log_warnx("journal: recovered %u version(s) from the vault %s "
		    "that were not yet recorded when vigild last stopped",
		    restored, v->path);
	return max;
}

/* The per-installation seed of decoy names: made once, kept in the state
 * dir, so decoys keep their names across restarts. */
static uint64_t
canary_seed(void)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s/canary-seed", D.cfg.state_dir);
	uint64_t seed = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		if (read(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
			seed = 0;
		close(fd);
	}
	if (seed)
		return seed;
	if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		seed = (uint64_t)now_ns();
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd >= 0) {
		if (write(fd, &seed, sizeof seed) != (ssize_t)sizeof seed)
			log_warn("canaries: %s", p);
		close(fd);
	}
	return seed;
}

void
canaries_refresh(void)
{
	if (!D.cfg.canaries)
		return;
	static uint64_t seed;
	if (seed == 0)
		seed = canary_seed();
	int fds[CONFIG_MAX_TREES];
	const char *paths[CONFIG_MAX_TREES];
	for (int i = 0; i < D.ntrees; i++) {
		fds[i] = D.trees[i].rootfd;
		paths[i] = D.trees[i].path;
	}
	int n = canary_plant(D.cfg.state_dir, D.ntrees, fds, paths,
	    (int)D.cfg.canary_depth, seed, path_in_vault);
	static int told = -1;
	if (n != told)
		log_info("canaries: %d decoy file(s) in place (listed in "
		    "%s/canaries)", n, D.cfg.state_dir);
	told = n;
}

static void
on_new_actor(const struct actor *a, void *arg)
{
	(void)arg;
	store_actor(a);
	if (a->smb_client[0])
		smb_directory_poke();   /* learn its user and machine */
}

static void
open_journal(void)
{
	char err[1024];
	if (mkdir_p(D.cfg.state_dir, 0700) < 0) {
		fprintf(stderr, "vigild: state dir %s: %s\n", D.cfg.state_dir,
		    strerror(errno));
		exit(2);
	}
	D.db = store_open(D.cfg.state_dir, 1, 0, err, sizeof err);
	if (D.db == NULL) {
		fprintf(stderr, "vigild: state dir %s: %s\n", D.cfg.state_dir,
		    err);
		exit(2);
	}
}

/* One fd is held per protected file (hold.c): take all the kernel allows. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;
	unsigned long long nr_open = 1048576;
	FILE *f = fopen("/proc/sys/fs/nr_open", "re");
	if (f) {
		if (fscanf(f, "%llu", &nr_open) != 1)
			nr_open = 1048576;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max = nr_open; /* root may raise both */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	D.held_max = (long)rl.rlim_cur - HOLD_RESERVE_FDS;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	D.ncpu = ncpu > 0 ? (int)ncpu : 1;
	if (D.held_max < 0)
		D.held_max = 0;
	log_info("up to %ld protected files can be held open (fd limit %llu, "
	    "%d kept for events)", D.held_max, (unsigned long long)rl.rlim_cur,
	    HOLD_RESERVE_FDS);
}

static void
start_protection(void)
{
	char err[1024];
	uint64_t max = store_max_id(D.db, "versions");
	for (int i = 0; i < D.nvaults; i++) {
		uint64_t m = reconcile_vault(&D.vaults[i], max);
		if (m > max)
			max = m;
	}
	atomic_store(&D.next_version, max + 1);
	/* range pre-images that were still filling when vigild stopped */
	store_exec(D.db, "UPDATE versions SET state='partial' WHERE "
	    "state='filling'");
	actor_cache_init(store_max_id(D.db, "actors") + 1, on_new_actor, NULL);
	index_init();
	raise_fd_limit();
	if (capture_init(err, sizeof err) < 0)
		fatalx("%s", err);
	if (store_writer_start(D.db) < 0)
		fatalx("journal writer");
	judge_init(&D.cfg, store_max_id(D.db, "incidents") + 1,
	    respond_incident);
	respond_init();
	int niocs = exec_iocs_load(D.db);
	if (niocs > 0)
		log_info("indicators: %d known-bad executable hash(es) loaded; "
		    "executions from protected trees are checked", niocs);
	if (D.cfg.smb_ban_file[0] == '\0')
		snprintf(D.cfg.smb_ban_file, sizeof D.cfg.smb_ban_file,
		    "%s/smb-ban.conf", D.cfg.state_dir);
	char berr[512];
	if (D.cfg.smb_ban != SMB_BAN_OFF &&
	    smbban_init(D.cfg.smb_ban_file, berr, sizeof berr) < 0)
		log_warnx("smb: ban file: %s", berr);
	if (emit_start(&D.cfg, berr, sizeof berr) < 0)
		log_warnx("events: %s: incidents reach vigild's log only", berr);
	if (smb_directory_start(D.cfg.smb_conf) < 0)
		log_warnx("smb: no session directory thread: incidents will "
		    "name SMB clients by address only");
	if (D.ntrees > 0)
		capture_probe_pre_access(D.trees[0].rootfd);
	if (analyser_start() < 0 || perm_start() < 0 || notify_start() < 0 ||
	    range_start() < 0)
		fatalx("cannot start event threads");
	if (control_start(D.cfg.state_dir) < 0)
		log_warnx("no control socket: vigil status will not work");
	for (int i = 0; i < D.ntrees; i++) {
		struct tree *t = &D.trees[i];
		int64_t t0 = mono_ns();
		char vp[PATH_MAX + 16];
		snprintf(vp, sizeof vp, "%s/versions", t->vault->path);
		if (capture_watch_vault(t->vault->versions_fd, vp, t) < 0)
			log_warn("tamper: cannot watch %s", vp);
		capture_scan(t, t->rootfd, t->path);
		log_info("protecting %s: %lu directories, %lu files, vault %s "
		    "(%.1f s)", t->path, (unsigned long)atomic_load(&t->dirs),
		    (unsigned long)atomic_load(&t->files), t->vault->path,
		    (double)(mono_ns() - t0) / 1e9);
	}
	store_flush();
	atomic_store(&D.scanned, 1);
	if (massread_start() < 0)
		log_warnx("mass-read detection is not running");
	if (retention_start() < 0)
		log_warnx("retention is not running");
	if (guard_start(D.cfg.state_dir) < 0)
		log_warnx("tamper: the state dir and snapshot guard is not "
		    "running");
	log_info("protection active (perm_timeout_ms=%u, workers=%u, "
	    "detect=%s, threshold=%u, rollback=%s)", D.cfg.perm_timeout_ms,
	    D.cfg.workers, D.cfg.detect ? "on" : "off", D.cfg.score_threshold,
	    D.cfg.rollback_auto ? "auto" : "manual");
}

static void
stop_protection(void)
{
	range_stop();          /* while writes still reach range_cover */
	atomic_store(&D.stopping, 1);
	guard_stop();          /* first: closing the journal deletes its WAL */
	perm_stop();
	capture_unmark_all();
	notify_stop();
	analyser_stop();
	respond_stop();
	massread_stop();
	smb_directory_stop();
	control_stop();
	emit_stop();
	retention_stop();
	store_writer_stop();
	sqlite3_close(D.db);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	parse_args(argc, argv, &o);
	load_config(&o);
	check_trees();
	if (o.check) {
		printf("configuration ok: %d tree(s), state dir %s\n",
		    D.cfg.nprotect, D.cfg.state_dir);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vigild: must run as root (fanotify permission "
		    "events and the vault need it)\n");
		return 2;
	}
	log_init("vigild", !o.foreground, D.cfg.log_level);
	open_journal();
	open_trees();
	if (!o.foreground && daemon(0, 0) < 0)
		fatal("daemon");
	lock_state_dir();
	D.started_ns = now_ns();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	self_register_thread("vigild", 0);
	log_start_thread();
	start_protection();
	if (D.unclean_pid > 0)
		tamper_unclean(D.unclean_pid);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);
		if (sig < 0)
			continue;
		if (sig == SIGHUP) {
			log_info("SIGHUP: configuration reload is not supported;"
			    " restart vigild to apply changes");
			continue;
		}
		log_info("signal %d: stopping (versions stay in the vault)", sig);
		tamper_signal(sig, si.si_pid, si.si_uid);
		break;
	}
	stop_protection();
	/* an empty pid file is the mark of a clean stop */
	if (ftruncate(pidfile_fd, 0) < 0)
		log_warn("vigild.pid");
	log_stop_thread();
	return 0;
}
