/*
 * stix.c - an incident as a STIX 2.1 bundle, for ISACs, MISP, OpenCTI.
 *
 * DESIGN
 * What another hospital can use is what it can look for on its own
 * servers: the attacker's executable (by SHA-256, when it ran on this
 * host; over SMB the process is smbd and says nothing), the ransom note
 * (name and content hash), and the extension given to encrypted files.
 * Each becomes an indicator with a STIX pattern, "indicating" one
 * malware object (ransomware, not a named family: vigil does not guess
 * names).  A sighting says this organisation saw it, when, and how often;
 * a report ties the objects together.  Everything is marked with the TLP
 * level of the config (default TLP:AMBER) and created by an identity for
 * the reporting organisation.
 *
 * Ids are deterministic: cyber-observables (the file objects) use
 * UUIDv5 over their ID-contributing properties in the STIX namespace, as
 * the specification requires, and the other objects UUIDv5 over
 * (organisation, incident, detection time) in vigil's own namespace, so
 * that a bundle generated twice is the same bundle and consumers
 * de-duplicate it.
 *
 * Privacy: file paths and the names of victims' files carry patient
 * names; none goes into the bundle unless include_paths is set (then the
 * evidence file names are listed in the report's description).  Neither
 * do host names, user names or client addresses.
 */
#define _GNU_SOURCE
#include "report.h"

#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

/* RFC 4122 / STIX 2.1 section 2.9: SCO ids in this namespace */
static const unsigned char stix_ns[16] = { 0x00, 0xab, 0xed, 0xb4, 0xaa,
	0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7 };
/* vigil's namespace for the ids of its SDOs and SROs (a fixed UUID) */
static const unsigned char vigil_ns[16] = { 0x6f, 0x2b, 0x0c, 0x3e, 0x8d,
	0x1a, 0x4c, 0x55, 0x9a, 0x7e, 0x3b, 0x1f, 0x2d, 0x4c, 0x5e, 0x6a };

static const struct {
	const char *level, *name, *id;
} tlp_defs[] = {
	{ "white", "TLP:WHITE", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" },
	{ "green", "TLP:GREEN", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" },
	{ "amber", "TLP:AMBER", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" },
	{ "red", "TLP:RED", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" },
};

int
report_uuid5(const unsigned char ns[16], const char *name, size_t len,
    char out[37])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(c, ns, 16) == 1 &&
	    EVP_DigestUpdate(c, name, len) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);   /* version 5 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);   /* RFC 4122 */
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		snprintf(o, 3, "%02x", md[i]);
		o += 2;
	}
	*o = '\0';
	return 0;
}

void
report_stix_quote(const char *s, char *out, size_t len)
{
	size_t k = 0;
	for (; *s && k + 2 < len; s++) {
		if (*s == '\'' || *s == '\\')
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k] = '\0';
}

struct bundle {
	json_t *objects;
	const char *identity, *tlp;
	char ts[40];                /* created/modified of every SDO */
	char seed[512];             /* org + incident + detection time */
};

static void
sdo_id(struct bundle *b, const char *type, const char *what, char *out,
    size_t len)
{
	char name[1024], u[37];
	snprintf(name, sizeof name, "%s|%s|%s", b->seed, type, what);
	report_uuid5(vigil_ns, name, strlen(name), u);
	snprintf(out, len, "%s--%s", type, u);
}

/* The properties every SDO/SRO made here shares. */
static json_t *
sdo(struct bundle *b, const char *type, const char *what)
{
	char id[128];
	sdo_id(b, type, what, id, sizeof id);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "type", type,
	    "spec_version", "2.1", "id", id, "created", b->ts, "modified",
	    b->ts, "created_by_ref", b->identity, "object_marking_refs",
	    b->tlp);
}

/* A file cyber-observable: its id from its ID-contributing properties
 * (hashes, name), serialised as RFC 8785 canonical JSON. */
