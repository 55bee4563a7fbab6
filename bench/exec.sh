#!/usr/bin/env bash
# bench/exec.sh - exec latency of a program in a protected tree, without
# vigild, with vigild and no indicators, and with vigild and 10,000
# known-bad SHA-256 hashes imported (issue 7), in one invocation.
#
#   bench/exec.sh [--fs ext4|xfs] [--runs N] [--hashes N]
#
# The program is /usr/bin/true copied into the tree; each configuration
# runs it N times (default 2000) from one shell loop and reports the mean
# time per exec and the ratio to the run without vigild.  With indicators
# loaded, the first run hashes the file and later runs hit the verdict
# cache (dev, inode, ctime, size); a fourth configuration changes the file
# before every run (no cache hit: the hashing cost).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VIGILD=$ROOT/build/vigild; VIGIL=$ROOT/build/vigil
FS=ext4; RUNS=2000; HASHES=10000
while [ $# -gt 0 ]; do
	case $1 in
	--fs) FS=$2; shift ;;
	--runs) RUNS=$2; shift ;;
	--hashes) HASHES=$2; shift ;;
	*) echo "usage: $0 [--fs ext4|xfs] [--runs N] [--hashes N]"; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench needs root"; exit 1; }
make -C "$ROOT" -s all >/dev/null || exit 1
T=$(mktemp -d /tmp/vigil-execbench.XXXXXX)
cleanup() {
	[ -f "$T/state/vigild.pid" ] && kill -9 "$(cat "$T/state/vigild.pid")" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	rm -rf "$T"
}
trap cleanup EXIT
truncate -s 200M "$T/img"
case $FS in
ext4) mkfs.ext4 -q -F "$T/img" ;;
xfs) mkfs.xfs -q -f -m reflink=1 "$T/img" ;;
*) echo "unknown fs"; exit 2 ;;
esac
mkdir -p "$T/mnt"; mount -o loop "$T/img" "$T/mnt"
S=$T/mnt/share; mkdir -p "$S/bin"
cp /usr/bin/true "$S/bin/prog"; chmod 755 "$S/bin/prog"
P=$S/bin/prog

# a bundle of HASHES random SHA-256 indicators (none of them is prog's)
/usr/bin/python3 - "$HASHES" >"$T/iocs.json" <<'PY'
import json, os, sys, uuid
n = int(sys.argv[1])
objs = [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
         "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
         "pattern": f"[file:hashes.'SHA-256' = '{os.urandom(32).hex()}']",
         "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z"} for _ in range(n)]
print(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": objs}))
PY

run_loop() { # prints mean microseconds per exec
	local t0 t1
	t0=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do "$P"; done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / RUNS / 1000 ))
}
run_changing() { # the file changes before each run: never cached
	local t0 t1
	t0=$(date +%s%N)
	for ((i = 0; i < RUNS / 10; i++)); do touch "$P"; "$P"; done
	t1=$(date +%s%N)
	echo $(( (t1 - t0) / (RUNS / 10) / 1000 ))
}
start_vigild() {
	timeout 3600 "$VIGILD" --foreground --state-dir "$T/state" --protect "$S" >>"$T/vigild.log" 2>&1 &
	for _ in $(seq 100); do "$VIGIL" --state-dir "$T/state" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "vigild did not start"; exit 1
}
stop_vigild() {
	kill -TERM "$(cat "$T/state/vigild.pid")" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$(cat "$T/state/vigild.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
}

base=$(run_loop); base_c=$(run_changing)
rm -rf "$T/state"; start_vigild
none=$(run_loop); none_c=$(run_changing)
"$VIGIL" --state-dir "$T/state" ioc import "$T/iocs.json" >/dev/null 2>&1 || { echo "import failed"; exit 1; }
loaded=$(sqlite3 "$T/state/journal.db" "SELECT count(*) FROM iocs")
with=$(run_loop); with_c=$(run_changing)
stop_vigild
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
echo "exec latency, $FS, /usr/bin/true in a protected tree, $RUNS runs ($((RUNS / 10)) with the file changed before each)"
printf '%-40s %10s %8s %14s %8s\n' configuration "us/exec" ratio "us/exec(chg)" ratio
printf '%-40s %10s %8s %14s %8s\n' "without vigild" "$base" 1.00 "$base_c" 1.00
printf '%-40s %10s %8s %14s %8s\n' "vigild, no indicators" "$none" "$(ratio "$none" "$base")" "$none_c" "$(ratio "$none_c" "$base_c")"
printf '%-40s %10s %8s %14s %8s\n' "vigild, $loaded indicators" "$with" "$(ratio "$with" "$base")" "$with_c" "$(ratio "$with_c" "$base_c")"
