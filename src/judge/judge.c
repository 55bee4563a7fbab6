/*
 * judge.c - groups, indicators, score, back-pressure, incidents.
 *
 * DESIGN
 * Ransomware splits its work across threads, forked children and whole
 * process trees precisely so that no single process looks bad.  So the
 * judge scores *groups*: an actor belongs to the group of its highest
 * ancestor that runs as the same user and is not a session boundary
 * (pid 1, sshd, login, cron, systemd, su/sudo, smbd ...).  A shell script
 * that runs openssl and rm per file, or a locker that forks a child per
 * file, is one group.
 *
 * Each group collects indicators inside a sliding window (detect_window):
 * files whose content analysis says destroyed or suspect (analyse/), a
 * common new extension, ransom notes (and the same note in many folders),
 * deletions no replacement explains, breadth across folders.  The score
 * is a weighted sum, documented in vigil.conf(5); every incident lists
 * the indicators that fired, with the evidence files.  Nothing is
 * hard-wired to a family.
 *
 * Back-pressure is what keeps "files touched before containment" small
 * against a fast encryptor: an open-for-write by a group waits while the
 * group has `analysis_backlog` writes not yet analysed (1 once its score
 * is non-zero), so it can never run far ahead of the analyser.  The wait
 * is bounded by backpressure_ms and by the permission deadline; nothing
 * ever hangs on the judge.
 *
 * When the score reaches the threshold the group is frozen (contain/),
 * the incident is recorded, every open the group attempts from then on is
 * denied, and the incident callback starts recovery.
 *
 * Locking: one mutex for all groups; held only for in-memory updates,
 * never across I/O except the freeze itself (a /proc walk).
 * Must not: read file contents, touch SQLite synchronously, log
 * synchronously on the permission path.
 */
#define _GNU_SOURCE
#include "judge.h"
#include "../actor/actor.h"
#include "../actor/smb.h"
#include "../common/json.h"
#include "../common/log.h"
#include "../common/util.h"
#include "../contain/contain.h"
#include "../journal/store.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define RING 64            /* timestamps kept per indicator */
#define EVIDENCE 12
#define EXTS 16
#define NOTES 8
#define OPENW 64
#define CREATED 64
#define DIRS 64
#define MEMBERS 256
#define TOUCHED 1024
/* an open-for-write counts as unanalysed until its close-write is handled,
 * or for this long: a program that keeps a file open (a database, a log
 * writer) must not hold back its own next open for more than this */
#define OPENW_TTL_NS (500LL * 1000000LL)

struct ring {
	int64_t t[RING];
	unsigned n;        /* total pushed */
};

struct evidence {
	int64_t t;
	char path[512];
	char why[160];
};

#define RSEQ 8
struct jgroup {
	const struct actor *root;
	struct jgroup *next;
	char smb[48];        /* an SMB client's address: the group's key */
	char exe_sha256[65]; /* the root's executable, hashed after the freeze */
	char *doc;           /* the incident document last recorded */
	int64_t first_ns, last_ns;
	/* members, for freezing and for rollback */
	const struct actor *member[MEMBERS];
	int nmember;
	/* back-pressure */
	int jobs;
	int del_jobs;            /* of those: deletions of others' files */
	struct { uint64_t dev, ino; int64_t t; } openw[OPENW];
	int nopenw;
	int64_t last_write_ns;
	int64_t last_del_ns;     /* its last deletion of others' content */
	int64_t last_repl_ns;    /* its last rename over others' content */
	/* its latest renames over others' content, as read ahead of the
	 * handler: each is the notification thread's handled-event count at
	 * which it will have been handled (renames_unhandled) */
	unsigned long repl_seq[RSEQ];
	unsigned repl_next;
	int clean_repl;          /* replacements analysed clean since its
	                          * last destroyed or suspect file (atomic) */
	int64_t last_new_ns;     /* its last write-open of an empty file;
	                          * set and read without the lock */
	int gate_skip;           /* new files before the busy-share gate
	                          * applies again (lock-free) */
	/* indicators */
	struct ring destroyed, suspect, unexplained, canary, badexec;
	struct evidence ev[EVIDENCE];
	unsigned nev;
	struct { char ext[24]; int n; } ext[EXTS];
	struct { char name[96]; int ndirs; uint32_t dirh[4]; int keywords;
	    char sha256[65]; } note[NOTES];
	uint32_t dirh[DIRS];
	int ndirs;
	uint32_t touched[TOUCHED];
	int ntouched;
	char created[CREATED][256];
	unsigned ncreated;
	/* verdict */
	int score;
	uint64_t incident;
	int contained;
	int killed;          /* nothing left to release */
	struct cset frozen;
	int64_t detected_ns, contained_ns;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct config *cfg;
	struct jgroup *groups;
	uint64_t next_incident;
	incident_cb cb;
	unsigned long ngroups, nincidents;
	atomic_ulong waits, denied;
	char trusted[PATH_MAX];
	/* vigild's own ancestors (the service manager, or whatever started
	 * it): a group never extends to them, so they are never frozen */
	struct proc_id ancestors[32];
	int nancestors;
} J = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

void
judge_init(const struct config *cfg, uint64_t first_incident_id,
    incident_cb cb)
{
	J.cfg = cfg;
	J.next_incident = first_incident_id;
	J.cb = cb;
	cond_init_monotonic(&J.cv);
	J.nancestors = 0;
	pid_t p = getppid();
	while (p > 1 && J.nancestors < 32) {
		char buf[1024], comm[17];
		pid_t pp;
		uint64_t start;
		if (actor_read_proc(p, "stat", buf, sizeof buf) <= 0 ||
		    actor_parse_stat(buf, &pp, &start, comm) < 0)
			break;
		J.ancestors[J.nancestors++] = (struct proc_id){ p, start };
		p = pp;
	}
}

static int
is_vigild_ancestor(const struct actor *a)
{
	for (int i = 0; i < J.nancestors; i++)
		if (J.ancestors[i].pid == a->pid &&
		    J.ancestors[i].start == a->start)
			return 1;
	return 0;
}

/* ---- grouping ---- */

static const char *
base_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* Processes that start sessions for others: a group never extends
 * above them. */
static int
is_boundary(const struct actor *a)
{
	static const char *const names[] = { "systemd", "init", "sshd",
		"login", "cron", "crond", "atd", "su", "sudo", "runuser",
		"smbd", "tmux: server", "tmux", "screen", "agetty",
		"containerd-shim", "dockerd", "vigild", NULL };
	if (a->pid <= 1 || a->is_kernel || a->is_smbd || is_vigild_ancestor(a))
		return 1;
	const char *b = base_of(a->exe);
	for (int i = 0; names[i]; i++)
		if (strcmp(b, names[i]) == 0 || strcmp(a->comm, names[i]) == 0)
			return 1;
	return 0;
}

