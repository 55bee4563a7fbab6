/*
 * config.h - vigil.conf(5): the options, their defaults, and the parser.
 *
 * Owns: reading and validating configuration text.  It never touches the
 * protected trees; checks that need the filesystem (does the tree exist?)
 * belong to the daemon's startup.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_TREES 64
#define CONFIG_MAX_ALLOW 64

enum kill_policy { KILL_AFTER_ROLLBACK = 0, KILL_NEVER, KILL_AT_ONCE };
enum canary_action { CANARY_ALERT = 0, CANARY_CONTAIN };

struct allow_exe {
	char path[PATH_MAX];
	char sha256[65];               /* lowercase hex, "" = any content */
};
#define CONFIG_DEFAULT_PATH "/etc/vigil/vigil.conf"
#define CONFIG_DEFAULT_STATE_DIR "/var/lib/vigil"

struct config {
	char *protect[CONFIG_MAX_TREES];
	int nprotect;
	char state_dir[PATH_MAX];
	char vault_dir[PATH_MAX];      /* "" means auto */
	unsigned perm_timeout_ms;
	unsigned workers;
	uint64_t range_preimage_min;   /* bytes; 0 = whole-file pre-images */
	uint64_t range_fill_rate;      /* bytes/s of background fill, 0 = any */
	unsigned retention_days;
	uint64_t vault_budget_bytes;   /* used when vault_budget_pct == 0 */
	unsigned vault_budget_pct;
	unsigned retention_interval;
	int log_level;
	/* detection (judge/) */
	int detect;                    /* 0 off, 1 on */
	unsigned score_threshold;
	unsigned detect_window;        /* seconds */
	unsigned analysis_backlog;     /* unanalysed writes before waiting */
	unsigned backpressure_ms;      /* longest such wait */
	int rollback_auto;             /* rollback = auto | manual */
	int kill_policy;
	struct allow_exe allow_exe[CONFIG_MAX_ALLOW];
	int nallow_exe;
	uint32_t allow_uid[CONFIG_MAX_ALLOW];
	int nallow_uid;
	char *allow_path[CONFIG_MAX_ALLOW];
	int nallow_path;
	/* Samba (actor/smb.c, contain/smbban.c) */
	char smb_conf[PATH_MAX];       /* "" = Samba's default smb.conf */
	int smb_ban;                   /* enum smb_ban_mode */
	char smb_ban_file[PATH_MAX];   /* "" = STATE_DIR/smb-ban.conf */
	/* early warning (warn/) */
	int canaries;                  /* plant decoys */
	unsigned canary_depth;         /* 0 roots, 1 also their folders */
	int canary_action;             /* enum canary_action */
	unsigned massread_files;       /* files a minute before a warning */
	unsigned massread_factor;      /* times the learned baseline */
	unsigned snapshot_poll;        /* s between snapshot listings, 0 off */
	/* reports (report/) */
	char report_org[256];          /* identity in STIX bundles */
	int report_tlp;                /* 0 white, 1 green, 2 amber, 3 red */
	int report_include_paths;      /* victims' file names in STIX */
	/* incident events (report/emit.c) */
	int events_file;               /* STATE_DIR/events.json, ECS lines */
	int syslog;                    /* RFC 5424 to syslog_socket */
	char syslog_socket[108];
	char syslog_remote[300];       /* host:port over TCP, or "" */
	int syslog_tls;                /* TLS (RFC 5425) to syslog_remote */
	char syslog_ca[PATH_MAX];      /* CA file, "" = system CAs */
	char webhook_url[1024];        /* http(s) URL, or "" */
	char webhook_ca[PATH_MAX];     /* CA file for it, "" = system CAs */
	unsigned webhook_retries;
	/* TAXII 2.1 push (vigil share) */
	char taxii_collection[1024];   /* .../collections/<id>/ URL */
	char taxii_user[128];
	char taxii_password[256];
	char taxii_ca[PATH_MAX];
};

extern const char *const config_tlp_names[];   /* "white" ... "red" */

/* The built-in text of etc/vigil.conf. */
extern const char config_default_text[];

/* Set every option to its default. */
void config_defaults(struct config *c);
/* Parse text; on error fill err with "name:line: message" and return -1. */
int config_parse(struct config *c, const char *text, const char *name,
    char *err, size_t errlen);
/* Read and parse a file (refusing anything but a regular file). */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* Add a tree (from --protect); same validation as the file. */
int config_add_protect(struct config *c, const char *path, char *err,
    size_t errlen);
void config_free(struct config *c);
/* "rollback = auto|manual" as given on vigild's command line. */
int config_set(struct config *c, const char *key, const char *value,
    char *err, size_t errlen);

#endif
