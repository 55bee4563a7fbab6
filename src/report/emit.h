/*
 * emit.h - incidents out of the daemon, as they happen: ECS JSON lines
 * for SIEMs (Wazuh, Elastic), and syslog (RFC 5424) to the local log and
 * optionally to a remote collector over TCP.
 *
 * Owns: one queue and one thread that turns "incident ID: ACTION" plus
 * the incident's document into an Elastic Common Schema event, appends
 * it to STATE_DIR/events.json and sends it to syslog.
 * Does not own: the incident (judge/), or deciding when to tell.
 * Must never: block the caller (the queue is bounded; when it is full the
 * event is counted as dropped and said so in vigild's log), or let a
 * slow or dead syslog collector delay containment: every send is
 * non-blocking or bounded by a short timeout on the emitter thread.
 */
#ifndef VIGIL_EMIT_H
#define VIGIL_EMIT_H

#include <stddef.h>
#include <stdint.h>

struct config;

/* Start the emitter thread; 0, or -1 with err filled. */
int emit_start(const struct config *c, char *err, size_t errlen);
void emit_stop(void);
/* Queue an event: action is one of "contained", "smb-client-banned",
 * "rolled-back", "released", "killed"; doc is the incident's JSON
 * document (copied; may be NULL). */
void emit_incident(uint64_t id, const char *action, const char *doc);

/* Exposed for unit tests: the ECS document of one event (malloc'd JSON
 * text, one line) and its RFC 5424 syslog line (without framing). */
char *emit_ecs(uint64_t id, const char *action, const char *doc,
    const char *host, int64_t now_ns);
int emit_syslog_line(char *out, size_t len, uint64_t id, const char *action,
    const char *doc, const char *host, int pid, int64_t now_ns);

#endif