static const struct actor *
group_root(const struct actor *a)
{
	for (int depth = 0; depth < 64; depth++) {
		const struct actor *p = a->parent;
		if (p == NULL || is_boundary(p) || p->uid != a->uid)
			break;
		a = p;
	}
	return a;
}

static void
add_member_locked(struct jgroup *g, const struct actor *a)
{
	for (int i = 0; i < g->nmember; i++)
		if (g->member[i] == a)
			return;
	if (g->nmember < MEMBERS)
		g->member[g->nmember++] = a;
}

static struct jgroup *
group_locked(const struct actor *a)
{
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	if (g)
		return g;
	/* on a file server the actor is the client: every smbd serving one
	 * client address is one group, and no two clients share one */
	const struct actor *root = group_root(a);
	for (g = J.groups; g; g = g->next)
		if (a->smb_client[0] ? strcmp(g->smb, a->smb_client) == 0 :
		    g->root == root && g->smb[0] == '\0')
			break;
	if (g == NULL) {
		g = calloc(1, sizeof *g);
		if (g == NULL)
			return NULL;
		g->root = root;
		snprintf(g->smb, sizeof g->smb, "%s", a->smb_client);
		g->first_ns = now_ns();
		g->next = J.groups;
		J.groups = g;
		J.ngroups++;
	}
	add_member_locked(g, a);
	if (a != root)
		add_member_locked(g, root);
	atomic_store(&((struct actor *)a)->group, g);
	return g;
}

struct jgroup *
judge_group(const struct actor *a)
{
	if (a == NULL)
		return NULL;
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = group_locked(a);
	pthread_mutex_unlock(&J.mu);
	return g;
}

const struct actor *
judge_group_root(const struct actor *a)
{
	struct jgroup *g = judge_group(a);
	return g ? g->root : NULL;
}

uint64_t
judge_group_id(const struct actor *a)
{
	struct jgroup *g = judge_group(a);
	return g ? g->root->id : 0;
}

/* ---- allowlist ---- */

#define ALLOW_UNKNOWN 0
#define ALLOW_YES 1
#define ALLOW_NO 2

static int
exe_sha256(pid_t pid, char hex[65])
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[32];
	unsigned mdlen = 0;
	int rc = -1;
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1) {
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			EVP_DigestUpdate(ctx, buf, (size_t)n);
		if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 &&
		    mdlen == 32) {
			for (int i = 0; i < 32; i++)
				snprintf(hex + 2 * i, 3, "%02x", md[i]);
			rc = 0;
		}
	}
	EVP_MD_CTX_free(ctx);
	close(fd);
	return rc;
}

void
judge_trust_exe(const char *path)
{
	snprintf(J.trusted, sizeof J.trusted, "%s", path);
}

static int
allowed_uncached(const struct actor *a)
{
	const struct config *c = J.cfg;
	if (J.trusted[0] && strcmp(a->exe, J.trusted) == 0)
		return 1;
	for (int i = 0; i < c->nallow_uid; i++)
		if (a->uid == c->allow_uid[i] && a->uid != 0)
			return 1;
	for (int i = 0; i < c->nallow_exe; i++) {
		if (strcmp(a->exe, c->allow_exe[i].path) != 0)
			continue;
		if (c->allow_exe[i].sha256[0] == '\0')
			return 1;
		char hex[65];
		if (exe_sha256(a->pid, hex) == 0 &&
		    strcmp(hex, c->allow_exe[i].sha256) == 0)
			return 1;
		log_warnx("judge: %s (pid %d) is allowlisted by path but its "
		    "content does not match the configured SHA-256",
		    a->exe, (int)a->pid);
	}
	return 0;
}

int
judge_allowed(const struct actor *a)
{
	if (a == NULL || J.cfg == NULL)
		return 0;
	int v = atomic_load(&((struct actor *)a)->allow);
	if (v == ALLOW_UNKNOWN) {
		v = allowed_uncached(a) ? ALLOW_YES : ALLOW_NO;
		atomic_store(&((struct actor *)a)->allow, v);
	}
	return v == ALLOW_YES;
}

/* ---- small helpers ---- */

static void
ring_push(struct ring *r, int64_t t)
{
	r->t[r->n++ % RING] = t;
}

static int
ring_count(const struct ring *r, int64_t since)
{
	int c = 0;
	unsigned n = r->n < RING ? r->n : RING;
	for (unsigned i = 0; i < n; i++)
		if (r->t[i] >= since)
			c++;
	return c;
}

static uint32_t
hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n && s[i]; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h ? h : 1;
}

static uint32_t
dir_hash(const char *path)
{
	const char *s = strrchr(path, '/');
	return hash_str(path, s ? (size_t)(s - path) : 0);
}

static void
touch_dir(struct jgroup *g, const char *path)
{
	uint32_t h = dir_hash(path);
	for (int i = 0; i < g->ndirs; i++)
		if (g->dirh[i] == h)
			return;
	if (g->ndirs < DIRS)
		g->dirh[g->ndirs++] = h;
}

static void
touch_file(struct jgroup *g, uint32_t h)
{
	for (int i = 0; i < g->ntouched; i++)
		if (g->touched[i] == h)
			return;
	if (g->ntouched < TOUCHED)
		g->touched[g->ntouched++] = h;
}

static void
add_evidence(struct jgroup *g, const char *path, const char *why)
{
	struct evidence *e = &g->ev[g->nev++ % EVIDENCE];
	e->t = now_ns();
	snprintf(e->path, sizeof e->path, "%s", path);
	snprintf(e->why, sizeof e->why, "%s", why);
}

/* ---- the score ---- */

struct indicator {
	const char *name;
	int weight;       /* contribution to the score */
	int count;
	char detail[160];
};

#define MAX_IND 12

