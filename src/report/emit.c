/*
 * emit.c - incidents out of the daemon, as they happen (see emit.h).
 *
 * DESIGN
 * Security teams watch a SIEM, not vigil.  Each incident state change
 * (contained, SMB client banned, rolled back, released, killed) becomes
 * one event in the Elastic Common Schema, written as one line to
 * STATE_DIR/events.json (Wazuh's and Filebeat's JSON log inputs read it
 * as it is) and sent as an RFC 5424 syslog message with structured data
 * to the local syslog socket and, if configured, to a remote collector
 * over TCP (RFC 6587 octet counting), and, if configured, POSTed as JSON
 * to a webhook (HTTPS, libcurl) by a thread of its own that retries with
 * back-off (1, 2, 4 ... 60 s).  Callers (the respond and control threads)
 * only queue; the I/O happens on these two threads, so a stuck collector,
 * an unreachable webhook or a full disk never reaches containment.
 * Must not: block a caller, or hold the queue lock during I/O.
 */
#define _GNU_SOURCE
#include "emit.h"
#include "../common/config.h"
#include "../common/log.h"
#include "../common/util.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define QUEUE 256
#define SEND_TIMEOUT_MS 2000
#define ECS_VERSION "8.11.0"
/* the Private Enterprise Number reserved for documentation (RFC 5612):
 * vigil has none of its own; collectors key on the SD-ID as a string */
#define SD_ID "vigil@32473"

struct item {
	uint64_t id;
	char action[32];
	char *doc;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item q[QUEUE];
	unsigned head, tail;
	int running, stop;
	pthread_t th;
	atomic_ulong dropped;
	int events_fd;                 /* STATE_DIR/events.json, or -1 */
	int log_fd;                    /* unix datagram to syslog_socket */
	char log_path[108];
	char remote[300];              /* host:port, or "" */
	int remote_fd;
	int remote_tls;                /* syslog_tls: TLS over that fd */
	char remote_ca[PATH_MAX];
	SSL_CTX *tls_ctx;
	SSL *tls;
	char host[256];
	/* the webhook: its own queue and thread, retries with back-off */
	struct {
		pthread_t th;
		int running;
		char *q[QUEUE];
		unsigned head, tail;
		char url[1024], ca[PATH_MAX];
		unsigned retries;
	} wh;
} E = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER,
	.events_fd = -1, .log_fd = -1, .remote_fd = -1 };

/* ---- the documents ---- */

static json_t *
jget(json_t *o, const char *path)
{
	/* "actor.smb_client.address" */
	char k[64];
	const char *p = path;
	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof k)
			return NULL;
		memcpy(k, p, n);
		k[n] = '\0';
		o = json_object_get(o, k);
		p = dot ? dot + 1 : p + n;
	}
	return o;
}

static const char *
jstr(json_t *o, const char *path)
{
	const char *s = json_string_value(jget(o, path));
	return s ? s : "";
}

static const char *
verb(const char *action)
{
	if (strcmp(action, "contained") == 0)
		return "ransomware-contained";
	if (strcmp(action, "smb-client-banned") == 0)
		return "smb-client-banned";
	if (strcmp(action, "rolled-back") == 0)
		return "ransomware-rolled-back";
	if (strcmp(action, "released") == 0)
		return "incident-released";
	if (strcmp(action, "canary") == 0)
		return "decoy-opened";
	if (strcmp(action, "mass-read") == 0)
		return "mass-read";
	if (strcmp(action, "exec-denied") == 0)
		return "known-bad-executable-denied";
	if (strcmp(action, "tamper") == 0)
		return "tamper";
	return "attacker-killed";
}

static void
message(char *m, size_t len, uint64_t id, const char *action, json_t *d)
{
	const char *addr = jstr(d, "actor.smb_client.address");
	if (addr[0])
		snprintf(m, len, "vigil incident %llu %s: SMB client %s (user "
		    "%s), %lld file(s) touched", (unsigned long long)id, action,
		    addr, jstr(d, "actor.smb_client.user"),
		    (long long)json_integer_value(jget(d, "files_touched")));
	else
		snprintf(m, len, "vigil incident %llu %s: %s (pid %lld, user "
		    "%s), %lld file(s) touched", (unsigned long long)id, action,
		    jstr(d, "actor.exe"),
		    (long long)json_integer_value(jget(d, "actor.root_pid")),
		    jstr(d, "actor.user"),
		    (long long)json_integer_value(jget(d, "files_touched")));
}

