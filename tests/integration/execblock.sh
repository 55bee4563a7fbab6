#!/usr/bin/env bash
# execblock.sh FS - known-bad executables (by SHA-256, from a STIX bundle
# imported with `vigil ioc import`) are refused when run from a protected
# tree (FAN_OPEN_EXEC_PERM); a denied run is an incident.
#
# Checked: an ordinary program in the tree runs; the listed one does not
# (EPERM), with an exec-denied event and an incident whose indicator is
# known-bad-executable; importing while vigild runs takes effect at once;
# the same program changed by one byte is another file and runs; a cached
# verdict survives many runs.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
sim_user
mkfs_mount "$FS" mnt 200M
S=$T/mnt/share
mkdir -p "$S/tools"
cp /usr/bin/true "$S/tools/invoice_viewer"      # the "ransomware"
cp /usr/bin/echo "$S/tools/report_tool"         # an ordinary program
chmod 755 "$S/tools/"*
bad=$(sha256sum "$S/tools/invoice_viewer" | cut -c1-64)
cat >"$T/isac.json" <<EOF
{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created":"2026-11-20T10:00:00.000Z","modified":"2026-11-20T10:00:00.000Z","name":"LockHosp encryptor",
  "pattern":"[file:hashes.'SHA-256' = '$bad']","pattern_type":"stix","valid_from":"2026-11-20T10:00:00Z"}]}
EOF
SD=$T/state
printf 'rollback = manual\n' >"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
as_sim() { timeout -s KILL 20 setpriv --reuid vigil-sim --regid "$(id -g vigil-sim)" --clear-groups "$@"; }
as_sim "$S/tools/invoice_viewer"
check "before the import, the program runs" test $? -eq 0
"$VIGIL" --state-dir "$SD" ioc import "$T/isac.json" >"$T/import.log" 2>&1
check "ioc import exits 0 and vigild reloads ($(tail -1 "$T/import.log"))" grep -q '"iocs":1' "$T/import.log"
out=$(as_sim "$S/tools/report_tool" hello 2>&1)
check "an ordinary program in the tree runs ($out)" test "$out" = hello
# the process that tries is refused (EPERM) and frozen (its tree is the
# incident's): it never gets further, the KILL of timeout ends it
timeout -s KILL 5 setpriv --reuid vigil-sim --regid "$(id -g vigil-sim)" --clear-groups \
    "$S/tools/invoice_viewer" >/dev/null 2>&1; rc=$?
check "the listed program does not run (exit $rc; /usr/bin/true would exit 0)" test $rc -ne 0
for _ in $(seq 30); do
	n=$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM incidents" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break; sleep 0.1
done
check "a denied run is an incident" test "${n:-0}" -ge 1
why=$("$VIGIL" --state-dir "$SD" --json show 1 2>/dev/null | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['indicators'][0]['name'])" 2>/dev/null)
check "its indicator is known-bad-executable ($why)" test "$why" = known-bad-executable
check "the journal has an exec-denied event" sh -c "'$VIGIL' --state-dir '$SD' events | grep -q exec-denied"
"$VIGIL" --state-dir "$SD" release 1 >/dev/null 2>&1
# root too: a known-bad program is refused whoever runs it (from a child
# shell: the one that tries is frozen, and only it)
# in the background, killed by the test (a frozen process tree ignores
# everything but SIGKILL)
sh -c "'$S/tools/invoice_viewer' && touch '$T/root-ran'" 2>/dev/null &
RP=$!
sleep 2
pkill -9 -P $RP 2>/dev/null; kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
check "refused for root as well" test ! -e "$T/root-ran"
# the cached verdict: many runs of the good program
ok=0
for _ in $(seq 200); do "$S/tools/report_tool" x >/dev/null && ok=$((ok + 1)); done
check "200 runs of the ordinary program (cached verdict): $ok ran" test $ok -eq 200
# a changed file is another file
printf '\0' >>"$S/tools/invoice_viewer"
"$S/tools/invoice_viewer"
check "the same program changed by one byte runs (another hash)" test $? -eq 0
stop_vigild
summary
