#!/usr/bin/env bash
# tamper.sh FS - someone going after vigil itself raises tamper alerts:
# a program other than vigil reading or deleting a vault version; a stop
# signal (with its sender); a restart after vigild was killed.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
mkfs_mount "$FS" mnt 200M
S=$T/mnt/share; mkdir -p "$S"
seq 1 5000 >"$S/notes.txt"
SD=$T/state
tamper() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM alerts WHERE kind='tamper' AND message LIKE '%$1%'" 2>/dev/null; }
start_vigild "$SD" --protect "$S" || notok "vigild start"
echo "more" >>"$S/notes.txt"            # a version in the vault
# several short CLI runs: most exit before vigild reads their events
for i in 1 2 3 4 5 6; do
	"$VIGIL" --state-dir "$SD" restore "$S/notes.txt" --to "$T/out$i" >/dev/null 2>&1
done
sleep 0.5
check "the vigil CLI reading the vault raises nothing ($(tamper vault))" test "$(tamper vault)" = 0
V=$(ls -d "$T"/mnt/.vigil-vault/versions/* 2>/dev/null | head -1)
check "a version exists in the vault" test -n "$V"
cat "$V" >/dev/null
for _ in $(seq 30); do [ "$(tamper vault)" -ge 1 ] && break; sleep 0.1; done
check "another program reading a vault version is a tamper alert" test "$(tamper vault)" -ge 1
rm -f "$V"
for _ in $(seq 30); do [ "$(tamper deleted)" -ge 1 ] && break; sleep 0.1; done
check "deleting a vault version is a tamper alert" test "$(tamper deleted)" -ge 1
kill -TERM "$(daemon_pid "$SD")"
for _ in $(seq 50); do kill -0 "$(daemon_pid "$SD")" 2>/dev/null || break; sleep 0.1; done
stop_vigild
check "a stop signal is a tamper alert naming its sender (pid $$)" test "$(tamper "signal 15 from pid $$")" -ge 1
start_vigild "$SD" --protect "$S" || notok "vigild restart"
check "a clean stop then start: no unclean-stop alert" test "$(tamper 'did not stop cleanly')" = 0
kill -9 "$(daemon_pid "$SD")"; sleep 0.3; stop_vigild
start_vigild "$SD" --protect "$S" || notok "vigild start after kill -9"
for _ in $(seq 30); do [ "$(tamper 'did not stop cleanly')" -ge 1 ] && break; sleep 0.1; done
check "a restart after kill -9 is a tamper alert" test "$(tamper 'did not stop cleanly')" -ge 1
stop_vigild
summary
