/*
 * fuzz_parsers.c - libFuzzer target for the parsers of untrusted bytes:
 * vault metadata xattrs (read back from disk at startup), /proc lines,
 * and configuration text.  The first byte picks the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/actor/actor.h"
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
	switch (data[0] % 5) {
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