static json_t *
file_sco(const char *name, const char *sha256)
{
	json_t *contrib = json_object();
	if (sha256 && sha256[0])
		json_object_set_new(contrib, "hashes", json_pack("{s:s}",
		    "SHA-256", sha256));
	if (name && name[0])
		json_object_set_new(contrib, "name", json_string(name));
	/* RFC 8785: sorted keys, no white space, UTF-8 as it is */
	char *canon = json_dumps(contrib, JSON_COMPACT | JSON_SORT_KEYS);
	char u[37], id[64];
	report_uuid5(stix_ns, canon ? canon : "", canon ? strlen(canon) : 0,
	    u);
	free(canon);
	snprintf(id, sizeof id, "file--%s", u);
	json_object_set_new(contrib, "type", json_string("file"));
	json_object_set_new(contrib, "spec_version", json_string("2.1"));
	json_object_set_new(contrib, "id", json_string(id));
	return contrib;
}

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static int
is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static void
indicator(struct bundle *b, json_t *refs, const char *malware_id,
    const char *what, const char *name, const char *pattern)
{
	json_t *i = sdo(b, "indicator", what);
	json_object_set_new(i, "name", json_string(name));
	json_object_set_new(i, "indicator_types", json_pack("[s]",
	    "malicious-activity"));
	json_object_set_new(i, "pattern", json_string(pattern));
	json_object_set_new(i, "pattern_type", json_string("stix"));
	json_object_set_new(i, "valid_from", json_string(b->ts));
	const char *iid = json_string_value(json_object_get(i, "id"));
	json_t *r = sdo(b, "relationship", what);
	json_object_set_new(r, "relationship_type", json_string("indicates"));
	json_object_set_new(r, "source_ref", json_string(iid));
	json_object_set_new(r, "target_ref", json_string(malware_id));
	json_array_append(refs, json_object_get(i, "id"));
	json_array_append(refs, json_object_get(r, "id"));
	json_array_append_new(b->objects, i);
	json_array_append_new(b->objects, r);
}

/* Indicators from the incident's artifacts; returns how many. */
static int
indicators(struct bundle *b, json_t *inc, json_t *refs, const char *mid)
{
	json_t *art = json_object_get(inc, "artifacts");
	json_t *smb = json_object_get(json_object_get(inc, "actor"),
	    "smb_client");
	int n = 0;
	char pat[1024], q[600], q2[600], name[700];
	const char *exe = str(art, "exe_sha256");
	if (is_hex64(exe) && !json_is_object(smb)) {
		snprintf(pat, sizeof pat, "[file:hashes.'SHA-256' = '%s']", exe);
		indicator(b, refs, mid, "exe", "Ransomware executable (SHA-256)",
		    pat);
		json_t *f = file_sco(NULL, exe);
		json_array_append(refs, json_object_get(f, "id"));
		json_array_append_new(b->objects, f);
		n++;
	}
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(art, "notes"), i, v) {
		const char *nm = str(v, "name"), *h = str(v, "sha256");
		if (nm[0] == '\0')
			continue;
		report_stix_quote(nm, q, sizeof q);
		if (is_hex64(h))
			snprintf(pat, sizeof pat, "[file:name = '%s' AND "
			    "file:hashes.'SHA-256' = '%s']", q, h);
		else
			snprintf(pat, sizeof pat, "[file:name = '%s']", q);
		snprintf(name, sizeof name, "Ransom note %s", nm);
		snprintf(q2, sizeof q2, "note|%s", nm);
		indicator(b, refs, mid, q2, name, pat);
		json_t *f = file_sco(nm, is_hex64(h) ? h : NULL);
		json_array_append(refs, json_object_get(f, "id"));
		json_array_append_new(b->objects, f);
		n++;
	}
	json_array_foreach(json_object_get(art, "extensions"), i, v) {
		const char *e = str(v, "ext");
		if (e[0] == '\0')
			continue;
		report_stix_quote(e, q, sizeof q);
		snprintf(pat, sizeof pat, "[file:name LIKE '%%.%s']", q);
		snprintf(name, sizeof name, "Encrypted files renamed to .%s", e);
		snprintf(q2, sizeof q2, "ext|%s", e);
		indicator(b, refs, mid, q2, name, pat);
		n++;
	}
	return n;
}

static json_t *
malware(struct bundle *b, json_t *inc, int include_paths)
{
	json_t *m = sdo(b, "malware", "malware");
	char name[128], desc[4096];
	snprintf(name, sizeof name, "Ransomware (vigil incident %lld)",
	    (long long)json_integer_value(json_object_get(inc, "id")));
	json_object_set_new(m, "name", json_string(name));
	json_object_set_new(m, "is_family", json_false());
	json_object_set_new(m, "malware_types", json_pack("[s]", "ransomware"));
	const char *first = str(inc, "first_activity");
	if (first[0])
		json_object_set_new(m, "first_seen", json_string(first));
	size_t k = 0, i;
	json_t *v;
	k += (size_t)snprintf(desc, sizeof desc, "Encryption of files on a "
	    "file share, detected and contained by vigil after %lld file(s). "
	    "Indicators that fired:", (long long)json_integer_value(
	    json_object_get(inc, "files_touched")));
	json_array_foreach(json_object_get(inc, "indicators"), i, v) {
		if (k < sizeof desc)
			k += (size_t)snprintf(desc + k, sizeof desc - k, " %s;",
			    str(v, "name"));
	}
	if (include_paths) {
		json_array_foreach(json_object_get(inc, "evidence"), i, v) {
			if (k < sizeof desc)
				k += (size_t)snprintf(desc + k, sizeof desc - k,
				    " evidence %s (%s);", str(v, "path"),
				    str(v, "why"));
		}
	}
	json_object_set_new(m, "description", json_string(desc));
	return m;
}

