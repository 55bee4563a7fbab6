#!/usr/bin/env bash
# tamper.sh FS - someone going after vigil itself raises tamper alerts:
# a program other than vigil reading or deleting a vault version; another
# program holding the journal open, a state file deleted; a stop signal
# (with its sender); a restart after vigild was killed; on btrfs, a
# snapshot of the protected filesystem deleted.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
mkfs_mount "$FS" mnt 200M
S=$T/mnt/share
if [ "$FS" = btrfs ]; then
	btrfs -q subvolume create "$S" >/dev/null
else
	mkdir -p "$S"
fi
seq 1 5000 >"$S/notes.txt"
SD=$T/state
tamper() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM alerts WHERE kind='tamper' AND message LIKE '%$1%'" 2>/dev/null; }
# the suite reads the alerts with sqlite3, which is "another program"
# holding the journal: allowlisted, as an admin's tools would be
printf 'snapshot_poll = 1\nallow_exe = %s\n' "$(readlink -f "$(command -v sqlite3)")" >"$T/vigil.conf"
if [ "$FS" = btrfs ]; then
	mkdir -p "$T/mnt/.snapshots"
	btrfs -q subvolume snapshot -r "$S" "$T/mnt/.snapshots/monday" >/dev/null
	btrfs -q subvolume snapshot -r "$S" "$T/mnt/.snapshots/tuesday" >/dev/null
fi
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
echo "more" >>"$S/notes.txt"            # a version in the vault
# several short CLI runs: most exit before vigild reads their events
for i in 1 2 3 4 5 6; do
	"$VIGIL" --state-dir "$SD" restore "$S/notes.txt" --to "$T/out$i" >/dev/null 2>&1
done
sleep 0.5
check "the vigil CLI reading the vault raises nothing ($(tamper vault))" test "$(tamper vault)" = 0
V=$(ls -d "$T"/mnt/.vigil-vault/versions/* "$S"/.vigil-vault/versions/* 2>/dev/null | head -1)
check "a version exists in the vault" test -n "$V"
cat "$V" >/dev/null
for _ in $(seq 30); do [ "$(tamper vault)" -ge 1 ] && break; sleep 0.1; done
check "another program reading a vault version is a tamper alert" test "$(tamper vault)" -ge 1
rm -f "$V"
for _ in $(seq 30); do [ "$(tamper deleted)" -ge 1 ] && break; sleep 0.1; done
check "deleting a vault version is a tamper alert" test "$(tamper deleted)" -ge 1

# vigil's state dir (inotify; the holder is found in /proc)
for c in status history incidents; do "$VIGIL" --state-dir "$SD" $c >/dev/null 2>&1; done
sleep 0.5
check "the vigil CLI reading the journal raises nothing ($(tamper 'state file'))" test "$(tamper 'state file')" = 0
( exec 3<"$SD/journal.db"; sleep 2 ) &
HOLDER=$!
for _ in $(seq 30); do [ "$(tamper 'journal.db is open in')" -ge 1 ] && break; sleep 0.1; done
check "another program holding the journal open is a tamper alert" test "$(tamper 'journal.db is open in')" -ge 1
wait "$HOLDER"
check "it is told once per process, not per open ($(tamper 'is open in'))" test "$(tamper 'is open in')" -le 2
rm -f "$SD/events.json"
for _ in $(seq 30); do [ "$(tamper 'events.json was deleted')" -ge 1 ] && break; sleep 0.1; done
check "deleting a state file is a tamper alert" test "$(tamper 'events.json was deleted')" -ge 1
if [ "$FS" = btrfs ]; then
	btrfs -q subvolume delete "$T/mnt/.snapshots/monday" >/dev/null
	for _ in $(seq 50); do [ "$(tamper 'snapshot .snapshots/monday')" -ge 1 ] && break; sleep 0.1; done
	check "deleting a btrfs snapshot is a tamper alert ($(tamper 'btrfs snapshot'))" test "$(tamper 'snapshot .snapshots/monday')" -ge 1
	sleep 1.5
	check "the snapshot left in place raises nothing" test "$(tamper 'snapshot .snapshots/tuesday')" = 0
fi
kill -TERM "$(daemon_pid "$SD")"
for _ in $(seq 50); do kill -0 "$(daemon_pid "$SD")" 2>/dev/null || break; sleep 0.1; done
stop_vigild
check "a stop signal is a tamper alert naming its sender (pid $$)" test "$(tamper "signal 15 from pid $$")" -ge 1
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild restart"
check "a clean stop then start: no unclean-stop alert" test "$(tamper 'did not stop cleanly')" = 0
check "vigild's own stop and start touch the state dir without alerts ($(tamper 'while vigild runs'))" test "$(tamper 'while vigild runs')" = 1
check "reading the pid file is not tampering ($(tamper 'vigild.pid'))" test "$(tamper 'vigild.pid')" = 0
kill -9 "$(daemon_pid "$SD")"; sleep 0.3; stop_vigild
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start after kill -9"
for _ in $(seq 30); do [ "$(tamper 'did not stop cleanly')" -ge 1 ] && break; sleep 0.1; done
check "a restart after kill -9 is a tamper alert" test "$(tamper 'did not stop cleanly')" -ge 1
stop_vigild
if [ "$FAIL" -gt 0 ]; then      # what the journal said, for the log
	sqlite3 "$SD/journal.db" "SELECT kind, message FROM alerts" | tail -20
	find "$T/mnt" -maxdepth 3 -name '.vigil-vault*'
fi
summary
