/*
 * report.h - an incident told to people and to other sites.
 *
 * Owns: gathering one incident from the journal (the judge's document,
 * its state and times, the actor's events as a timeline, what rollback
 * did) into one JSON object, and rendering it as JSON, as a STIX 2.1
 * bundle for sharing (stix.c), or as one self-contained HTML page
 * (html.c).
 * Does not own: the incident itself (judge/), or sending it anywhere.
 * Must never: put victims' file paths or names into a STIX bundle unless
 * asked (they carry patient names), or let a byte from a path or a
 * client-chosen name reach HTML unescaped.
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_TIMELINE_MAX 20000

struct report_opts {
	const char *org;          /* the reporting organisation (identity) */
	const char *tlp;          /* white | green | amber | red */
	int include_paths;        /* victims' file names into STIX */
};

/* The incident as one object, or NULL with err filled. */
json_t *report_load(sqlite3 *db, uint64_t id, char *err, size_t errlen);

int report_json(json_t *inc, FILE *out);
/* 0, or -1 with err filled (e.g. an unknown TLP). */
int report_stix(json_t *inc, const struct report_opts *o, FILE *out,
    char *err, size_t errlen);
int report_html(json_t *inc, FILE *out);

/* Helpers shared by the renderers, exposed for unit tests. */
/* RFC 4122 version-5 UUID of name in namespace ns (36 chars + NUL). */
int report_uuid5(const unsigned char ns[16], const char *name, size_t len,
    char out[37]);
/* A STIX patterning string literal: ' and \ escaped. */
void report_stix_quote(const char *s, char *out, size_t len);
/* HTML text: & < > " ' escaped, control bytes dropped. */
void report_html_text(FILE *f, const char *s);

#endif