static int
indicators(struct jgroup *g, struct indicator *ind)
{
	int64_t since = now_ns() - (int64_t)J.cfg->detect_window * 1000000000LL;
	int n = 0, d = ring_count(&g->destroyed, since);
	if (d > 0) {
		ind[n] = (struct indicator){ "content-destroyed", 3 * d, d, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "%d file(s) whose "
		    "content was destroyed (format lost, encrypted, encoded "
		    "or replaced)", d);
		n++;
	}
	int s = ring_count(&g->suspect, since);
	if (s > 0) {
		ind[n] = (struct indicator){ "content-suspect", s > 3 ? 3 : s, s,
			"" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "%d file(s) "
		    "rewritten with random-looking content of unknown format",
		    s);
		n++;
	}
	int best = -1;
	for (int i = 0; i < EXTS; i++)
		if (g->ext[i].n >= 2 && (best < 0 || g->ext[i].n > g->ext[best].n))
			best = i;
	if (best >= 0) {
		ind[n] = (struct indicator){ "common-new-extension", 3,
			g->ext[best].n, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "%d files renamed "
		    "to the new extension \".%s\"", g->ext[best].n,
		    g->ext[best].ext);
		n++;
	}
	int c = ring_count(&g->canary, since);
	if (c > 0) {
		/* a decoy written, renamed or deleted: nobody's work does that,
		 * so it alone reaches the threshold */
		ind[n] = (struct indicator){ "decoy-touched",
			(int)J.cfg->score_threshold, c, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "%d decoy "
		    "file(s) (canaries) written, renamed or deleted", c);
		n++;
	}
	int x = ring_count(&g->badexec, since);
	if (x > 0) {
		ind[n] = (struct indicator){ "known-bad-executable",
			(int)J.cfg->score_threshold, x, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "tried to run %d "
		    "executable(s) whose SHA-256 another site reported", x);
		n++;
	}
	int kw = -1, multi = -1;
	for (int i = 0; i < NOTES; i++) {
		if (g->note[i].name[0] == '\0')
			continue;
		if (g->note[i].keywords && kw < 0)
			kw = i;
		if (g->note[i].ndirs >= 2 && multi < 0)
			multi = i;
	}
	if (kw >= 0) {
		ind[n] = (struct indicator){ "ransom-note", 3, 1, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "new text file "
		    "\"%s\" speaks of encryption and payment", g->note[kw].name);
		n++;
	}
	if (multi >= 0) {
		ind[n] = (struct indicator){ "note-in-many-folders", 2,
			g->note[multi].ndirs, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "the same file "
		    "\"%s\" dropped in %d folders", g->note[multi].name,
		    g->note[multi].ndirs);
		n++;
	}
	int u = ring_count(&g->unexplained, since);
	if (u >= 10) {
		ind[n] = (struct indicator){ "deletions", 2, u, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "%d files deleted "
		    "with no replacement that explains them", u);
		n++;
	}
	if (g->ndirs >= 5 && (d > 0 || s > 0)) {
		ind[n] = (struct indicator){ "breadth", 1, g->ndirs, "" };
		snprintf(ind[n].detail, sizeof ind[n].detail, "destructive "
		    "activity across %d folders", g->ndirs);
		n++;
	}
	return n;
}

static int
score_of(struct indicator *ind, int n)
{
	int s = 0;
	for (int i = 0; i < n; i++)
		s += ind[i].weight;
	return s;
}

/* ---- incidents ---- */

/* The SMB client as far as known now (smbstatus may not have answered
 * yet: then only the address, which is always known). */
/* The client's user: from smbstatus, else from the smbd processes
 * themselves (smbd takes the user's uid while it serves a session). */
static void
smb_user_locked(struct jgroup *g, const struct smb_session *s, int known,
    char *user, size_t len)
{
	user[0] = '\0';
	if (known && s->user[0]) {
		snprintf(user, len, "%s", s->user);
		return;
	}
	for (int i = 0; i < g->nmember; i++) {
		const struct actor *m = g->member[i];
		if (!m->is_smbd || m->uid == 0 || m->uid == (uid_t)-1)
			continue;
		struct passwd pw, *res = NULL;
		char buf[1024];
		if (getpwuid_r(m->uid, &pw, buf, sizeof buf, &res) == 0 && res) {
			snprintf(user, len, "%s", res->pw_name);
			return;
		}
	}
}

static void
smb_client_json(FILE *f, struct jgroup *g)
{
	const char *addr = g->smb;
	if (addr[0] == '\0') {
		fprintf(f, "null");
		return;
	}
	struct smb_session s;
	int known = smb_directory_by_addr(addr, &s) == 0;
	char user[64];
	smb_user_locked(g, &s, known, user, sizeof user);
	fprintf(f, "{\"address\":");
	json_str(f, addr);
	fprintf(f, ",\"user\":");
	json_str(f, user);
	fprintf(f, ",\"machine\":");
	json_str(f, known ? s.machine : "");
	fprintf(f, ",\"dialect\":");
	json_str(f, known ? s.dialect : "");
	fprintf(f, "}");
}

static void
actor_json(FILE *f, struct jgroup *g)
{
	const struct actor *r = g->root;
	fprintf(f, "{\"root_pid\":%d,\"pids\":[", (int)r->pid);
	for (int i = 0; i < g->frozen.n; i++)
		fprintf(f, "%s%d", i ? "," : "", (int)g->frozen.id[i].pid);
	fprintf(f, "],\"exe\":");
	json_str(f, r->exe);
	fprintf(f, ",\"cmdline\":");
	json_str(f, r->cmdline);
	struct passwd *pw = getpwuid(r->uid);
	fprintf(f, ",\"uid\":%u,\"user\":", (unsigned)r->uid);
	json_str(f, pw ? pw->pw_name : "");
	fprintf(f, ",\"cgroup\":");
	json_str(f, r->cgroup);
	fprintf(f, ",\"actor_id\":%llu,\"smb_client\":",
	    (unsigned long long)r->id);
	smb_client_json(f, g);
	fprintf(f, ",\"members\":[");
	for (int i = 0; i < g->nmember; i++) {
		const struct actor *m = g->member[i];
		fprintf(f, "%s{\"pid\":%d,\"exe\":", i ? "," : "", (int)m->pid);
		json_str(f, m->exe);
		fprintf(f, "}");
	}
	fprintf(f, "]}");
}

/* What another site can look for (report/stix.c makes indicators of
 * these): the new extensions, the notes (name, content hash, how many
 * folders), the executable's hash. */
static void
artifacts_json(FILE *f, struct jgroup *g)
{
	fprintf(f, "\"artifacts\":{\"exe_sha256\":");
	json_str(f, g->exe_sha256);
	fprintf(f, ",\"extensions\":[");
	int k = 0;
	for (int i = 0; i < EXTS; i++) {
		if (g->ext[i].n < 2)
			continue;
		fprintf(f, "%s{\"ext\":", k++ ? "," : "");
		json_str(f, g->ext[i].ext);
		fprintf(f, ",\"files\":%d}", g->ext[i].n);
	}
	fprintf(f, "],\"notes\":[");
	k = 0;
	for (int i = 0; i < NOTES; i++) {
		if (g->note[i].name[0] == '\0')
			continue;
		fprintf(f, "%s{\"name\":", k++ ? "," : "");
		json_str(f, g->note[i].name);
		fprintf(f, ",\"sha256\":");
		json_str(f, g->note[i].sha256);
		fprintf(f, ",\"folders\":%d,\"keywords\":%s}", g->note[i].ndirs,
		    g->note[i].keywords ? "true" : "false");
	}
	fprintf(f, "]}");
}

