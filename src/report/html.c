/*
 * html.c - an incident as one self-contained HTML page for a manager.
 *
 * DESIGN
 * One file, no external assets (no scripts, fonts or images fetched:
 * it may be opened on a machine without network, or mailed): inline CSS
 * and an inline SVG chart.  It says what happened in plain words first,
 * then shows the timeline (files the attacker touched over time, with
 * detection, containment and rollback marked), who did it, why vigil
 * judged so, and what was restored.
 * Must never: write a byte of a path, a command line or a client-chosen
 * name without escaping it (report_html_text); every such string is
 * attacker-controlled.
 */
#define _GNU_SOURCE
#include "report.h"
#include "../common/util.h"

#include <inttypes.h>
#include <string.h>

#define CHART_W 760
#define CHART_H 260
#define PAD_L 56
#define PAD_R 16
#define PAD_T 28
#define PAD_B 40
#define TABLE_MAX 300

void
report_html_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				fputc(c, f);
		}
	}
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int64_t
num(json_t *o, const char *k)
{
	return (int64_t)json_integer_value(json_object_get(o, k));
}

/* Does this event change or remove a file the attacker did not make? */
static int
touches(const char *op)
{
	return strncmp(op, "open-", 5) == 0 || strcmp(op, "rename") == 0 ||
	    strcmp(op, "delete") == 0 || strcmp(op, "create") == 0;
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;"
    "margin:2em auto;max-width:60em;color:#1b1b1b;line-height:1.45}"
    "h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;"
    "margin-top:1.6em;border-bottom:1px solid #ccc}"
    ".state{display:inline-block;padding:.15em .6em;border-radius:.3em;"
    "background:#e6f4ea;color:#0b5a1f;font-weight:600}"
    ".state.contained{background:#fdecea;color:#8a1c12}"
    "table{border-collapse:collapse;width:100%;font-size:.92em}"
    "td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;"
    "vertical-align:top}th{background:#f4f4f4}"
    "code{font-size:.9em;word-break:break-all}.muted{color:#666}";

static void
summary(FILE *f, json_t *inc)
{
	json_t *a = json_object_get(inc, "actor");
	json_t *smb = json_object_get(a, "smb_client");
	int64_t first = num(inc, "first_activity_ns");
	int64_t cont = num(inc, "contained_ns");
	fprintf(f, "<p>On <b>");
	report_html_text(f, str(inc, "first_activity"));
	fprintf(f, "</b> ");
	if (json_is_object(smb)) {
		fprintf(f, "a computer on the network (<b>");
		report_html_text(f, str(smb, "address"));
		fprintf(f, "</b>, user <b>");
		report_html_text(f, str(smb, "user")[0] ? str(smb, "user") :
		    "unknown");
		fprintf(f, "</b>) began, through the file share,");
	} else {
		fprintf(f, "the program <code>");
		report_html_text(f, str(a, "exe"));
		fprintf(f, "</code>, run by user <b>");
		report_html_text(f, str(a, "user"));
		fprintf(f, "</b>, began");
	}
	fprintf(f, " to make files on <b>");
	report_html_text(f, str(inc, "host"));
	fprintf(f, "</b> unreadable, the way ransomware encrypts them.  vigil "
	    "recognised it after <b>%" PRId64 " file(s)</b> and stopped it",
	    num(inc, "files_touched"));
	if (cont > 0 && first > 0 && cont >= first && cont - first < 2000000000LL)
		fprintf(f, " %.0f milliseconds after its first change",
		    (double)(cont - first) / 1e6);
	else if (cont > 0 && first > 0 && cont >= first)
		fprintf(f, " %.1f seconds after its first change",
		    (double)(cont - first) / 1e9);
	fprintf(f, ".");
	if (json_is_object(smb))
		fprintf(f, "  That computer was disconnected and is refused by "
		    "the file server until an administrator releases it; "
		    "everyone else kept working.");
	int64_t rb = num(inc, "rolled_back_ns");
	json_t *r = json_object_get(inc, "rollback");
	if (rb > 0) {
		fprintf(f, "  Every change it made was then rolled back (");
		report_html_text(f, str(inc, "rolled_back_at"));
		fprintf(f, "): %" PRId64 " file(s) restored, %" PRId64
		    " renamed back, %" PRId64 " brought back, %" PRId64
		    " of its files removed.", num(r, "restored"),
		    num(r, "renamed-back"), num(r, "undeleted"),
		    num(r, "removed"));
	} else {
		fprintf(f, "  Its changes have <b>not</b> been rolled back yet "
		    "(<code>vigil rollback %" PRId64 "</code>).",
		    num(inc, "id"));
	}
	fprintf(f, "  Nothing was lost: vigil kept a copy of every file "
	    "before it was changed.</p>\n");
}

struct scale {
	int64_t t0, t1;
	int maxy;
};

static double
xpos(const struct scale *s, int64_t t)
{
	double span = (double)(s->t1 - s->t0);
	double x = span > 0 ? (double)(t - s->t0) / span : 0;
	return PAD_L + x * (CHART_W - PAD_L - PAD_R);
}

static double
ypos(const struct scale *s, int n)
{
	return CHART_H - PAD_B - (double)n / s->maxy * (CHART_H - PAD_T - PAD_B);
}

/* A dashed line at t; past the right edge it is drawn at the edge with
 * how much later it came (a rollback can come hours later). */
static void
marker(FILE *f, const struct scale *s, int64_t t, const char *label,
    const char *color, int row)
{
	if (t <= 0)
		return;
	char text[96];
	snprintf(text, sizeof text, "%s", label);
	if (t > s->t1) {
		snprintf(text, sizeof text, "%s +%.1f s &#8594;", label,
		    (double)(t - s->t1) / 1e9);
		t = s->t1;
	}
	double x = xpos(s, t);
	int right = x > CHART_W - 160;
	fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='%s' "
	    "stroke-width='2' stroke-dasharray='5,3'/>\n<text x='%.1f' y='%d' "
	    "font-size='12' fill='%s' text-anchor='%s'>%s</text>\n", x,
	    PAD_T - 8, x, CHART_H - PAD_B, color, right ? x - 4 : x + 4,
	    PAD_T + 6 + 14 * row, color, right ? "end" : "start", text);
}

