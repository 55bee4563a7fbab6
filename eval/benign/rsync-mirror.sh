#!/bin/bash
# rsync: mirror the radiology tree to a second folder in the share, change a
# few sources, and sync again (in-place delta updates with --inplace)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
mkdir -p Backups/mirror
rsync -a Radiology/ Backups/mirror/Radiology/
rsync -a --inplace --delete Admin/ Backups/mirror/Admin/
find Admin/IT/logs -type f -name '*.log' | sort | sed -n 1,3p | while read -r f; do echo "rotated marker" >> "$f"; done
rsync -a --inplace --delete Admin/ Backups/mirror/Admin/
diff -r Radiology Backups/mirror/Radiology >/dev/null || fail "mirror differs"
diff -r Admin Backups/mirror/Admin >/dev/null || fail "mirror differs"