/* The incident document (JSON) and the member id list. */
static void
incident_record(struct jgroup *g, const char *state)
{
	struct indicator ind[MAX_IND];
	int n = indicators(g, ind);
	char *doc = NULL, *ids = NULL;
	size_t dl = 0, il = 0;
	FILE *f = open_memstream(&doc, &dl);
	FILE *fi = open_memstream(&ids, &il);
	if (f == NULL || fi == NULL) {
		if (f)
			fclose(f);
		if (fi)
			fclose(fi);
		free(doc);
		free(ids);
		return;
	}
	fprintf(f, "{\"actor\":");
	actor_json(f, g);
	fprintf(f, ",\"score\":%d,\"threshold\":%u,\"files_touched\":%d,"
	    "\"indicators\":[", score_of(ind, n), J.cfg->score_threshold,
	    g->ntouched);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s{\"name\":\"%s\",\"weight\":%d,\"count\":%d,"
		    "\"detail\":", i ? "," : "", ind[i].name, ind[i].weight,
		    ind[i].count);
		json_str(f, ind[i].detail);
		fprintf(f, "}");
	}
	fprintf(f, "],\"evidence\":[");
	unsigned ne = g->nev < EVIDENCE ? g->nev : EVIDENCE;
	for (unsigned i = 0; i < ne; i++) {
		unsigned k = (g->nev - ne + i) % EVIDENCE;
		char t[40];
		fprintf(f, "%s{\"time\":\"%s\",\"path\":", i ? "," : "",
		    format_time(g->ev[k].t, t, sizeof t));
		json_str(f, g->ev[k].path);
		fprintf(f, ",\"why\":");
		json_str(f, g->ev[k].why);
		fprintf(f, "}");
	}
	fprintf(f, "],");
	artifacts_json(f, g);
	fprintf(f, "}");
	fclose(f);
	fprintf(fi, "[");
	for (int i = 0; i < g->nmember; i++)
		fprintf(fi, "%s%llu", i ? "," : "",
		    (unsigned long long)g->member[i]->id);
	fprintf(fi, "]");
	fclose(fi);
	store_incident(g->incident, state, g->detected_ns, g->contained_ns,
	    g->first_ns, ids, doc);
	free(g->doc);
	g->doc = doc;        /* kept for judge_incident_doc */
	free(ids);
}

static void
freeze_locked(struct jgroup *g)
{
	/* never vigild's ancestors: freezing them would stop whatever runs
	 * vigild (the service manager; in tests, the test itself) */
	struct proc_id root = { g->root->pid, g->root->start };
	struct proc_id m[MEMBERS];
	int nm = 0;
	for (int i = 0; i < g->nmember; i++)
		if (!is_vigild_ancestor(g->member[i])) {
			m[nm].pid = g->member[i]->pid;
			m[nm].start = g->member[i]->start;
			nm++;
		}
	if (is_vigild_ancestor(g->root))
		root = m[0];   /* the tree of a member, or nothing */
	if (nm > 0 || !is_vigild_ancestor(g->root))
		contain_freeze(&g->frozen, root, m, nm);
	g->contained_ns = now_ns();
	/* read without the lock by a worker waiting in catch_up */
	__atomic_store_n(&g->contained, 1, __ATOMIC_RELAXED);
}

/* Called with J.mu held after any indicator changed. */
static uint64_t
evaluate_locked(struct jgroup *g)
{
	struct indicator ind[MAX_IND];
	int n = indicators(g, ind);
	g->score = score_of(ind, n);
	if (g->incident || g->score < (int)J.cfg->score_threshold)
		return 0;
	g->incident = J.next_incident++;
	J.nincidents++;
	g->detected_ns = now_ns();
	freeze_locked(g);
	pthread_cond_broadcast(&J.cv);
	if (J.cfg->kill_policy == KILL_AT_ONCE) {
		contain_kill(&g->frozen);
		g->killed = 1;
	}
	incident_record(g, "contained");
	log_crit("incident %llu: %s (pid %d, uid %u) frozen with %d "
	    "process(es): score %d >= %u after %d file(s)",
	    (unsigned long long)g->incident, g->root->exe, (int)g->root->pid,
	    (unsigned)g->root->uid, g->frozen.n, g->score,
	    J.cfg->score_threshold, g->ntouched);
	store_alert(LOG_LVL_CRIT, "incident", "incident %llu: %s (pid %d) "
	    "frozen", (unsigned long long)g->incident, g->root->exe,
	    (int)g->root->pid);
	return g->incident;
}

static void
after_update(struct jgroup *g)
{
	uint64_t inc = evaluate_locked(g);
	if (!inc && g->incident)
		incident_record(g, "contained"); /* late evidence */
	pthread_mutex_unlock(&J.mu);
	if (inc && J.cb)
		J.cb(inc);
}

/* Lock and find the group of a, or NULL if it is not judged. */
static struct jgroup *
lock_group(const struct actor *a)
{
	if (a == NULL || J.cfg == NULL || !J.cfg->detect || judge_allowed(a))
		return NULL;
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = group_locked(a);   /* adds a as a member */
	if (g == NULL) {
		pthread_mutex_unlock(&J.mu);
		return NULL;
	}
	g->last_ns = now_ns();
	return g;
}

/* ---- permission path ---- */

static int
openw_live(struct jgroup *g, int64_t now)
{
	int n = 0;
	for (int i = 0; i < g->nopenw; i++)
		if (now - g->openw[i].t < OPENW_TTL_NS)
			n++;
	return n;
}

static int
backlog_locked(struct jgroup *g, int64_t now)
{
	return g->jobs + openw_live(g, now);
}

static void
openw_add(struct jgroup *g, uint64_t dev, uint64_t ino, int64_t now)
{
	int slot = -1;
	for (int i = 0; i < g->nopenw; i++) {
		if (g->openw[i].dev == dev && g->openw[i].ino == ino) {
			g->openw[i].t = now;
			return;
		}
		if (now - g->openw[i].t >= OPENW_TTL_NS)
			slot = i;
	}
	if (slot < 0 && g->nopenw < OPENW)
		slot = g->nopenw++;
	if (slot < 0)
		slot = 0;
	g->openw[slot].dev = dev;
	g->openw[slot].ino = ino;
	g->openw[slot].t = now;
}

static void
timed_wait(int64_t until)
{
	/* re-check time limits every 5 ms */
	cond_wait_step(&J.cv, &J.mu, until, 5000000);
}

