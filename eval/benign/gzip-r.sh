#!/bin/bash
# gzip -r: compress old lab exports and HL7 messages in place (x -> x.gz, x deleted)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
n=$(find Lab/exports Interfaces/HL7 -type f ! -name '*.gz' | wc -l)
[ "$n" -gt 0 ] || fail "nothing to compress"
gzip -r -6 Lab/exports Interfaces/HL7
m=$(find Lab/exports Interfaces/HL7 -type f -name '*.gz' | wc -l)
[ "$m" -eq "$n" ] || fail "expected $n .gz files, found $m"
find Lab/exports Interfaces/HL7 -type f -name '*.gz' -print0 | xargs -0 gzip -t