char *
emit_ecs(uint64_t id, const char *action, const char *doc, const char *host,
    int64_t now)
{
	json_t *d = doc ? json_loads(doc, 0, NULL) : NULL;
	char ts[40], idstr[32], msg[1024];
	format_time(now, ts, sizeof ts);
	snprintf(idstr, sizeof idstr, "%llu", (unsigned long long)id);
	message(msg, sizeof msg, id, action, d);
	const char *exe = jstr(d, "actor.exe");
	const char *base = strrchr(exe, '/');
	int contained = strcmp(action, "contained") == 0;
	json_t *e = json_pack("{s:s, s:{s:s}, s:s, s:{s:s, s:[s,s,s], s:[s], "
	    "s:s, s:s, s:s, s:s, s:s, s:i}, s:{s:s, s:s}, s:{s:s, s:s}, "
	    "s:{s:s, s:{s:[s], s:[s], s:[s]}, s:{s:[s], s:[s]}}}",
	    "@timestamp", ts,
	    "ecs", "version", ECS_VERSION,
	    "message", msg,
	    "event", "kind", "alert", "category", "malware", "file",
	    "intrusion_detection", "type", contained ? "denied" : "info",
	    "action", verb(action), "outcome", "success", "module", "vigil",
	    "dataset", "vigil.incident", "id", idstr, "severity",
	    contained ? 9 : 5,
	    "rule", "name", "vigil ransomware score", "category", "ransomware",
	    "host", "hostname", host, "name", host,
	    "threat", "framework", "MITRE ATT&CK", "technique", "id", "T1486",
	    "name", "Data Encrypted for Impact", "reference",
	    "https://attack.mitre.org/techniques/T1486/", "tactic", "id",
	    "TA0040", "name", "Impact");
	if (e == NULL) {
		json_decref(d);
		return NULL;
	}
	json_t *a = jget(d, "actor");
	if (json_is_object(a)) {
		json_object_set_new(e, "process", json_pack("{s:I, s:s, s:s, "
		    "s:s}", "pid", (json_int_t)json_integer_value(json_object_get(
		    a, "root_pid")), "executable", exe, "name", base ? base + 1 :
		    exe, "command_line", jstr(a, "cmdline")));
		char uid[32];
		snprintf(uid, sizeof uid, "%lld", (long long)json_integer_value(
		    json_object_get(a, "uid")));
		json_object_set_new(e, "user", json_pack("{s:s, s:s}", "id", uid,
		    "name", jstr(a, "user")));
	}
	json_t *smb = jget(d, "actor.smb_client");
	if (json_is_object(smb)) {
		json_object_set_new(e, "source", json_pack("{s:s, s:{s:s}}",
		    "ip", jstr(smb, "address"), "user", "name", jstr(smb, "user")));
		json_object_set_new(e, "client", json_pack("{s:s, s:{s:s}}",
		    "ip", jstr(smb, "address"), "user", "name", jstr(smb, "user")));
	}
	json_t *ev0 = json_array_get(jget(d, "evidence"), 0);
	if (json_is_object(ev0))
		json_object_set_new(e, "file", json_pack("{s:s}", "path",
		    jstr(ev0, "path")));
	json_t *v = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "action",
	    action, "state", action);
	if (v && json_is_object(d)) {
		static const char *const keep[] = { "score", "threshold",
			"files_touched", "indicators", "evidence", "artifacts",
			NULL };
		for (int i = 0; keep[i]; i++) {
			json_t *x = json_object_get(d, keep[i]);
			if (x)
				json_object_set(v, keep[i], x);
		}
	}
	json_object_set_new(e, "vigil", json_pack("{s:o}", "incident", v));
	char *out = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(e);
	json_decref(d);
	return out;
}

/* An SD-PARAM value: '"', '\' and ']' escaped (RFC 5424 6.3.3). */
static size_t
sd_value(char *out, size_t len, const char *s)
{
	size_t k = 0;
	for (; *s && k + 3 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20)
			continue;
		if (c == '"' || c == '\\' || c == ']')
			out[k++] = '\\';
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return k;
}