/* Must this open wait?  A group with a non-zero score waits for any
 * open while anything of it is unanalysed.  A clean group only holds back
 * opens that may destroy existing content (counted): while
 * analysis_backlog of its closed writes await analysis, or while it has
 * OPENW_CLEAN writes open at once (many threads starting together). */
#define OPENW_CLEAN 4
/* The group deleted someone else's file within the last second: its
 * next opens go to a worker, which lets the notification thread read the
 * deletion first and then waits for its analysis.  A read-then-delete
 * encryptor (write a new file, delete the original) makes no write-open
 * of existing content, so this is its only back-pressure; a benign
 * deleter waits for an analysis that reads nothing but the new file
 * beside the deleted one, if any. */
static int
deleting(const struct jgroup *g, int64_t now)
{
	return g->last_del_ns && now - g->last_del_ns < 1000000000LL;
}

/* The group renamed a file over someone else's within the last second
 * and already has a score: a save-through-a-temporary-file encryptor,
 * which makes no write-open of existing content either.  Its opens then
 * wait until the notification thread has handled (and so analysed,
 * analyser.c's replaced_inline) its earlier rename-overs.  Without a
 * score nothing waits: sed -i renames over others' files all day. */
static int
replacing(const struct jgroup *g, int64_t now)
{
	return g->score > 0 && g->last_repl_ns &&
	    now - g->last_repl_ns < 1000000000LL;
}

/* The group's renames over someone else's files that the notification
 * reader has read but the handler has not yet handled (and so not yet
 * analysed: analyser.c's replaced_inline).  From RENAMES_BEHIND of them
 * on, its opens go to a worker and wait for the handler (judge_admit),
 * with or without a score: a save-through-a-temporary-file encryptor
 * makes no write-open of existing content and no deletion, so before
 * its first verdict nothing else holds it back, and when the handler
 * ran 7 ms behind it had touched 10-14 files (docs/performance.md).
 * A group whose replacements keep being analysed clean (sed -i, an
 * editor saving) earns a longer lead, one more rename per CLEAN_CREDIT
 * clean ones, up to RENAMES_BEHIND_MAX; any destroyed or suspect file
 * takes the credit away.  At a lead of 2, sed -i over 10,000 files
 * waited for the handler 370-480 times; at 4, 130-200 times. */
#define RENAMES_BEHIND 2
#define RENAMES_BEHIND_MAX 6
#define CLEAN_CREDIT 16
static unsigned long (*handled_fn)(void);

void
judge_on_handled(unsigned long (*fn)(void))
{
	handled_fn = fn;
}

static int
renames_unhandled(const struct jgroup *g)
{
	if (handled_fn == NULL)
		return 0;
	unsigned long h = handled_fn();
	int n = 0;
	for (int i = 0; i < RSEQ; i++)
		if (__atomic_load_n(&g->repl_seq[i], __ATOMIC_RELAXED) > h)
			n++;
	return n;
}

static int
renames_behind(const struct jgroup *g)
{
	int lead = RENAMES_BEHIND +
	    __atomic_load_n(&g->clean_repl, __ATOMIC_RELAXED) / CLEAN_CREDIT;
	if (lead > RENAMES_BEHIND_MAX)
		lead = RENAMES_BEHIND_MAX;
	return renames_unhandled(g) >= lead;
}

void
judge_clean_replacement(const struct actor *a)
{
	if (a == NULL)
		return;
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	if (g != NULL && __atomic_load_n(&g->clean_repl, __ATOMIC_RELAXED) <
	    RENAMES_BEHIND_MAX * CLEAN_CREDIT)
		__atomic_fetch_add(&g->clean_repl, 1, __ATOMIC_RELAXED);
}

/* The group wrote a new (empty) file within the last second, as a
 * write-new-then-delete encryptor does for every file it destroys.  Its
 * deletions reach deleting() when the notification reader reads them
 * (judge_deletion_read), which it does as soon as they are queued, ahead
 * of the handler.  Should the reader itself fall behind (more than a few
 * files' events unread in the kernel queue: a starved CPU), such an
 * encryptor would run free until it catches up, so then a creating
 * group's opens of existing files wait until the queue has been read
 * (judge_admit's `behind`: the busy-share gate).  A group found with no
 * deletion after such a wait skips the gate for its next GATE_SKIP new
 * files, so that sed -i waits once every few files at most.
 * History: before the reader read ahead, deletions were seen only when
 * the handler got to them; on a busy share this encryptor did 49 files
 * in 57 ms, and the gate, then keyed to the handler's backlog, cost
 * sed -i 24-32% (docs/performance.md). */
#define GATE_SKIP 3
static int
creating(const struct jgroup *g, int64_t now)
{
	int64_t t = __atomic_load_n(&g->last_new_ns, __ATOMIC_RELAXED);
	return t && now - t < 1000000000LL;
}

void
judge_new_file(const struct actor *a)
{
	if (a == NULL)
		return;
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	if (g == NULL)
		return;
	__atomic_store_n(&g->last_new_ns, mono_ns(), __ATOMIC_RELAXED);
	if (__atomic_load_n(&g->gate_skip, __ATOMIC_RELAXED) > 0)
		__atomic_fetch_sub(&g->gate_skip, 1, __ATOMIC_RELAXED);
}

int
judge_creating(const struct actor *a)
{
	if (a == NULL || J.cfg == NULL || !J.cfg->detect)
		return 0;
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	return g != NULL && !g->contained && creating(g, mono_ns()) &&
	    __atomic_load_n(&g->gate_skip, __ATOMIC_RELAXED) <= 0;
}

static int
must_wait_locked(struct jgroup *g, int counted, int64_t now)
{
	if (g->del_jobs > 0)
		return 1;
	if (g->score > 0)
		return backlog_locked(g, now) >= 1;
	return counted && (g->jobs >= (int)J.cfg->analysis_backlog ||
	    openw_live(g, now) >= OPENW_CLEAN);
}

/* opens waiting in judge_admit now, over all groups (judge_urgent) */
static atomic_int admit_waiting;
/* called (without the judge's lock) when an open starts waiting for
 * analysis: the analysers stop lingering (analyser.c) */
static void (*wait_hook)(void);

void
judge_on_wait(void (*fn)(void))
{
	wait_hook = fn;
}

int
judge_urgent(const struct actor *a)
{
	if (atomic_load(&admit_waiting) > 0)
		return 1;
	if (a == NULL)
		return 0;
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	/* an unlocked read: a stale answer only sets a thread's priority */
	return g != NULL && (g->score > 0 || g->del_jobs > 0);
}

