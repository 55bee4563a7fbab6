#!/usr/bin/env bash
# busyshare.sh FS - a write-new-then-delete encryptor on a busy share.
#
# Another user's burst of new and deleted files keeps vigild's notification
# thread behind.  A write-new-then-delete encryptor makes no write-open of
# existing content: its only back-pressure starts once that thread has read
# its deletions, which then sit in the queue behind the other user's
# events.  Before the fix it ran free on such a share (49 files in 57 ms in
# one evaluation run, where 2 is usual).  Checks: detected, few files
# touched, frozen, rollback byte-identical, and the busy user is neither
# contained nor held up for long.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
need_ransim
mkfs_mount "$FS" mnt 800M
S=$T/mnt/share; SD=$T/state
mkdir -p "$S/Records" "$S/zz-busy"
python3 - "$S/Records" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(120):
    sub = os.path.join(d, "w%02d" % (i % 6))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "results_%03d.csv" % i), "w") as f:
        f.write("mrn,test,value,unit\n")
        for j in range(300):
            f.write("MRN%05d,HbA1c,%d,mmol/mol\n" % (i * 1000 + j, j % 90))
PY
touch "$S/.vigil-ransim-target"
chown -R vigil-sim: "$S/Records" "$S/.vigil-ransim-target"
manifest() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
manifest "$S/Records" >"$T/manifest"

start_vigild "$SD" --protect "$S" --rollback manual || { notok "vigild start"; summary; exit 1; }
# the busy user (root, its own process tree): bursts of 400 new files
# of 4 KiB, then their deletion, until told to stop (at most 60 s)
rm -f "$T/stop-busy"
timeout 60 python3 - "$S/zz-busy" "$T/stop-busy" >"$T/busy.out" 2>&1 <<'PY' &
import os, sys, time
d, stop = sys.argv[1], sys.argv[2]
blob = b"ward round notes, all observations within range\n" * 84
worst = 0.0; n = 0
while not os.path.exists(stop):
    for i in range(400):
        t = time.monotonic()
        with open(os.path.join(d, "b%03d.tmp" % i), "wb") as f:
            f.write(blob)
        worst = max(worst, time.monotonic() - t); n += 1
    for i in range(400):
        os.unlink(os.path.join(d, "b%03d.tmp" % i))
print(n, int(worst * 1000))
PY
BUSY=$!
sleep 3     # the notification thread falls behind the busy user
"$RANSIM" --target "$S" --user vigil-sim --seed 7 --behaviour wannacry-newfile >"$T/ransim.log" 2>&1 &
RP=$!
( sleep 120; kill -9 $RP 2>/dev/null ) >/dev/null 2>&1 &
id=""
for _ in $(seq 300); do
	id=$(sqlite3 "$SD/journal.db" "SELECT min(id) FROM incidents" 2>/dev/null)
	[ -n "$id" ] && break
	sleep 0.1
done
touch "$T/stop-busy"
check "wannacry-newfile on a busy share: incident opened" test -n "$id"
inc() { "$VIGIL" --state-dir "$SD" --json incidents 2>/dev/null | python3 -c "import json,sys; a=[x for x in json.load(sys.stdin) if x['id']==${id:-0}]; print(a[0].get('$1') if a else '')"; }
touched=$(inc files_touched)
check "files touched before containment ($touched) <= 10" test "${touched:-99}" -le 10
st=""
for _ in $(seq 10); do st=$(sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$RP/status" 2>/dev/null); [ "$st" = D ] || break; sleep 0.1; done
check "simulator frozen (state ${st:-gone})" test "$st" = T
wait $BUSY
read -r nbusy worst <"$T/busy.out"
check "the busy user went on (${nbusy:-0} files; slowest create ${worst:-?} ms)" test "${nbusy:-0}" -gt 400 -a "${worst:-99999}" -lt 2500
"$VIGIL" --state-dir "$SD" rollback "$id" >"$T/rb.log" 2>&1
check "vigil rollback exits 0" test $? -eq 0
diffs=$(manifest "$S/Records" | diff "$T/manifest" - | grep -c '^[<>]')
check "every record byte-identical after rollback ($diffs differing lines)" test "$diffs" -eq 0
ninc=$("$VIGIL" --state-dir "$SD" --json incidents | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "one incident only: the busy user is not taken for an attacker ($ninc)" test "$ninc" = 1
fo=$(status_field "$SD" failopen); gate=$(status_field "$SD" busy_gate)
check "no opener was released by the deadline (failopen=$fo; busy_gate=$gate)" test "${fo:-1}" -eq 0
kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
stop_vigild
summary