int
emit_syslog_line(char *out, size_t len, uint64_t id, const char *action,
    const char *doc, const char *host, int pid, int64_t now)
{
	json_t *d = doc ? json_loads(doc, 0, NULL) : NULL;
	char ts[40], msg[1024], exe[600], addr[120], user[200], h[256];
	format_time(now, ts, sizeof ts);
	message(msg, sizeof msg, id, action, d);
	sd_value(exe, sizeof exe, jstr(d, "actor.exe"));
	sd_value(addr, sizeof addr, jstr(d, "actor.smb_client.address"));
	sd_value(user, sizeof user, jstr(d, "actor.smb_client.user")[0] ?
	    jstr(d, "actor.smb_client.user") : jstr(d, "actor.user"));
	/* HOSTNAME: printable ASCII without spaces, else "-" */
	snprintf(h, sizeof h, "%s", host[0] ? host : "-");
	for (char *c = h; *c; c++)
		if (*c <= 32 || *c >= 127)
			*c = '_';
	/* crit for containment and warnings, notice otherwise */
	int sev = strcmp(action, "contained") == 0 || id == 0 ? 2 : 5;
	int n = snprintf(out, len, "<%d>1 %s %s vigild %d incident [" SD_ID
	    " incident=\"%llu\" action=\"%s\" technique=\"T1486\" files=\"%lld\""
	    " exe=\"%s\" user=\"%s\"%s%s%s] %s", 3 * 8 + sev, ts, h, pid,
	    (unsigned long long)id, action,
	    (long long)json_integer_value(jget(d, "files_touched")), exe, user,
	    addr[0] ? " client=\"" : "", addr, addr[0] ? "\"" : "", msg);
	json_decref(d);
	return n > 0 && (size_t)n < len ? n : -1;
}

/* ---- sending ---- */

static void
write_events_file(const char *line)
{
	if (E.events_fd < 0 || line == NULL)
		return;
	size_t n = strlen(line);
	char *b = malloc(n + 1);
	if (b == NULL)
		return;
	memcpy(b, line, n);
	b[n] = '\n';
	if (write_full(E.events_fd, b, n + 1) < 0)
		log_warn("events: %s/events.json", "write");
	free(b);
}

static void
send_local(const char *line)
{
	if (E.log_path[0] == '\0')
		return;
	if (E.log_fd < 0) {
		E.log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", E.log_path);
		if (E.log_fd >= 0 && connect(E.log_fd, (struct sockaddr *)&sa,
		    sizeof sa) < 0) {
			close(E.log_fd);
			E.log_fd = -1;
			return;
		}
	}
	/* never waits: a full syslog socket loses this line, not time */
	if (E.log_fd >= 0 && send(E.log_fd, line, strlen(line), MSG_DONTWAIT |
	    MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
		close(E.log_fd);
		E.log_fd = -1;
	}
}

/* TLS on a connected fd, the server's certificate verified against
 * syslog_ca (or the system's CAs) and its name or address. */
static int
start_tls(int fd, const char *host)
{
	if (E.tls_ctx == NULL) {
		E.tls_ctx = SSL_CTX_new(TLS_client_method());
		if (E.tls_ctx == NULL)
			return -1;
		SSL_CTX_set_min_proto_version(E.tls_ctx, TLS1_2_VERSION);
		SSL_CTX_set_verify(E.tls_ctx, SSL_VERIFY_PEER, NULL);
		if ((E.remote_ca[0] ? SSL_CTX_load_verify_locations(E.tls_ctx,
		    E.remote_ca, NULL) : SSL_CTX_set_default_verify_paths(
		    E.tls_ctx)) != 1) {
			log_warnx("events: syslog TLS: cannot load CA %s",
			    E.remote_ca[0] ? E.remote_ca : "(system)");
			SSL_CTX_free(E.tls_ctx);
			E.tls_ctx = NULL;
			return -1;
		}
	}
	E.tls = SSL_new(E.tls_ctx);
	if (E.tls == NULL)
		return -1;
	X509_VERIFY_PARAM *vp = SSL_get0_param(E.tls);
	unsigned char ip[16];
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host,
	    ip) == 1)
		X509_VERIFY_PARAM_set1_ip_asc(vp, host);
	else {
		SSL_set_tlsext_host_name(E.tls, host);
		X509_VERIFY_PARAM_set1_host(vp, host, 0);
	}
	SSL_set_fd(E.tls, fd);
	if (SSL_connect(E.tls) != 1) {
		char e[256];
		ERR_error_string_n(ERR_get_error(), e, sizeof e);
		log_warnx("events: syslog TLS to %s: %s", E.remote, e);
		SSL_free(E.tls);
		E.tls = NULL;
		return -1;
	}
	return 0;
}