/* Files touched over time: a step line of the running count. */
static void
chart(FILE *f, json_t *inc)
{
	json_t *tl = json_object_get(inc, "timeline");
	/* the axis spans the attack, up to containment, plus a margin; the
	 * rollback is marked at the edge when it came later */
	struct scale s = { .t0 = num(inc, "first_activity_ns"), .maxy = 1 };
	s.t1 = s.t0;
	int64_t marks[] = { num(inc, "detected_ns"), num(inc, "contained_ns"),
		num(inc, "rolled_back_ns") };
	for (int i = 0; i < 2; i++)
		if (marks[i] > s.t1)
			s.t1 = marks[i];
	size_t i;
	json_t *e;
	int n = 0;
	json_array_foreach(tl, i, e) {
		int64_t t = num(e, "t_ns");
		if (s.t0 == 0 || t < s.t0)
			s.t0 = t;
		if (t > s.t1)
			s.t1 = t;
		n += touches(str(e, "op"));
	}
	s.t1 += (s.t1 - s.t0) / 8 + 1000000;
	s.maxy = n > 0 ? n : 1;
	fprintf(f, "<svg id='timeline-chart' role='img' aria-label='files "
	    "changed over time' width='%d' height='%d' viewBox='0 0 %d %d' "
	    "xmlns='http://www.w3.org/2000/svg'>\n<rect width='%d' height='%d' "
	    "fill='#fbfbfb' stroke='#ccc'/>\n", CHART_W, CHART_H, CHART_W,
	    CHART_H, CHART_W, CHART_H);
	fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#555'/>\n"
	    "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#555'/>\n", PAD_L,
	    CHART_H - PAD_B, CHART_W - PAD_R, CHART_H - PAD_B, PAD_L, PAD_T,
	    PAD_L, CHART_H - PAD_B);
	fprintf(f, "<text x='%d' y='%.1f' font-size='12' text-anchor='end'>%d"
	    "</text>\n<text x='%d' y='%d' font-size='12' text-anchor='end'>0"
	    "</text>\n", PAD_L - 6, ypos(&s, s.maxy) + 4, s.maxy, PAD_L - 6,
	    CHART_H - PAD_B + 4);
	fprintf(f, "<text x='%d' y='%d' font-size='12'>0 s</text>\n<text "
	    "x='%d' y='%d' font-size='12' text-anchor='end'>%.2f s</text>\n"
	    "<text x='%d' y='%d' font-size='12' text-anchor='middle' "
	    "fill='#444'>time since the first change</text>\n", PAD_L,
	    CHART_H - PAD_B + 16, CHART_W - PAD_R, CHART_H - PAD_B + 16,
	    (double)(s.t1 - s.t0) / 1e9, (CHART_W + PAD_L) / 2, CHART_H - 6);
	fprintf(f, "<polyline fill='none' stroke='#c0392b' stroke-width='2.5' "
	    "points='%.1f,%.1f", xpos(&s, s.t0), ypos(&s, 0));
	int k = 0;
	json_array_foreach(tl, i, e) {
		if (!touches(str(e, "op")))
			continue;
		double x = xpos(&s, num(e, "t_ns"));
		fprintf(f, " %.1f,%.1f %.1f,%.1f", x, ypos(&s, k), x,
		    ypos(&s, k + 1));
		k++;
	}
	fprintf(f, " %.1f,%.1f'/>\n", xpos(&s, s.t1), ypos(&s, k));
	marker(f, &s, marks[0], "detected", "#d35400", 0);
	marker(f, &s, marks[1], "contained", "#8e44ad", 1);
	marker(f, &s, marks[2], "rolled back", "#1e8449", 2);
	fprintf(f, "</svg>\n<p class='muted'>Red: file operations by the "
	    "attacker (writes, renames, deletions, new files), counted as "
	    "they happened.</p>\n");
}