/* Must the open first wait for the notification thread?  *gated: only
 * for the queue to be read (the busy-share gate); handled: for the
 * group's queued events to be handled.  J.mu held. */
static void
admit_needs(struct jgroup *g, int counted, int behind, int *gated,
    int *handled)
{
	int64_t now = mono_ns();
	int recent = g->last_write_ns && now - g->last_write_ns < 1000000000LL;
	*gated = behind && creating(g, now) &&
	    __atomic_load_n(&g->gate_skip, __ATOMIC_RELAXED) <= 0;
	*handled = (recent && (counted || g->score > 0)) || deleting(g, now) ||
	    replacing(g, now) || renames_behind(g);
}

/* The decision once nothing is left to wait for, and its bookkeeping.
 * J.mu held. */
static enum admit
admit_locked(struct jgroup *g, int counted, int gated, uint64_t dev,
    uint64_t ino)
{
	if (gated && !deleting(g, mono_ns()) && g->del_jobs == 0 &&
	    renames_unhandled(g) == 0)
		__atomic_store_n(&g->gate_skip, GATE_SKIP, __ATOMIC_RELAXED);
	enum admit r = g->contained ? ADMIT_DENY : ADMIT_ALLOW;
	if (r == ADMIT_ALLOW && counted) {
		g->last_write_ns = mono_ns();
		openw_add(g, dev, ino, g->last_write_ns);
		touch_file(g, (uint32_t)(ino * 2654435761u) ^ (uint32_t)dev);
	}
	return r;
}

enum admit
judge_admit_now(const struct actor *a, int counted, int behind,
    uint64_t dev, uint64_t ino, unsigned long (*backlog)(void))
{
	/* the allowlist's first look at an actor may hash its executable
	 * (allow_exe with a sha256): a worker's job, not the reader's */
	if (a != NULL && atomic_load(&((struct actor *)a)->allow) ==
	    ALLOW_UNKNOWN)
		return ADMIT_WAIT;
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return ADMIT_ALLOW;
	int gated, handled;
	admit_needs(g, counted, behind, &gated, &handled);
	/* judge_admit would wait (or deny, which a worker records) */
	enum admit r = ADMIT_WAIT;
	if (!g->contained && (!(handled || gated) || backlog() == 0) &&
	    !must_wait_locked(g, counted, mono_ns()))
		r = admit_locked(g, counted, gated, dev, ino);
	pthread_mutex_unlock(&J.mu);
	return r;
}

enum admit
judge_admit(const struct actor *a, int counted, int behind, uint64_t dev,
    uint64_t ino, int64_t deadline_ns,
    void (*catch_up)(int64_t, const int *, int))
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return ADMIT_ALLOW;
	int64_t bp = (int64_t)J.cfg->backpressure_ms * 1000000LL;
	int64_t until = mono_ns() + bp;
	if (until > deadline_ns)
		until = deadline_ns;
	int gated, handled;
	admit_needs(g, counted, behind, &gated, &handled);
	if (!g->contained && catch_up && (handled || gated)) {
		/* a close-write or deletion of this group may still sit in
		 * the notification queue: let the notify thread handle it
		 * first.  The gate only needs the queue read, unless that
		 * finds a deletion (deleting()): then it is handled too, and
		 * its analysis waited for below */
		pthread_mutex_unlock(&J.mu);
		atomic_fetch_add(&admit_waiting, 1);
		catch_up(until, &g->contained, !handled);
		if (!handled && (deleting(g, mono_ns()) ||
		    renames_behind(g)))
			catch_up(until, &g->contained, 0);
		atomic_fetch_sub(&admit_waiting, 1);
		pthread_mutex_lock(&J.mu);
	}
	int waited = 0;
	while (!g->contained && mono_ns() < until &&
	    must_wait_locked(g, counted, mono_ns())) {
		if (!waited) {
			atomic_fetch_add(&admit_waiting, 1);
			if (wait_hook) {
				pthread_mutex_unlock(&J.mu);
				wait_hook();
				pthread_mutex_lock(&J.mu);
				waited = 1;
				continue;   /* look again: the lock was let go */
			}
		}
		waited = 1;
		timed_wait(until);
	}
	if (waited) {
		atomic_fetch_sub(&admit_waiting, 1);
		atomic_fetch_add(&J.waits, 1);
	}
	enum admit r = admit_locked(g, counted, gated, dev, ino);
	pthread_mutex_unlock(&J.mu);
	if (r == ADMIT_DENY)
		atomic_fetch_add(&J.denied, 1);
	return r;
}

int
judge_needs_worker(const struct actor *a)
{
	if (a == NULL)
		return 0;
	struct jgroup *g = atomic_load(&((struct actor *)a)->group);
	if (g == NULL)
		return 0;
	/* unlocked reads: a stale answer only moves an open between the
	 * fast path and a worker, both of which are correct */
	return g->contained || (g->score > 0 && g->jobs > 0) ||
	    deleting(g, mono_ns()) || replacing(g, mono_ns()) ||
	    renames_behind(g);
}

/* ---- notification / analysis path ---- */

void
judge_closed(const struct actor *a, uint64_t dev, uint64_t ino)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	for (int i = 0; i < g->nopenw; i++)
		if (g->openw[i].dev == dev && g->openw[i].ino == ino)
			g->openw[i] = g->openw[--g->nopenw];
	pthread_cond_broadcast(&J.cv);
	pthread_mutex_unlock(&J.mu);
}

void
judge_job_added(const struct actor *a, int deletion)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	g->jobs++;
	if (deletion) {
		g->del_jobs++;
		g->last_del_ns = mono_ns();
	}
	pthread_mutex_unlock(&J.mu);
}

void
judge_replaced(const struct actor *a)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	g->last_repl_ns = mono_ns();
	pthread_mutex_unlock(&J.mu);
}

void
judge_rename_read(const struct actor *a, unsigned long handled_at)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	__atomic_store_n(&g->repl_seq[g->repl_next++ % RSEQ], handled_at,
	    __ATOMIC_RELAXED);
	pthread_mutex_unlock(&J.mu);
}

void
judge_deletion_read(const struct actor *a)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	g->last_del_ns = mono_ns();
	pthread_mutex_unlock(&J.mu);
}

void
judge_job_done(const struct actor *a, int deletion)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	if (g->jobs > 0)
		g->jobs--;
	if (deletion && g->del_jobs > 0)
		g->del_jobs--;
	pthread_cond_broadcast(&J.cv);
	pthread_mutex_unlock(&J.mu);
}

