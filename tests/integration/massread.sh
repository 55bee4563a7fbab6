#!/usr/bin/env bash
# massread.sh FS - an actor reading far more protected files than usual
# raises an early warning; what is usual is learned (per executable and
# per user) and kept across restarts, so a backup alerts once, not daily.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
sim_user
mkfs_mount "$FS" mnt 300M
S=$T/mnt/share
for d in 1 2 3 4 5; do
	mkdir -p "$S/dept$d"
	for i in $(seq 500); do echo "record $d $i" >"$S/dept$d/r$i.txt"; done
done
chown -R vigil-sim: "$S"
SD=$T/state
printf 'massread_files = 1000\nmassread_factor = 4\n' >"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
as_sim() { timeout -s KILL 60 setpriv --reuid vigil-sim --regid "$(id -g vigil-sim)" --clear-groups "$@"; }
alerts() { sqlite3 "$SD/journal.db" "SELECT count(*) FROM alerts WHERE kind='mass-read'" 2>/dev/null; }
wait_alerts() { # N: wait up to 15 s for at least N alerts
	for _ in $(seq 150); do [ "$(alerts)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}

as_sim sh -c "cat '$S'/dept1/r1*.txt >/dev/null"       # ~110 files: ordinary
sleep 7
check "ordinary reading raises no mass-read warning ($(alerts))" test "$(alerts)" = 0

as_sim sh -c "tar -cf - -C '$S' . | wc -c >/dev/null"    # 2,500 files at once
wait_alerts 1
check "tar of the whole share raises a mass-read warning ($(alerts))" test "$(alerts)" -ge 1
check "the warning names the program (the reading tree's root, sh)" sh -c "sqlite3 '$SD/journal.db' \"SELECT message FROM alerts WHERE kind='mass-read'\" | grep -q 'read 2[0-9][0-9][0-9] protected files'"
check "the SIEM event says mass-read" sh -c "grep -q '\"action\":\"mass-read\"' '$SD/events.json'"
sleep 6   # the next tick learns the baseline
check "the baseline of the backup's program is learned" grep -Eq "^exe:/usr/bin/(da|ba)?sh" "$SD/baselines"

stop_vigild
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild restart"
n=$(alerts)
as_sim sh -c "tar -cf - -C '$S' . | wc -c >/dev/null"    # the nightly backup again
sleep 12
check "the same backup after a restart raises no new warning ($n -> $(alerts))" test "$(alerts)" = "$n"
stop_vigild
summary
