#!/bin/bash
# git: version the research folder, commit twice, then gc (packs, deletes loose objects)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
cd Research || fail "no Research folder"
g() { git -c user.name='Research Office' -c user.email=research@stmarys.example -c safe.directory='*' "$@"; }
g init -q -b main
g add -A
g commit -q -m 'Import trial notes'
find Trials -type f -name "*.md" | sort | sed -n 1,5p | while read -r f; do echo "Reviewed 2025-03-01" >> "$f"; done
g commit -q -a -m 'Review notes'
g gc -q --aggressive --prune=now
g fsck --no-progress --full >/dev/null
[ "$(g rev-list --count HEAD)" -eq 2 ] || fail "history wrong"