void
judge_file(const struct actor *a, const char *path, const struct analysis *an)
{
	if (an->verdict == V_CLEAN)
		return;
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	int64_t t = now_ns();
	__atomic_store_n(&g->clean_repl, 0, __ATOMIC_RELAXED);
	touch_dir(g, path);
	if (an->reasons & R_REPLACED)   /* in-place writes count at open */
		touch_file(g, hash_str(path, strlen(path)));
	if (an->verdict == V_DESTROYED)
		ring_push(&g->destroyed, t);
	else
		ring_push(&g->suspect, t);
	add_evidence(g, path, an->why);
	after_update(g);
}

void
judge_delete_unexplained(const struct actor *a, const char *path)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	ring_push(&g->unexplained, now_ns());
	touch_dir(g, path);
	after_update(g);
}

/* Extensions that benign tools add or change all the time. */
static int
benign_ext(const char *e)
{
	static const char *const known[] = { "gz", "zst", "xz", "bz2", "lz4",
		"lzma", "7z", "zip", "tar", "tgz", "gpg", "pgp", "asc", "sig",
		"enc", "bak", "old", "orig", "tmp", "temp", "part", "partial",
		"swp", "new", "lock", "save", "backup", "rej", "dcm", "pdf",
		"jpg", "jpeg", "png", "tif", "tiff", "txt", "csv", "log",
		"crdownload", "download", "filepart", NULL };
	if (e[strspn(e, "0123456789")] == '\0')
		return 1;   /* log.1, log.2: rotation */
	if (strncmp(e, "dpkg-", 5) == 0 || strncmp(e, "ucf-", 4) == 0)
		return 1;
	for (int i = 0; known[i]; i++)
		if (strcasecmp(e, known[i]) == 0)
			return 1;
	return 0;
}

int
judge_new_extension(const char *ob, const char *nb, char *ext, size_t extlen)
{
	size_t ol = strlen(ob), nl = strlen(nb);
	const char *e = NULL;
	if (nl > ol + 1 && strncmp(nb, ob, ol) == 0 && nb[ol] == '.') {
		e = nb + ol + 1;                 /* x.pdf -> x.pdf.locked */
	} else {
		const char *od = strrchr(ob, '.'), *nd = strrchr(nb, '.');
		size_t os = od ? (size_t)(od - ob) : ol;
		size_t ns = nd ? (size_t)(nd - nb) : nl;
		if (nd && os == ns && strncmp(ob, nb, os) == 0 &&
		    (!od || strcmp(od, nd) != 0))
			e = nd + 1;              /* x.pdf -> x.locked */
	}
	if (e == NULL || *e == '\0' || strlen(e) >= extlen || strchr(e, '/') ||
	    benign_ext(e))
		return 0;
	snprintf(ext, extlen, "%s", e);
	return 1;
}

void
judge_rename(const struct actor *a, const char *oldp, const char *newp)
{
	char ext[24];
	int counted = judge_new_extension(base_of(oldp), base_of(newp), ext,
	    sizeof ext);
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	/* a created file that moved: follow it for replacement pairing */
	for (int i = 0; i < CREATED; i++)
		if (strcmp(g->created[i], oldp) == 0)
			snprintf(g->created[i], sizeof g->created[i], "%s", newp);
	if (!counted) {
		pthread_mutex_unlock(&J.mu);
		return;
	}
	int slot = -1;
	for (int i = 0; i < EXTS; i++) {
		if (strcmp(g->ext[i].ext, ext) == 0) {
			slot = i;
			break;
		}
		if (slot < 0 && g->ext[i].ext[0] == '\0')
			slot = i;
	}
	if (slot >= 0) {
		if (g->ext[slot].ext[0] == '\0')
			snprintf(g->ext[slot].ext, sizeof g->ext[slot].ext, "%s",
			    ext);
		g->ext[slot].n++;
	}
	after_update(g);
}

void
judge_created(const struct actor *a, const char *path)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	snprintf(g->created[g->ncreated++ % CREATED], sizeof g->created[0],
	    "%s", path);
	pthread_mutex_unlock(&J.mu);
}

int
judge_find_replacement(const struct actor *a, const char *deleted, char *out,
    size_t outlen)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return -1;
	const char *db = base_of(deleted);
	size_t dirlen = (size_t)(db - deleted);
	const char *dot = strrchr(db, '.');
	size_t stem = dot && dot != db ? (size_t)(dot - db) : strlen(db);
	int rc = -1;
	for (unsigned k = 0; k < CREATED && rc < 0; k++) {
		/* newest first */
		const char *c = g->created[(g->ncreated + CREATED - 1 - k) %
		    CREATED];
		if (c[0] == '\0' || strncmp(c, deleted, dirlen) != 0 ||
		    strchr(c + dirlen, '/') != NULL)
			continue;
		const char *cb = c + dirlen;
		size_t dl = strlen(db);
		if ((strncmp(cb, db, dl) == 0 && cb[dl] == '.') ||
		    (strncmp(cb, db, stem) == 0 && cb[stem] == '.' &&
		    strcmp(cb, db) != 0)) {
			snprintf(out, outlen, "%s", c);
			rc = 0;
		}
	}
	pthread_mutex_unlock(&J.mu);
	return rc;
}

/* A note is written for a person to open: a file a double-click shows
 * (text, a web page, an HTML application, rich text). */
static int
note_ext(const char *dot)
{
	static const char *const exts[] = { "txt", "html", "htm", "hta", "rtf",
		NULL };
	for (int i = 0; exts[i]; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}

int
judge_note_candidate(const char *b)
{
	const char *dot = strrchr(b, '.');
	/* no extension ("README"), or one a note is opened with */
	return dot == NULL || dot == b || dot[1] == '\0' || note_ext(dot);
}

int
judge_note_name(const char *b)
{
	static const char *const words[] = { "readme", "read_me", "read-me",
		"decrypt", "recover", "restore", "how_to", "how to", "how-to",
		"instruction", "ransom", "news_for", "unlock", "help_", NULL };
	const char *dot = strrchr(b, '.');
	if (dot == NULL || !note_ext(dot))
		return 0;
	char low[256];
	size_t n = strlen(b) < sizeof low - 1 ? strlen(b) : sizeof low - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)b[i]);
	low[n] = '\0';
	for (int i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			return 1;
	return 0;
}

int
judge_note_keywords(const char *buf, size_t len)
{
	static const char *const words[] = { "encrypt", "decrypt", "bitcoin",
		"btc", "monero", ".onion", "tor browser", "ransom", "private key",
		"your files", "your data", "recover", "payment", "pay ",
		"leak", NULL };
	char low[4097];
	size_t n = len < sizeof low - 1 ? len : sizeof low - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = buf[i] ? (char)tolower((unsigned char)buf[i]) : ' ';
	low[n] = '\0';
	int hits = 0;
	for (int i = 0; words[i]; i++)
		if (strstr(low, words[i]))
			hits++;
	return hits >= 3;
}

