#!/bin/bash
# sed -i: bulk edit of ward notes, HL7 messages and CSV exports (each file is
# rewritten through a temporary file and renamed over the original)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
find Wards Interfaces Lab -type f \( -name '*.txt' -o -name '*.hl7' -o -name '*.csv' \) -print0 | sort -z > "$SCRATCH/f"
n=$(tr -cd '\0' < "$SCRATCH/f" | wc -c)
[ "$n" -gt 0 ] || fail "no files"
xargs -0 -n 50 sed -i -e 's/STMARYS/STMARYS-UH/g' -e 's/obs stable/observations stable/g' < "$SCRATCH/f"
grep -rq 'STMARYS-UH' Interfaces || fail "edit not applied"
echo "sed-i: $n files"
