# lib.sh - helpers for integration tests.  Sourced, not run.
#
# Every test works only on loop-mounted filesystems it creates under a
# private temp dir, and removes them on exit.  vigild's marks are placed
# only there.  Every command that could block runs under `timeout`.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VIGILD=${VIGILD:-$ROOT/build/vigild}
VIGIL=${VIGIL:-$ROOT/build/vigil}
PASS=0
FAIL=0
T=$(mktemp -d /tmp/vigil-test.XXXXXX)
VPID=""

ok()    { PASS=$((PASS + 1)); echo "ok   - $*"; }
notok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else notok "$name"; fi; }

# the daemon's own pid (VPID is the timeout wrapper around it)
daemon_pid() { cat "$1/vigild.pid" 2>/dev/null; }

# at_exit FUNCTION: run it first when the test exits (namespaces, servers)
EXIT_HOOKS=()
at_exit() { EXIT_HOOKS+=("$1"); }

cleanup() {
	local h
	# VIGIL_KEEP_LOGS=DIR keeps vigild's log (sanitizer reports land there)
	[ -n "${VIGIL_KEEP_LOGS:-}" ] && [ -f "$T/vigild.log" ] &&
	    cp "$T/vigild.log" "$VIGIL_KEEP_LOGS/$(basename "$0" .sh)-$$.log"
	for h in "${EXIT_HOOKS[@]}"; do "$h"; done
	for p in "$T"/*/vigild.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null; done
	[ -n "$VPID" ] && kill -9 "$VPID" 2>/dev/null
	VPID=""
	for m in "$T"/mnt*; do
		[ -d "$m" ] && mountpoint -q "$m" && umount -l "$m"
	done
	rm -rf "$T"
}
trap cleanup EXIT

# need_ransim: RANSIM = the evaluation's simulator (built if missing), run
# as user vigil-sim, which must exist; $T readable by it.  Ends the test
# with a failure if the user is missing.
need_ransim() {
	RANSIM=$ROOT/eval/build/ransim
	[ -x "$RANSIM" ] || make -s -C "$ROOT/eval" >/dev/null
	id vigil-sim >/dev/null 2>&1 || { notok "user vigil-sim missing (run eval/setup.sh)"; summary; exit 1; }
	chmod 755 "$T"
}

# sim_user: the unprivileged user vigil-sim exists (created if missing),
# and $T is readable by it
sim_user() {
	id vigil-sim >/dev/null 2>&1 || useradd -r -M -N -s /usr/sbin/nologin vigil-sim
	chmod 755 "$T"
}

# mkfs_mount FS NAME SIZE: a fresh filesystem at $T/NAME
mkfs_mount() {
	local fs=$1 name=$2 size=${3:-600M}
	truncate -s "$size" "$T/$name.img"
	case $fs in
	ext4)  mkfs.ext4 -q -F "$T/$name.img" ;;
	xfs)   mkfs.xfs -q -f -m reflink=1 "$T/$name.img" ;;
	btrfs) mkfs.btrfs -q -f "$T/$name.img" >/dev/null ;;
	esac
	mkdir -p "$T/$name"
	mount -o loop "$T/$name.img" "$T/$name"
}

# start_vigild STATE_DIR ARGS...: start in the foreground (background job),
# wait until "vigil status" says active.
start_vigild() {
	local sd=$1; shift
	timeout 900 "$VIGILD" --foreground --state-dir "$sd" "$@" \
	    >>"$T/vigild.log" 2>&1 &
	VPID=$!
	for _ in $(seq 100); do
		"$VIGIL" --state-dir "$sd" status >/dev/null 2>&1 && return 0
		kill -0 "$VPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "vigild did not become active:"; tail -5 "$T/vigild.log"
	return 1
}

stop_vigild() {
	[ -n "$VPID" ] || return 0
	kill -TERM "$VPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$VPID" 2>/dev/null
	wait "$VPID" 2>/dev/null
	VPID=""
}

# vigil_status_field SD FIELD: a counter from vigil --json status
status_field() {
	"$VIGIL" --state-dir "$1" --json status | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"
}

summary() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