void
judge_note(const struct actor *a, const char *path, int has_keywords,
    const char *sha256)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return;
	const char *b = base_of(path);
	uint32_t dh = dir_hash(path);
	int slot = -1;
	for (int i = 0; i < NOTES; i++) {
		if (strcmp(g->note[i].name, b) == 0) {
			slot = i;
			break;
		}
		if (slot < 0 && g->note[i].name[0] == '\0')
			slot = i;
	}
	if (slot < 0) {
		pthread_mutex_unlock(&J.mu);
		return;
	}
	if (g->note[slot].name[0] == '\0')
		snprintf(g->note[slot].name, sizeof g->note[slot].name, "%s", b);
	int seen = 0;
	for (int i = 0; i < g->note[slot].ndirs && i < 4; i++)
		if (g->note[slot].dirh[i] == dh)
			seen = 1;
	if (!seen) {
		if (g->note[slot].ndirs < 4)
			g->note[slot].dirh[g->note[slot].ndirs] = dh;
		g->note[slot].ndirs++;
	}
	if (has_keywords)
		g->note[slot].keywords = 1;
	if (sha256 && g->note[slot].sha256[0] == '\0')
		snprintf(g->note[slot].sha256, sizeof g->note[slot].sha256, "%s",
		    sha256);
	if (has_keywords)
		add_evidence(g, path, "ransom note");
	after_update(g);
}

/* An indicator that alone reaches the threshold (a decoy touched, a
 * known-bad executable): the group is contained now.  1 if contained. */
static int
flag(const struct actor *a, const char *path, int badexec, const char *why)
{
	struct jgroup *g = lock_group(a);
	if (g == NULL)
		return 0;
	add_evidence(g, path, why);
	ring_push(badexec ? &g->badexec : &g->canary, now_ns());
	int contained = 0;
	uint64_t inc = evaluate_locked(g);
	contained = g->contained;
	if (!inc && g->incident)
		incident_record(g, "contained");
	pthread_mutex_unlock(&J.mu);
	if (inc && J.cb)
		J.cb(inc);
	return contained;
}

int
judge_canary(const struct actor *a, const char *path, const char *what)
{
	char why[160];
	snprintf(why, sizeof why, "decoy file %s", what);
	return flag(a, path, 0, why);
}

int
judge_exec_denied(const struct actor *a, const char *path, const char *sha)
{
	char why[160];
	snprintf(why, sizeof why, "known-bad executable %.64s denied", sha);
	return flag(a, path, 1, why);
}

/* ---- incident handling ---- */

static struct jgroup *
by_incident_locked(uint64_t id)
{
	for (struct jgroup *g = J.groups; g; g = g->next)
		if (g->incident == id)
			return g;
	return NULL;
}

int
judge_release(uint64_t id)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	/* killed processes cannot resume; an SMB client (its smbd ended)
	 * can still be let back in */
	if (g && g->killed && g->smb[0] == '\0')
		g = NULL;
	if (g) {
		if (!g->killed)
			contain_release(&g->frozen);
		g->killed = 0;
		/* a released group starts over: a false alarm is forgiven */
		g->contained = 0;
		memset(&g->destroyed, 0, sizeof g->destroyed);
		memset(&g->suspect, 0, sizeof g->suspect);
		memset(&g->unexplained, 0, sizeof g->unexplained);
		memset(g->ext, 0, sizeof g->ext);
		memset(g->note, 0, sizeof g->note);
		g->score = 0;
		g->incident = 0;
		pthread_cond_broadcast(&J.cv);
	}
	pthread_mutex_unlock(&J.mu);
	return g ? 0 : -1;
}

int
judge_kill(uint64_t id)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	if (g && g->killed)
		g = NULL;
	if (g) {
		contain_kill(&g->frozen);
		g->killed = 1;
	}
	pthread_mutex_unlock(&J.mu);
	return g ? 0 : -1;
}

void
judge_each_group_reads(void (*cb)(const void *group, const struct actor *root,
    unsigned long reads, void *arg), void *arg)
{
	pthread_mutex_lock(&J.mu);
	for (struct jgroup *g = J.groups; g; g = g->next) {
		unsigned long sum = 0;
		for (int i = 0; i < g->nmember; i++)
			sum += atomic_load(&((struct actor *)g->member[i])->reads);
		cb(g, g->root, sum, arg);   /* must not block or call back */
	}
	pthread_mutex_unlock(&J.mu);
}

int
judge_incident_client(uint64_t id, char *addr, size_t len, char *user,
    size_t ulen)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	int rc = g && g->smb[0] ? 0 : -1;
	if (rc == 0) {
		snprintf(addr, len, "%s", g->smb);
		struct smb_session s;
		int known = smb_directory_by_addr(addr, &s) == 0;
		smb_user_locked(g, &s, known, user, ulen);
	}
	pthread_mutex_unlock(&J.mu);
	return rc;
}

void
judge_incident_hash_exe(uint64_t id)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	pid_t pid = g && !g->killed && g->smb[0] == '\0' ? g->root->pid : 0;
	uint64_t start = pid ? g->root->start : 0;
	pthread_mutex_unlock(&J.mu);
	char hex[65];
	/* hashed without the lock (it reads the whole executable); the
	 * start time check makes sure the pid was still the frozen root */
	if (pid == 0 || exe_sha256(pid, hex) < 0 ||
	    contain_start_time(pid) != start)
		return;
	pthread_mutex_lock(&J.mu);
	g = by_incident_locked(id);
	if (g) {
		snprintf(g->exe_sha256, sizeof g->exe_sha256, "%s", hex);
		incident_record(g, "contained");
	}
	pthread_mutex_unlock(&J.mu);
}

char *
judge_incident_doc(uint64_t id)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	char *d = g && g->doc ? strdup(g->doc) : NULL;
	pthread_mutex_unlock(&J.mu);
	return d;
}

void
judge_incident_update(uint64_t id)
{
	pthread_mutex_lock(&J.mu);
	struct jgroup *g = by_incident_locked(id);
	if (g)
		incident_record(g, "contained");
	pthread_mutex_unlock(&J.mu);
}

void
judge_counters(unsigned long *groups, unsigned long *incidents,
    unsigned long *waits, unsigned long *denied)
{
	pthread_mutex_lock(&J.mu);
	*groups = J.ngroups;
	*incidents = J.nincidents;
	pthread_mutex_unlock(&J.mu);
	*waits = atomic_load(&J.waits);
	*denied = atomic_load(&J.denied);
}
