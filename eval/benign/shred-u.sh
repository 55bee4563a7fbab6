#!/bin/bash
# shred -u: securely delete one obsolete export (overwrite 3 times, then unlink)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
f=$(find Lab/exports -type f -name '*.csv' | sort | sed -n 1p)
[ -n "$f" ] || fail "no csv"
shred -u -n 3 "$f"
[ ! -e "$f" ] || fail "$f still there"
