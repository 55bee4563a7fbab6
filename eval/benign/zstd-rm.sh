#!/bin/bash
# zstd --rm: compress the incoming scans (TIFF) and logs, removing the originals
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
n=$(find Scans -type f -name '*.tif' | wc -l)
[ "$n" -gt 0 ] || fail "no scans"
zstd -q -r --rm -3 -T2 Scans
m=$(find Scans -type f -name '*.tif.zst' | wc -l)
[ "$m" -eq "$n" ] || fail "expected $n .zst files, found $m"
find Scans -name '*.zst' -print0 | xargs -0 zstd -q -t