static int
connect_remote(void)
{
	char host[256], *port;
	snprintf(host, sizeof host, "%s", E.remote);
	port = strrchr(host, ':');
	if (port == NULL)
		return -1;
	*port++ = '\0';
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	int fd = -1;
	for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			fd = -1;
			continue;
		}
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof err;
		if (poll(&p, 1, SEND_TIMEOUT_MS) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return -1;
	/* from here on blocking, every call bounded by the socket timeouts
	 * (TLS handshakes and writes included) */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	struct timeval tv = { SEND_TIMEOUT_MS / 1000,
		(SEND_TIMEOUT_MS % 1000) * 1000 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (E.remote_tls && start_tls(fd, host) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
close_remote(void)
{
	if (E.tls) {
		SSL_free(E.tls);
		E.tls = NULL;
	}
	if (E.remote_fd >= 0)
		close(E.remote_fd);
	E.remote_fd = -1;
}

static int
remote_write(const char *b, size_t n)
{
	size_t off = 0;
	while (off < n) {
		int w = E.tls ? SSL_write(E.tls, b + off, (int)(n - off)) :
		    (int)send(E.remote_fd, b + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* RFC 6587 octet counting ("LEN SP MSG"), over TCP or TLS (RFC 5425
 * uses the same framing), bounded by the socket timeouts. */
static void
send_remote(const char *line)
{
	if (E.remote[0] == '\0')
		return;
	char frame[8192];
	int n = snprintf(frame, sizeof frame, "%zu %s", strlen(line), line);
	if (n < 0 || (size_t)n >= sizeof frame)
		return;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (E.remote_fd < 0 && (E.remote_fd = connect_remote()) < 0)
			break;
		if (remote_write(frame, (size_t)n) == 0)
			return;
		close_remote();             /* reconnect once and resend */
	}
	log_warnx("events: remote syslog %s%s unreachable: an incident event "
	    "was not delivered there (events.json has it)", E.remote,
	    E.remote_tls ? " (TLS)" : "");
}

/* ---- the webhook ---- */

/* Wait up to ms for stop; 1 if stopping.  Called with E.mu held. */
static int
sleep_or_stop(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!E.stop)
		if (pthread_cond_timedwait(&E.cv, &E.mu, &ts) != 0)
			break;
	return E.stop;
}

static int
post_once(const char *json, char *err, size_t errlen)
{
	struct http_req r = { .method = "POST", .url = E.wh.url,
		.content_type = "application/json", .accept = "*/*",
		.body = json, .body_len = strlen(json), .ca_file = E.wh.ca,
		.timeout_ms = 10000 };
	struct http_resp resp;
	if (http_do(&r, &resp, err, errlen) < 0)
		return -1;
	free(resp.body);
	if (resp.status >= 200 && resp.status < 300)
		return 0;
	snprintf(err, errlen, "%s answered HTTP %ld", E.wh.url, resp.status);
	return -1;
}

static void *
webhook_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&E.mu);
	for (;;) {
		while (E.wh.head == E.wh.tail && !E.stop)
			pthread_cond_wait(&E.cv, &E.mu);
		if (E.wh.head == E.wh.tail)
			break;
		char *json = E.wh.q[E.wh.tail % QUEUE];
		long backoff = 1000;
		unsigned attempt = 0;
		char err[512] = "";
		for (;;) {
			pthread_mutex_unlock(&E.mu);
			int ok = post_once(json, err, sizeof err) == 0;
			pthread_mutex_lock(&E.mu);
			if (ok || attempt++ >= E.wh.retries) {
				if (!ok)
					log_warnx("events: webhook: %s; gave up "
					    "after %u attempt(s) (events.json has "
					    "the event)", err, attempt);
				break;
			}
			if (sleep_or_stop(backoff)) {
				log_warnx("events: webhook: %s; not retried "
				    "(vigild stopping)", err);
				break;
			}
			backoff = backoff * 2 > 60000 ? 60000 : backoff * 2;
		}
		E.wh.tail++;
		free(json);
	}
	while (E.wh.head != E.wh.tail)        /* stopping: drop the rest */
		free(E.wh.q[E.wh.tail++ % QUEUE]);
	pthread_mutex_unlock(&E.mu);
	return NULL;
}

static void
queue_webhook(const char *ecs)
{
	if (!E.wh.running || ecs == NULL)
		return;
	pthread_mutex_lock(&E.mu);
	if (E.wh.head - E.wh.tail < QUEUE) {
		char *c = strdup(ecs);
		if (c) {
			E.wh.q[E.wh.head++ % QUEUE] = c;
			pthread_cond_broadcast(&E.cv);
		}
	} else {
		atomic_fetch_add(&E.dropped, 1);
	}
	pthread_mutex_unlock(&E.mu);
}

static void
deliver(struct item *it)
{
	int64_t now = now_ns();
	char *ecs = emit_ecs(it->id, it->action, it->doc, E.host, now);
	write_events_file(ecs);
	queue_webhook(ecs);
	free(ecs);
	char line[4096];
	if (emit_syslog_line(line, sizeof line, it->id, it->action, it->doc,
	    E.host, (int)getpid(), now) > 0) {
		send_local(line);
		send_remote(line);
	}
}

static void *
emit_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&E.mu);
	for (;;) {
		while (E.head == E.tail && !E.stop)
			pthread_cond_wait(&E.cv, &E.mu);
		if (E.head == E.tail)
			break;
		struct item it = E.q[E.tail++ % QUEUE];
		pthread_mutex_unlock(&E.mu);
		deliver(&it);
		free(it.doc);
		pthread_mutex_lock(&E.mu);
	}
	pthread_mutex_unlock(&E.mu);
	return NULL;
}