static void
row(FILE *f, const char *k, const char *v)
{
	fprintf(f, "<tr><th>");
	report_html_text(f, k);
	fprintf(f, "</th><td>");
	report_html_text(f, v);
	fprintf(f, "</td></tr>\n");
}

static void
actor_table(FILE *f, json_t *inc)
{
	json_t *a = json_object_get(inc, "actor");
	json_t *smb = json_object_get(a, "smb_client");
	fprintf(f, "<h2>Who</h2>\n<table>\n");
	if (json_is_object(smb)) {
		row(f, "SMB client address", str(smb, "address"));
		row(f, "SMB user", str(smb, "user"));
		row(f, "machine", str(smb, "machine"));
		row(f, "protocol", str(smb, "dialect"));
	}
	row(f, "program", str(a, "exe"));
	row(f, "command line", str(a, "cmdline"));
	row(f, "user", str(a, "user"));
	row(f, "control group", str(a, "cgroup"));
	json_t *art = json_object_get(inc, "artifacts");
	if (str(art, "exe_sha256")[0])
		row(f, "program SHA-256", str(art, "exe_sha256"));
	fprintf(f, "</table>\n");
}

static void
why_table(FILE *f, json_t *inc)
{
	size_t i;
	json_t *v;
	fprintf(f, "<h2>Why vigil stopped it</h2>\n<p>Score %" PRId64
	    " reached the threshold %" PRId64 ".</p>\n<table>\n<tr><th>"
	    "indicator</th><th>weight</th><th>detail</th></tr>\n",
	    num(inc, "score"), num(inc, "threshold"));
	json_array_foreach(json_object_get(inc, "indicators"), i, v) {
		fprintf(f, "<tr><td>");
		report_html_text(f, str(v, "name"));
		fprintf(f, "</td><td>%" PRId64 "</td><td>", num(v, "weight"));
		report_html_text(f, str(v, "detail"));
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n<h3>Evidence</h3>\n<table>\n<tr><th>time</th>"
	    "<th>file</th><th>what vigil found</th></tr>\n");
	json_array_foreach(json_object_get(inc, "evidence"), i, v) {
		fprintf(f, "<tr><td>");
		report_html_text(f, str(v, "time"));
		fprintf(f, "</td><td><code>");
		report_html_text(f, str(v, "path"));
		fprintf(f, "</code></td><td>");
		report_html_text(f, str(v, "why"));
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void
events_table(FILE *f, json_t *inc)
{
	json_t *tl = json_object_get(inc, "timeline");
	size_t n = json_array_size(tl);
	fprintf(f, "<h2>Everything it did</h2>\n<p class='muted'>%zu event(s)"
	    "%s.</p>\n<table>\n<tr><th>time</th><th>operation</th><th>file"
	    "</th></tr>\n", n, n > TABLE_MAX ? ", the first 300 shown" : "");
	for (size_t i = 0; i < n && i < TABLE_MAX; i++) {
		json_t *e = json_array_get(tl, i);
		fprintf(f, "<tr><td>");
		report_html_text(f, str(e, "time"));
		fprintf(f, "</td><td>");
		report_html_text(f, str(e, "op"));
		fprintf(f, "</td><td><code>");
		report_html_text(f, str(e, "path"));
		if (str(e, "path2")[0]) {
			fprintf(f, " &rarr; ");
			report_html_text(f, str(e, "path2"));
		}
		fprintf(f, "</code></td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

int
report_html(json_t *inc, FILE *out)
{
	const char *state = str(inc, "state");
	fprintf(out, "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta "
	    "charset='utf-8'>\n<meta http-equiv='Content-Security-Policy' "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src "
	    "data:\">\n<title>vigil incident %" PRId64 "</title>\n<style>%s"
	    "</style>\n</head>\n<body>\n<h1>Ransomware stopped: incident %"
	    PRId64 "</h1>\n<p><span class='state %s'>", num(inc, "id"), css,
	    num(inc, "id"), strcmp(state, "contained") == 0 ? "contained" : "");
	report_html_text(out, state);
	fprintf(out, "</span> <span class='muted'>host ");
	report_html_text(out, str(inc, "host"));
	fprintf(out, ", detected ");
	report_html_text(out, str(inc, "detected_at"));
	fprintf(out, "</span></p>\n<h2>What happened</h2>\n");
	summary(out, inc);
	fprintf(out, "<h2>Timeline</h2>\n");
	chart(out, inc);
	actor_table(out, inc);
	why_table(out, inc);
	events_table(out, inc);
	fprintf(out, "<p class='muted'>Generated by <code>vigil report %"
	    PRId64 " --format html</code>.</p>\n</body>\n</html>\n",
	    num(inc, "id"));
	return ferror(out) ? -1 : 0;
}
