/*
 * cli.h - what the vigil CLI's command files share.
 */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <sqlite3.h>
#include <stddef.h>

struct g {
	const char *state_dir;
	int json;
};
extern struct g G;

/* Open the journal read-write (exits 1 with a message on failure). */
sqlite3 *open_db(void);
/* One request to vigild's control socket; -1 (errno set) if no vigild
 * answers. */
int ctl_call(const char *req, char *buf, size_t len);
void ctl_hello(void);

int cmd_incidents(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_release(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_ioc(int argc, char **argv);
int cmd_share(int argc, char **argv);

#endif
