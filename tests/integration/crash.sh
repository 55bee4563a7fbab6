#!/usr/bin/env bash
# crash.sh FS - kill -9 of vigild during heavy activity: no opener stays
# blocked; after restart the journal is consistent and every version
# recorded before the crash restores.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
mkfs_mount "$FS" mnt 600M
D="$T/mnt/share"; SD="$T/state"; mkdir -p "$D"
for i in $(seq 1 300); do head -c $((1000 + i * 37)) /dev/urandom >"$D/f$i"; done
start_vigild "$SD" --protect "$D" || { notok "start"; summary; exit 1; }
# heavy activity: 4 writers rewriting files in a loop
for w in 1 2 3 4; do
	( for r in $(seq 1 20); do for i in $(seq $w 4 300); do echo "w$w r$r" >"$D/f$i"; done; done ) &
done
sleep 0.3
kill -9 "$(daemon_pid "$SD")"; wait "$VPID" 2>/dev/null; VPID=""
start=$(date +%s)
if timeout 60 bash -c 'wait' ; then :; fi
wait
el=$(( $(date +%s) - start ))
check "writers finished after kill -9 (no opener blocked, ${el}s)" test "$el" -lt 30
# journal consistent
check "journal passes integrity_check after kill -9" \
    test "$(sqlite3 "$SD/journal.db" 'PRAGMA integrity_check')" = ok
start_vigild "$SD" --protect "$D" || notok "restart"
n=$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM versions")
check "versions recorded across the crash ($n)" test "$n" -gt 0
# every version row has its content in the vault, and restores
missing=0
for id in $(sqlite3 "$SD/journal.db" "SELECT id FROM versions"); do
	[ -f "$T/mnt/.vigil-vault/versions/$id" ] || missing=$((missing + 1))
done
check "every recorded version has its content ($missing missing)" test "$missing" -eq 0
bad=0
for p in $(sqlite3 "$SD/journal.db" "SELECT DISTINCT path FROM versions WHERE reason='write' LIMIT 40"); do
	id=$(sqlite3 "$SD/journal.db" "SELECT id FROM versions WHERE path='$p' ORDER BY created DESC LIMIT 1")
	"$VIGIL" --state-dir "$SD" restore "$p" >/dev/null 2>&1 || { bad=$((bad + 1)); continue; }
	cmp -s "$p" "$T/mnt/.vigil-vault/versions/$id" || bad=$((bad + 1))
done
check "versions from before the crash restore byte-identical ($bad bad)" test "$bad" -eq 0

# Rows a crash keeps from the database come back from the vault's metadata
# log: ten new versions, then kill -9, then their rows deleted (what a
# crash before the commit leaves); the restart must put all ten back.
LOG="$T/mnt/.vigil-vault/pending"
n0=$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM versions")
for i in $(seq 1 10); do echo "after the crash $i" >"$D/f$i"; done
for _ in $(seq 50); do
	[ "$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM versions")" -ge $((n0 + 10)) ] && break
	sleep 0.1
done
recs=$(grep -c '^id=' "$LOG" 2>/dev/null)
check "the metadata log holds a record per new version (${recs:-0})" test "${recs:-0}" -ge 10
kill -9 "$(daemon_pid "$SD")"; wait "$VPID" 2>/dev/null; VPID=""
ids=$(sqlite3 "$SD/journal.db" "SELECT id FROM versions WHERE reason='write' ORDER BY created DESC LIMIT 10" | tr '\n' ' ')
before=$(sqlite3 "$SD/journal.db" "SELECT group_concat(id||' '||path||' '||size, ';') FROM (SELECT * FROM versions WHERE reason='write' ORDER BY created DESC LIMIT 10)")
sqlite3 "$SD/journal.db" "DELETE FROM versions WHERE id IN ($(echo $ids | tr ' ' ','))"
start_vigild "$SD" --protect "$D" || notok "restart after rows were lost"
after=$(sqlite3 "$SD/journal.db" "SELECT group_concat(id||' '||path||' '||size, ';') FROM (SELECT * FROM versions WHERE reason='write' ORDER BY created DESC LIMIT 10)")
check "the ten lost rows are back from the log" test -n "$before" -a "$before" = "$after"
check "the restart says it recovered them" grep -q 'recovered 10 version' "$T/vigild.log"
check "the replayed log is emptied" test "$(stat -c %s "$LOG")" -lt 1000
p=$(sqlite3 "$SD/journal.db" "SELECT path FROM versions WHERE id=$(echo $ids | cut -d' ' -f1)")
"$VIGIL" --state-dir "$SD" restore "$p" >/dev/null 2>&1
check "a recovered version restores byte-identical" cmp -s "$p" "$T/mnt/.vigil-vault/versions/$(echo $ids | cut -d' ' -f1)"
stop_vigild
summary
