/*
 * smbban.h - keeping a contained SMB client off the share.
 *
 * Owns: the ban file (a Samba config fragment that smb.conf includes in
 * [global]: "hosts deny" for banned addresses, "invalid users" for banned
 * users), telling smbd to reload it, and ending the smbd processes that
 * still serve a banned client.
 * Does not own: deciding whom to ban (judge/) or the decision to lift a
 * ban (the admin's "vigil release ID", through control.c).
 * Must never: write anything into the ban file that did not pass strict
 * validation (it is parsed by smbd as root), or signal a process that is
 * not an smbd serving exactly the banned address.
 */
#ifndef VIGIL_SMBBAN_H
#define VIGIL_SMBBAN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum smb_ban_mode { SMB_BAN_OFF = 0, SMB_BAN_ADDRESS, SMB_BAN_USER,
	SMB_BAN_BOTH };

#define SMBBAN_MAX 1024

struct smbban {
	uint64_t incident;
	char address[48];               /* "" when not banned by address */
	char user[64];                  /* "" when not banned by user */
};

/* Add (or replace) the ban of an incident and rewrite the file
 * atomically; 0, or -1 with err filled. */
int smbban_add(const char *file, int mode, uint64_t incident,
    const char *address, const char *user, char *err, size_t errlen);
/* Create the file (no bans) if it is missing, so that smb.conf's include
 * finds it: 0, or -1 (e.g. it exists but is not a regular file). */
int smbban_init(const char *file, char *err, size_t errlen);
/* Remove an incident's ban: 1 removed, 0 there was none, -1 error. */
int smbban_remove(const char *file, uint64_t incident, char *err,
    size_t errlen);
/* "smbcontrol [-s smb_conf] smbd reload-config", bounded to 5 s: 0 or -1. */
int smbban_reload(const char *smb_conf);
/* SIGKILL every smbd process whose TCP peer is address (checked through
 * a pidfd, so a recycled pid is never hit).  Returns how many. */
int smbban_end_sessions(const char *address);

/* The file's text, exposed for unit tests: parse the "# ban" records of
 * an existing file (count, never more than max), render a whole file. */
int smbban_parse(const char *text, struct smbban *out, int max);
void smbban_render(FILE *f, const struct smbban *b, int n);
/* Is this a user name safe to write into smb.conf? */
int smbban_user_ok(const char *user);

#endif
