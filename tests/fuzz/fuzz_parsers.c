/*
 * fuzz_parsers.c - libFuzzer target for the parsers of untrusted bytes:
 * vault metadata xattrs (read back from disk at startup), /proc lines,
 * configuration text, and the Samba layer's inputs (/proc/net/tcp,
 * smbstatus --json, the ban file), and STIX bundles for vigil ioc import.  The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/actor/actor.h"
#include "../../src/actor/smb.h"
#include "../../src/contain/smbban.h"
#include "../../src/intel/ioc.h"
#include "../../src/capture/intent.h"
#include "../../src/common/config.h"
#include "../../src/common/util.h"
#include "../../src/journal/vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 9) {
	case 0: {
		struct version_meta m;
		vault_meta_parse((const char *)data + 1, size - 1, &m);
		break;
	}
	case 1:
		intent_parse(s, 1, NULL);
		break;
	case 2: {
		pid_t p;
		uint64_t st;
		char comm[17];
		uid_t u;
		actor_parse_stat(s, &p, &st, comm);
		actor_parse_status(s, &p, &u);
		break;
	}
	case 3: {
		struct config c;
		char err[256];
		config_defaults(&c);
		config_parse(&c, s, "fuzz", err, sizeof err);
		config_free(&c);
		break;
	}
	case 5: {
		unsigned long ino[2] = { 1000, 2000 };
		char a[64];
		smb_parse_net_tcp(s, ino, 2, data[0] & 0x80, a, sizeof a);
		break;
	}
	case 6: {
		static struct smb_session ss[64];
		smb_parse_status((const char *)data + 1, size - 1, ss, 64);
		break;
	}
	case 8: {
		struct ioc_set set;
		char err[256];
		if (ioc_parse_bundle((const char *)data + 1, size - 1, &set, 0,
		    err, sizeof err) == 0)
			ioc_set_free(&set);
		char h[4][65];
		ioc_pattern_hashes(s, h, 4);
		break;
	}
	case 7: {
		static struct smbban b[64];
		smbban_parse(s, b, 64);
		smbban_user_ok(s);
		break;
	}
	default: {
		int64_t t;
		uint64_t z;
		parse_time(s, &t);
		parse_size(s, &z);
		path_is_clean_absolute(s);
		break;
	}
	}
	free(s);
	return 0;
}