int
report_stix(json_t *inc, const struct report_opts *o, FILE *out, char *err,
    size_t errlen)
{
	int t = -1;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(o->tlp ? o->tlp : "amber", tlp_defs[i].level) == 0)
			t = i;
	if (t < 0) {
		snprintf(err, errlen, "unknown TLP level \"%s\" (white, green, "
		    "amber, red)", o->tlp);
		return -1;
	}
	const char *org = o->org && o->org[0] ? o->org : "vigil user";
	struct bundle b = { .objects = json_array(), .tlp = tlp_defs[t].id };
	const char *ts = str(inc, "contained_at");
	snprintf(b.ts, sizeof b.ts, "%s", ts[0] ? ts : str(inc, "detected_at"));
	snprintf(b.seed, sizeof b.seed, "%s|%lld|%s", org,
	    (long long)json_integer_value(json_object_get(inc, "id")),
	    str(inc, "detected_at"));
	/* the identity and the marking first: everything refers to them */
	char u[37], ident[64];
	char iname[600];
	snprintf(iname, sizeof iname, "identity|%s", org);
	report_uuid5(vigil_ns, iname, strlen(iname), u);
	snprintf(ident, sizeof ident, "identity--%s", u);
	b.identity = ident;
	json_t *id_obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:[s]}", "type", "identity", "spec_version", "2.1", "id", ident,
	    "created", b.ts, "modified", b.ts, "name", org, "identity_class",
	    "organization", "sectors", "healthcare");
	if (id_obj == NULL) {
		snprintf(err, errlen, "the organisation name is not UTF-8");
		json_decref(b.objects);
		return -1;
	}
	json_array_append_new(b.objects, id_obj);
	json_array_append_new(b.objects, json_pack("{s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:{s:s}}", "type", "marking-definition", "spec_version",
	    "2.1", "id", tlp_defs[t].id, "created", "2017-01-20T00:00:00.000Z",
	    "definition_type", "tlp", "name", tlp_defs[t].name, "definition",
	    "tlp", tlp_defs[t].level));

	json_t *refs = json_array();
	json_t *m = malware(&b, inc, o->include_paths);
	const char *mid = json_string_value(json_object_get(m, "id"));
	json_array_append(refs, json_object_get(m, "id"));
	json_array_append_new(b.objects, m);
	indicators(&b, inc, refs, mid);

	json_t *s = sdo(&b, "sighting", "sighting");
	json_object_set_new(s, "sighting_of_ref", json_string(mid));
	json_object_set_new(s, "where_sighted_refs", json_pack("[s]", ident));
	json_object_set_new(s, "count", json_integer(1));
	const char *first = str(inc, "first_activity");
	json_object_set_new(s, "first_seen", json_string(first[0] ? first :
	    b.ts));
	json_object_set_new(s, "last_seen", json_string(b.ts));
	json_array_append(refs, json_object_get(s, "id"));
	json_array_append_new(b.objects, s);

	json_t *r = sdo(&b, "report", "report");
	char rname[160];
	snprintf(rname, sizeof rname, "Ransomware contained on a hospital "
	    "file share (vigil incident %lld)",
	    (long long)json_integer_value(json_object_get(inc, "id")));
	json_object_set_new(r, "name", json_string(rname));
	json_object_set_new(r, "report_types", json_pack("[s]",
	    "threat-report"));
	json_object_set_new(r, "published", json_string(b.ts));
	json_object_set_new(r, "object_refs", refs);
	json_array_append_new(b.objects, r);

	char bu[37], bid[64];
	char bseed[600];
	snprintf(bseed, sizeof bseed, "%s|bundle", b.seed);
	report_uuid5(vigil_ns, bseed, strlen(bseed), bu);
	snprintf(bid, sizeof bid, "bundle--%s", bu);
	json_t *bundle = json_pack("{s:s, s:s, s:o}", "type", "bundle", "id",
	    bid, "objects", b.objects);
	int rc = json_dumpf(bundle, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(bundle);
	if (rc < 0)
		snprintf(err, errlen, "cannot write the bundle");
	return rc < 0 ? -1 : 0;
}
