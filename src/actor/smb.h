/*
 * smb.h - which SMB client an smbd process works for.
 *
 * Owns: two ways to name the client behind an smbd process.
 *  - The client's address, read synchronously when the actor is first
 *    seen: the established TCP peer of the process's socket (borrowed
 *    with pidfd_getfd; /proc/PID/net/tcp{,6} where that is refused).
 *    Samba forks one smbd per client connection, so this is exact, cheap
 *    (one /proc walk per smbd process, not per event) and available on
 *    the permission path, where the judge groups actors by client.
 *  - The session (user, machine name, dialect) from `smbstatus -p --json`,
 *    which takes a fifth of a second: a background thread runs it when a
 *    new smbd appears and keeps a table; lookups never wait for it.
 * Does not own: deciding anything about the client (judge/), banning it
 * (contain/smbban.c).  Nothing here trusts the text smbd or smbstatus
 * give it: user and machine names come from the client.
 */
#ifndef VIGIL_SMB_H
#define VIGIL_SMB_H

#include <stddef.h>
#include <sys/types.h>

#define SMB_ADDR_MAX 48
#define SMB_NAME_MAX 64

struct smb_session {
	pid_t pid;                      /* the smbd serving the session */
	unsigned uid;
	char user[SMB_NAME_MAX];
	char machine[SMB_NAME_MAX];     /* NetBIOS name or address */
	char address[SMB_ADDR_MAX];     /* client IP, no port */
	char dialect[16];
};

/* The client address of smbd process pid (its established TCP peer, an
 * IPv4-mapped IPv6 address written as IPv4); 0, or -1 if it has none or
 * is a listener (Samba's main smbd, which serves no one client). */
int smb_peer_of(pid_t pid, char *addr, size_t len);
/* The same through pidfd_getfd alone (exposed for unit tests): -2 when a
 * socket could not be borrowed (refused, or no fd to spare), for which
 * smb_peer_of reads /proc/PID/net/tcp{,6} instead. */
int smb_peer_by_pidfd(pid_t pid, char *addr, size_t len);

/* Parsers, exposed for unit tests and the fuzzer.
 * smb_parse_net_tcp: in a /proc/net/tcp{,6} text, the remote address of
 * the first ESTABLISHED socket whose inode is in inodes[]: 0 or -1; 1 if
 * one of inodes[] is a LISTEN socket (addr then means nothing).
 * smb_parse_status: sessions in `smbstatus --json` output: count, or -1
 * for text that is not that document. */
int smb_parse_net_tcp(const char *buf, const unsigned long *inodes,
    size_t ninodes, int v6, char *addr, size_t len);
int smb_parse_status(const char *json, size_t len, struct smb_session *out,
    int max);

/* The session directory.  smb_directory_start: the refresher thread,
 * running `smbstatus` (with -s smb_conf when it is not empty). */
int smb_directory_start(const char *smb_conf);
void smb_directory_stop(void);
/* A new smbd was seen: refresh soon.  Never blocks. */
void smb_directory_poke(void);
/* The most recent session of a client address, or of an smbd pid:
 * 0 when known, -1 otherwise.  Never waits for smbstatus. */
int smb_directory_by_addr(const char *addr, struct smb_session *out);
int smb_directory_by_pid(pid_t pid, struct smb_session *out);
/* Run smbstatus now and wait for the table (the respond thread, before a
 * ban, wants the user names); bounded by a 5 s timeout. */
void smb_directory_refresh_now(void);

#endif
