#!/usr/bin/env bash
# canary.sh FS - decoy files: planted, plausible, valid, and the alarm.
#
# With canaries = on, vigild plants one decoy in the tree root and in each
# folder below it.  Checked: they are listed in STATE_DIR/canaries, carry
# the trusted.vigil.canary xattr, differ between folders, are valid files
# of their type (PDF rendered by Ghostscript, CSV rows of equal width, RTF),
# are dated in the past and owned like their folder; ordinary work on real
# files raises no alert; reading a decoy raises an early warning (alert,
# ECS event) without containment; writing one is an incident, denied, and
# the writer's process tree frozen; deleting one is an incident too, and
# the decoy is put back at the next refresh; canary_action = contain
# contains a reader.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
sim_user
mkfs_mount "$FS" mnt 300M
S=$T/mnt/share
mkdir -p "$S/Lab" "$S/Wards" "$S/Admin"
for d in Lab Wards Admin; do
	for i in 1 2 3; do seq 1 500 | sed "s/^/$d record /" >"$S/$d/file_$i.txt"; done
done
chown -R vigil-sim: "$S/Lab"
SD=$T/state
as_sim() { timeout 20 setpriv --reuid vigil-sim --regid "$(id -g vigil-sim)" --clear-groups "$@"; }
printf 'canaries = on\nretention_interval = 2\nrollback = manual\n' >"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
for _ in $(seq 50); do [ "$(grep -vc '^#' "$SD/canaries" 2>/dev/null)" = 4 ] && break; sleep 0.1; done
mapfile -t C < <(grep -v '^#' "$SD/canaries" 2>/dev/null | cut -f3)
check "4 decoys planted: the root and each folder (${#C[@]})" test "${#C[@]}" -eq 4
names=$(for c in "${C[@]}"; do basename "$c"; done | sort -u | wc -l)
check "decoy names differ between folders ($names distinct)" test "$names" -ge 3
for c in "${C[@]}"; do
	b=$(basename "$c"); d=$(dirname "$c")
	check "$b: trusted.vigil.canary set" sh -c "getfattr --absolute-names -n trusted.vigil.canary '$c' 2>/dev/null | grep -q canary"
	age=$(( ( $(date +%s) - $(stat -c %Y "$c") ) / 86400 ))
	check "$b: dated in the past ($age days)" test "$age" -ge 30
	check "$b: owned like its folder" test "$(stat -c %u "$c")" = "$(stat -c %u "$d")"
	case $b in
	*.pdf) check "$b: a valid PDF (Ghostscript renders it)" timeout 60 gs -q -dNODISPLAY -dBATCH -dNOPAUSE -dSAFER "$c" ;;
	*.csv) check "$b: a valid CSV (equal columns, > 100 rows)" /usr/bin/python3 -c "
import csv,sys; r=list(csv.reader(open('$c'))); sys.exit(not (len(r) > 100 and len({len(x) for x in r}) == 1))" ;;
	*.rtf) check "$b: an RTF document" sh -c "head -c 6 '$c' | grep -q '{.rtf1'" ;;
	esac
done
LABC=$(printf '%s\n' "${C[@]}" | grep "/Lab/")
alerts() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM alerts WHERE kind='canary'" 2>/dev/null; }
incidents() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM incidents" 2>/dev/null; }

# ordinary work on the real files: no alert (the checks above read the
# decoys as root: those alerts are counted first)
sleep 0.5
a0=$(alerts)
as_sim sh -c "cd '$S/Lab' && sed -i 's/record/entry/' file_*.txt && cat file_1.txt >/dev/null"
sleep 0.5
check "ordinary work raises no decoy alert ($a0 -> $(alerts))" test "$(alerts)" = "$a0"

# reading a decoy: an early warning, not containment
as_sim cat "$LABC" >/dev/null
for _ in $(seq 30); do [ "$(alerts)" -gt "$a0" ] && break; sleep 0.1; done
check "reading a decoy raises an alert ($a0 -> $(alerts))" test "$(alerts)" -gt "$a0"
check "reading a decoy is not an incident (canary_action = alert)" test "$(incidents)" = 0
for _ in $(seq 20); do grep -q decoy-opened "$SD/events.json" 2>/dev/null && break; sleep 0.1; done
check "the SIEM event says decoy-opened" grep -q '"action":"decoy-opened"' "$SD/events.json"

# writing a decoy: an incident, the write denied, the writer frozen
before=$(sha256sum "$LABC" | cut -c1-64)
as_sim sh -c "echo encrypted >> '$LABC'; sleep 30" &
WP=$!
for _ in $(seq 50); do [ "$(incidents)" -ge 1 ] && break; sleep 0.1; done
check "writing a decoy opens an incident" test "$(incidents)" -ge 1
check "the write was denied (decoy unchanged)" test "$(sha256sum "$LABC" | cut -c1-64)" = "$before"
sleep 0.3
st=""
for p in $(pgrep -u vigil-sim); do s=$(sed -n 's/^State:\s*\(.\).*/\1/p' /proc/$p/status 2>/dev/null); [ "$s" = T ] && st=T; done
check "the writer is frozen (state ${st:-not T})" test "$st" = T
kill -9 $WP 2>/dev/null; pkill -9 -u vigil-sim sleep 2>/dev/null; wait $WP 2>/dev/null
why=$("$VIGIL" --state-dir "$SD" --json show 1 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['indicators'][0]['name'])" 2>/dev/null)
check "the incident says a decoy was touched ($why)" test "$why" = decoy-touched
stop_vigild

# deleting a decoy: an incident; the decoy comes back at the next refresh
rm -f "$SD/events.json"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild restart"
WC=$LABC     # in a folder the user may change
n0=$(incidents)
as_sim /usr/bin/python3 -c "import os,time; os.unlink('$WC'); time.sleep(30)" &
DP=$!
for _ in $(seq 50); do [ "$(incidents)" -gt "$n0" ] && break; sleep 0.1; done
check "deleting a decoy opens an incident ($n0 -> $(incidents))" test "$(incidents)" -gt "$n0"
for _ in $(seq 60); do [ -f "$WC" ] && break; sleep 0.1; done
check "the deleted decoy is put back" test -f "$WC"
kill -9 $DP 2>/dev/null; wait $DP 2>/dev/null
stop_vigild

# canary_action = contain: a reader is contained too
printf 'canary_action = contain\n' >>"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild restart (contain)"
n0=$(incidents)
AC=$(printf '%s\n' "${C[@]}" | grep "/Admin/")
as_sim sh -c "cat '$AC' >/dev/null; sleep 30" &
RP=$!
for _ in $(seq 50); do [ "$(incidents)" -gt "$n0" ] && break; sleep 0.1; done
check "canary_action = contain: a reader is an incident" test "$(incidents)" -gt "$n0"
kill -9 $RP 2>/dev/null; pkill -9 -u vigil-sim sleep 2>/dev/null; wait $RP 2>/dev/null
stop_vigild
summary
