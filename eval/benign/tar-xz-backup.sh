#!/bin/bash
# tar + xz: a nightly backup of the wards and letters written into the share
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
mkdir -p Backups/nightly
out=Backups/nightly/wards-letters-20250301.tar.xz
tar --exclude=Backups -cf - Wards Admin/Letters | xz -T2 -3 > "$out"
xz -t "$out"
tar -tJf "$out" > "$SCRATCH/tar.list"
[ "$(grep -c . "$SCRATCH/tar.list")" -gt 10 ] || fail "backup too small"
