#!/usr/bin/env bash
# notes.sh FS - new files that may be ransom notes (src/daemon/notes.c).
#
# A new file is read as a possible note a moment after its close, unless
# it was renamed over another file first.  Checked:
#   1. sed -i over 30 files: each file is analysed once, as a replacement;
#      sed's temporary files are not read as notes as well (before
#      notes.c: 60 analyses, half of them failed lookups of a name that
#      was gone);
#   2. a note written under a temporary name and renamed at once to the
#      name a person sees, in 3 folders, plus 2 files encrypted in place:
#      an incident whose ransom-note and note-in-many-folders indicators
#      name HOW_TO_DECRYPT.txt (before notes.c the note was looked for
#      under the temporary name: missed, or named .tmp-note).  The 2 files
#      alone score 6, under the threshold of 9.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
sim_user
mkfs_mount "$FS" mnt 300M
S=$T/mnt/share
for d in A B C D E F; do
	mkdir -p "$S/$d"
	for i in 1 2 3 4 5; do seq 1 200 | sed "s/^/ward $d record /" >"$S/$d/r$i.txt"; done
done
mkdir -p "$S/X" "$S/Y" "$S/Z"
for d in X Y Z; do seq 1 400 | sed "s/^/lab $d result /" >"$S/$d/lab.txt"; done
chown -R vigil-sim: "$S"
SD=$T/state
as_sim() { timeout 30 setpriv --reuid vigil-sim --regid "$(id -g vigil-sim)" --clear-groups "$@"; }
printf 'rollback = manual\n' >"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
settled() {
	for _ in $(seq 100); do
		st=$("$VIGIL" --state-dir "$SD" --json status 2>/dev/null)
		grep -q '"notify_backlog":0,' <<<"$st" && grep -q '"analysis_queue":0,' <<<"$st" && return 0
		sleep 0.1
	done
	return 1
}
incidents() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM incidents" 2>/dev/null; }

# 1. sed -i: one analysis per file
settled
a0=$(status_field "$SD" analysed)
as_sim sh -c "cd '$S' && sed -i 's/record/entry/' A/*.txt B/*.txt C/*.txt D/*.txt E/*.txt F/*.txt"
check "sed -i finished (every file edited)" test "$(grep -l entry "$S"/?/r*.txt | wc -l)" = 30
check "the analysis queue empties" settled
a1=$(status_field "$SD" analysed)
check "sed -i over 30 files: 30 analyses, not 60 ($((a1 - a0)))" test $((a1 - a0)) = 30
check "sed -i is no incident" test "$(incidents)" = 0

# 2. notes written as temporary files and renamed; 2 files encrypted
as_sim /usr/bin/python3 -c "
import os, time
for d in 'XYZ':
    tmp = '$S/%s/.tmp-note' % d
    with open(tmp, 'w') as f:
        f.write('Your files are encrypted.\\nPay 1 bitcoin to decrypt them.\\n')
    os.rename(tmp, '$S/%s/HOW_TO_DECRYPT.txt' % d)
time.sleep(0.2)
for d in 'XY':
    with open('$S/%s/lab.txt' % d, 'r+b') as f:
        f.write(os.urandom(12000))
time.sleep(5)" &
WP=$!
for _ in $(seq 80); do [ "$(incidents)" -ge 1 ] && break; sleep 0.1; done
check "notes renamed from a temporary name, plus 2 encrypted files: an incident" test "$(incidents)" -ge 1
pkill -9 -u vigil-sim 2>/dev/null; wait $WP 2>/dev/null
inds=$("$VIGIL" --state-dir "$SD" --json show 1 2>/dev/null | /usr/bin/python3 -c "
import json, sys
d = json.load(sys.stdin)
print(' '.join(i['name'] + ('=' + i['detail'] if 'note' in i['name'] else '') for i in d['indicators']))" 2>/dev/null)
echo "# indicators: $inds"
check "the incident has the ransom-note indicator" grep -q 'ransom-note=.*HOW_TO_DECRYPT.txt' <<<"$inds"
check "the incident has note-in-many-folders" grep -q 'note-in-many-folders=.*HOW_TO_DECRYPT.txt' <<<"$inds"
stop_vigild
summary
