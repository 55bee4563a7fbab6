#!/bin/bash
# sqlite3: update, delete and VACUUM the lab cache database (rewrites the file)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
db=Lab/LIS/lis_cache.sqlite
[ -f "$db" ] || fail "no $db"
sqlite3 "$db" "UPDATE result SET value = round(value * 1.01, 2) WHERE id % 3 = 0;
               DELETE FROM result WHERE id % 10 = 0;
               VACUUM;"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check;')" = ok ] || fail "integrity check"