int
emit_start(const struct config *c, char *err, size_t errlen)
{
	gethostname(E.host, sizeof E.host - 1);
	if (c->events_file) {
		char p[PATH_MAX];
		snprintf(p, sizeof p, "%s/events.json", c->state_dir);
		E.events_fd = open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (E.events_fd < 0) {
			snprintf(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
	}
	snprintf(E.log_path, sizeof E.log_path, "%s", c->syslog ?
	    c->syslog_socket : "");
	snprintf(E.remote, sizeof E.remote, "%s", c->syslog_remote);
	E.remote_tls = c->syslog_tls;
	snprintf(E.remote_ca, sizeof E.remote_ca, "%s", c->syslog_ca);
	snprintf(E.wh.url, sizeof E.wh.url, "%s", c->webhook_url);
	snprintf(E.wh.ca, sizeof E.wh.ca, "%s", c->webhook_ca);
	E.wh.retries = c->webhook_retries;
	E.stop = 0;
	if (pthread_create(&E.th, NULL, emit_main, NULL) != 0) {
		snprintf(err, errlen, "cannot start the event thread");
		return -1;
	}
	E.running = 1;
	if (E.wh.url[0]) {
		http_global_init();
		if (pthread_create(&E.wh.th, NULL, webhook_main, NULL) == 0)
			E.wh.running = 1;
		else
			log_warnx("events: no webhook thread");
	}
	return 0;
}

void
emit_stop(void)
{
	pthread_mutex_lock(&E.mu);
	int running = E.running;
	E.stop = 1;
	E.running = 0;
	pthread_cond_broadcast(&E.cv);
	pthread_mutex_unlock(&E.mu);
	if (running)
		pthread_join(E.th, NULL);   /* drains the queue first */
	if (E.wh.running)
		pthread_join(E.wh.th, NULL);
	E.wh.running = 0;
	if (E.events_fd >= 0)
		close(E.events_fd);
	if (E.log_fd >= 0)
		close(E.log_fd);
	close_remote();
	if (E.tls_ctx)
		SSL_CTX_free(E.tls_ctx);
	E.tls_ctx = NULL;
	E.events_fd = E.log_fd = -1;
	if (atomic_load(&E.dropped))
		log_warnx("events: %lu incident event(s) dropped (queue full)",
		    (unsigned long)atomic_load(&E.dropped));
}

void
emit_incident(uint64_t id, const char *action, const char *doc)
{
	pthread_mutex_lock(&E.mu);
	if (!E.running || E.head - E.tail >= QUEUE) {
		if (E.running)
			atomic_fetch_add(&E.dropped, 1);
		pthread_mutex_unlock(&E.mu);
		return;
	}
	struct item *it = &E.q[E.head % QUEUE];
	it->id = id;
	snprintf(it->action, sizeof it->action, "%s", action);
	it->doc = doc ? strdup(doc) : NULL;
	E.head++;
	pthread_cond_broadcast(&E.cv);
	pthread_mutex_unlock(&E.mu);
}
