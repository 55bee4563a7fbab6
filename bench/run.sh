#!/usr/bin/env bash
# bench/run.sh - vigil's benchmarks.  Each workload runs on fresh
# loop-mounted filesystems, without vigild, with vigild (detect = off) and
# with vigild (detect = on) protecting the tree, interleaved in the same
# invocation; it prints the ratios and every run's time.  Each timed run
# starts once every vigild has handled what the untimed prep caused
# (settle: notifications, journal writes, analyses; 30 s at most).
#
#   bench/run.sh [--fs ext4|xfs|btrfs|all] [--only NAME[,NAME]] [--reps N] [--out FILE]
#
# A fourth mode, "floor", runs each workload (but "outside") under
# bench/floor.c: a fanotify listener with one FAN_OPEN_PERM mark on the
# filesystem that allows every open at once and does nothing else.  Its
# ratio is what the permission round trip alone costs, the least any
# design that waits on write-opens pays; vigild's ratio over it is
# vigild's own work.
#
# Workloads (goals from issue 2):
#   untar    tar -xf of Debian's linux-source tarball (decompressed once,
#            outside the timing) into the tree          goal <= 1.10x
#   sed      sed -i over 10,000 small files              goal <= 1.5x ext4, 1.2x xfs/btrfs
#   grep     grep -r over a tree of 50,000 files         goal <= 1.3x
#   fio      4 KiB random writes into a 1 GiB file       goal <= 1.5x
#   outside  open+read of files outside the tree, same fs  goal <= 1.05x
#   openlat  permission-event latency p50/p99 (open+close, as the opener sees it)
#   bigopen  how long open(O_RDWR) + one 4 KiB write + close of a 1 GiB file
#            waits: without vigild, with a whole-file pre-image
#            (range_preimage_min = 0), and with a range pre-image (the
#            default on ext4 with Linux 6.14+); not in the default set
# Also reported per workload: vigild RSS and CPU seconds, and for the
# writing workloads the journal bytes per byte overwritten.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/settle.sh"
. "$ROOT/bench/floor.sh"
# VIGILD=PATH runs another build of the daemon (an A/B comparison); the
# tree is then not rebuilt
VIGILD_GIVEN=${VIGILD:-}
VIGILD=${VIGILD:-$ROOT/build/vigild}; VIGIL=$ROOT/build/vigil; OPENLAT=$ROOT/build/openlat
FLOOR=$ROOT/build/floor
FSLIST=ext4; ONLY=untar,sed,grep,fio,outside,openlat; REPS=3; OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--fs) FSLIST=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) echo "usage: $0 [--fs ext4|xfs|btrfs|all] [--only LIST] [--reps N] [--out FILE]"; exit 2 ;;
	esac
	shift
done
[ "$FSLIST" = all ] && FSLIST="ext4 xfs btrfs"
[ "$(id -u)" -eq 0 ] || { echo "bench needs root"; exit 1; }
[ -n "$VIGILD_GIVEN" ] || make -C "$ROOT" -s all >/dev/null || exit 1
make -C "$ROOT" -s build/openlat build/floor >/dev/null || exit 1   # also for a VIGILD= A/B
T=$(mktemp -d /tmp/vigil-bench.XXXXXX)
# Three filesystems, one per mode: "base" (no vigild), "off" (vigild with
# detect = off: the protect issue's run) and "on" (detect = on).  Both
# daemons run side by side, each marking only its own filesystem, and the
# reps are interleaved (base, off, on; then off, on, base; ...), so that
# a machine that drifts over minutes (this project's VMs do, by 30%
# within one bench) drifts for all three modes alike.
MODES="base floor off on"
declare -A VPID=()
M=""   # the mount point of the mode being run: workloads use $M
cleanup() {
	for m in $MODES; do
		[ -f "$T/$m/state/vigild.pid" ] && kill -9 "$(cat "$T/$m/state/vigild.pid")" 2>/dev/null
		mountpoint -q "$T/$m/mnt" && umount -l "$T/$m/mnt"
	done
	floor_stop
	rm -rf "$T"
}
trap cleanup EXIT
RESULTS=(); HOLDNOTE=()

use() { M=$T/$1/mnt; }
fresh_fs() { # fs [mode]: a new filesystem for mode (default on), and use it
	local d=$T/${2:-on}
	mountpoint -q "$d/mnt" && umount "$d/mnt"
	mkdir -p "$d/mnt"; rm -f "$d/img"; truncate -s 12G "$d/img"
	case $1 in
	ext4) mkfs.ext4 -q -F "$d/img" ;;
	xfs) mkfs.xfs -q -f -m reflink=1 "$d/img" ;;
	btrfs) mkfs.btrfs -q -f "$d/img" >/dev/null ;;
	esac
	mount -o loop "$d/img" "$d/mnt"
	mkdir -p "$d/mnt/share" "$d/mnt/outside"
	rm -rf "$d/state"
	use "${2:-on}"
}
start_vigild() { # mode [conf]: vigild protecting that mode's tree
	local d=$T/$1 conf=()
	if [ "$1" = off ]; then printf 'detect = off\n' >"$T/off.conf"; conf=(-c "$T/off.conf"); fi
	[ -n "${2:-}" ] && conf=(-c "$2")
	timeout 3600 "$VIGILD" --foreground --protect "$d/mnt/share" --state-dir "$d/state" "${conf[@]}" >>"$T/vigild-$1.log" 2>&1 &
	VPID[$1]=$!
	for _ in $(seq 600); do "$VIGIL" --state-dir "$d/state" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "vigild did not start"; tail "$T/vigild-$1.log"; exit 1
}
vstats() { # mode: prints "rss_mb cpu_s" of that mode's running vigild
	local p; p=$(cat "$T/$1/state/vigild.pid")
	local rss; rss=$(awk '/VmHWM/{print $2}' "/proc/$p/status")
	local ticks; ticks=$(awk '{print $14+$15}' "/proc/$p/stat")
	echo "$((rss / 1024)) $(awk -v t="$ticks" -v h="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", t/h}')"
}
vholds() { # mode: "held_now hold_failed" of that mode's running vigild
	"$VIGIL" --state-dir "$T/$1/state" --json status 2>/dev/null |
	    python3 -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(c["held_now"], c["hold_failed"])' 2>/dev/null || echo "? ?"
}
start_floor() { floor_start "$FLOOR" "$T/$1/mnt" "$T/floor.log"; }   # mode
stop_vigild() { # mode
	[ -n "${VPID[$1]:-}" ] || return 0
	kill -TERM "${VPID[$1]}" 2>/dev/null; wait "${VPID[$1]}" 2>/dev/null; VPID[$1]=""
}
# settle: wait (30 s at most) until every running vigild has handled the
# notifications, journal writes and analyses the untimed prep caused, so
# that a timed run pays for its own work only (a prep's 10,000 deletions
# and creations are otherwise still being analysed while sed runs)
settle() {
	local m
	for m in off on; do
		[ -n "${VPID[$m]:-}" ] && wait_settled "$VIGIL" "$T/$m/state"
	done
	return 0
}
fs_used() { df -B1 --output=used "$M" | tail -1; }
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# timed FS WORKLOAD: REPS times, for each mode in a rotating order, runs
# prep_W (untimed) then run_W (timed); records the ratios of medians.
timed() {
	local fs=$1 w=$2 base with off floor ratio ratio_off ratio_floor extra="" used0=0 m r a
	# the floor listener marks the whole filesystem, so it would see the
	# opens outside the tree that vigild never sees: no floor there
	local modes=$MODES
	[ "$w" = outside ] && modes="base off on"
	rm -f "$T/t.floor"
	for m in $modes; do
		: >"$T/t.$m"
		fresh_fs "$fs" "$m"
		"setup_$w" || { echo "$w: skipped"; return; }
		case $m in
		base) ;;
		floor) start_floor "$m" ;;
		*) start_vigild "$m" ;;
		esac
	done
	local order=($modes)
	for r in $(seq "$REPS"); do
		for m in "${order[@]}"; do
			use "$m"; "prep_$w"; sync; settle
			[ "$m" = on ] && used0=$(fs_used)
			a=$(now); "run_$w"; sync; echo "$(now) - $a" | bc >>"$T/t.$m"
		done
		order=("${order[@]:1}" "${order[0]}")
	done
	sleep 1; sync; use on
	local journal=$(( $(fs_used) - used0 ))
	read -r rss cpu < <(vstats on)
	read -r _ cpu_off < <(vstats off)
	# a tree with more files than vigild may hold open (its fd limit:
	# LimitNOFILE in the unit; a shell's ulimit -n here) is benched with
	# the rest unheld: say so (docs/performance.md, "fd limit")
	local held_on failed_on held_off failed_off
	read -r held_on failed_on < <(vholds on)
	read -r held_off failed_off < <(vholds off)
	[ "$failed_on$failed_off" = 00 ] ||
	    HOLDNOTE+=("$w ($fs): vigild could hold only ${held_off}/${held_on} files open (detect off/on); ${failed_off}/${failed_on} attempts to hold more failed for want of fds, so the other files were benched unheld")
	stop_vigild off; stop_vigild on; floor_stop
	base=$(median <"$T/t.base"); with=$(median <"$T/t.on"); off=$(median <"$T/t.off")
	ratio=$(echo "scale=3; $with / $base" | bc)
	ratio_off=$(echo "scale=3; $off / $base" | bc)
	floor=-; ratio_floor=-
	if [ -s "$T/t.floor" ]; then
		floor=$(printf '%.3f' "$(median <"$T/t.floor")"); ratio_floor=$(echo "scale=3; $floor / $base" | bc)
	fi
	if [ -n "${WRITTEN:-}" ] && [ "$WRITTEN" -gt 0 ]; then
		extra=$(echo "scale=2; $journal / $WRITTEN" | bc)
	fi
	printf '%-8s %-6s base %8.3fs  floor %8ss (%6sx)  detect-off %8.3fs (%6.3fx)  detect-on %8.3fs  ratio %6.3fx  on/off %6.3f  rss %4s MB  cpu off %6ss on %6ss  journal/overwritten %s\n' \
	    "$w" "$fs" "$base" "$floor" "$ratio_floor" "$off" "$ratio_off" "$with" "$ratio" "$(echo "scale=3; $with / $off" | bc)" "$rss" "$cpu_off" "$cpu" "${extra:--}"
	for m in $modes; do echo "         $m runs: $(tr '\n' ' ' <"$T/t.$m")"; done
	RESULTS+=("| $w | $fs | $base | $floor | ${ratio_floor}× | $off | ${ratio_off}× | $with | **${ratio}×** | $(echo "scale=3; $with / $off" | bc) | $rss | $cpu_off / $cpu | ${extra:--} |")
	WRITTEN=""
}

# ---- untar ----
TARBALL=""
setup_untar() {
	if [ -z "$TARBALL" ]; then
		local src; src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -1)
		if [ -z "$src" ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-source-6.1 >/dev/null
			src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | head -1)
		fi
		[ -n "$src" ] || { echo "untar: cannot install linux-source-6.1 (Debian package)"; return 1; }
		TARBALL=/var/tmp/vigil-bench-linux.tar
		[ -f "$TARBALL" ] || xz -dc "$src" >"$TARBALL"
	fi
	cat "$TARBALL" >/dev/null
}
prep_untar() { rm -rf "$M/share/linux"; mkdir -p "$M/share/linux"; }
run_untar() { tar -xf "$TARBALL" -C "$M/share/linux"; }

# ---- sed -i over 10,000 small files ----
setup_sed() { :; }
prep_sed() {
	rm -rf "$M/share/sed"; mkdir -p "$M/share/sed"
	python3 - "$M/share/sed" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(10000):
    sub = os.path.join(d, "d%02d" % (i % 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "note%05d.txt" % i), "w") as f:
        f.write(("patient %d ward %d result alpha beta gamma\n" % (i, i % 40)) * 20)
PY
	WRITTEN=$((10000 * 20 * 40))   # per run: journal is measured over the last run
}
run_sed() { find "$M/share/sed" -type f -print0 | xargs -0 -n 500 sed -i 's/alpha/ALPHA/'; }

# ---- grep -r over 50,000 files ----
setup_grep() {
	python3 - "$M/share/grep" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(50000):
    sub = os.path.join(d, "d%03d" % (i % 500))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "f%05d.txt" % i), "w") as f:
        f.write(("line %d of a hospital record, nothing to see\n" % i) * 30)
PY
	grep -r zzz "$M/share/grep" >/dev/null || true
}
prep_grep() { :; }
run_grep() { grep -r -c "record 7" "$M/share/grep" >/dev/null || true; }

# ---- fio: 4 KiB random writes to a 1 GiB file ----
setup_fio() { :; }
prep_fio() {
	rm -f "$M/share/vm.img"
	head -c 1G /dev/urandom >"$M/share/vm.img"
	WRITTEN=$((256 * 1024 * 1024))   # per run
}
run_fio() {
	fio --name=rw --filename="$M/share/vm.img" --rw=randwrite --bs=4k --size=1G \
	    --io_size=256M --ioengine=psync --fsync_on_close=1 --randrepeat=1 --output-format=terse >/dev/null
}

# ---- opens and reads outside the tree, same filesystem ----
setup_outside() {
	python3 - "$M/outside" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(20000):
    with open(os.path.join(d, "o%05d" % i), "w") as f:
        f.write("x" * 512)
PY
}
prep_outside() { :; }
run_outside() { for _ in 1 2 3 4 5; do "$OPENLAT" "$M/outside" 1 >/dev/null; cat "$M/outside"/o1* >/dev/null; done; }

# ---- permission-event latency ----
openlat_report() {
	local fs=$1
	fresh_fs "$fs"
	python3 - "$M/share/lat" <<'PY'
import os, sys
d = sys.argv[1]; os.makedirs(d)
for i in range(5000):
    with open(os.path.join(d, "f%04d" % i), "w") as f: f.write("y" * 100)
PY
	local b r w f
	b=$("$OPENLAT" "$M/share/lat" 4)
	start_floor on
	f=$("$OPENLAT" "$M/share/lat" 4)
	floor_stop
	start_vigild on
	r=$("$OPENLAT" "$M/share/lat" 4)
	w=$("$OPENLAT" "$M/share/lat" 4 w)
	local avg max
	avg=$("$VIGIL" --state-dir "$T/on/state" --json status | sed -n 's/.*"perm_avg_us":\([0-9.]*\).*/\1/p')
	read -r rss cpu < <(vstats on)
	stop_vigild on
	echo "openlat $fs  no vigild: $b"
	echo "openlat $fs  floor listener (allows at once): $f"
	echo "openlat $fs  vigild, read opens: $r"
	echo "openlat $fs  vigild, write opens (content already preserved): $w"
	echo "openlat $fs  vigild's own handling time per event (mean): ${avg} us; rss ${rss} MB"
	RESULTS+=("| openlat | $fs | $b | $f | - | - | - | read: $r; write: $w | - | handling mean ${avg} µs | $rss | $cpu | - |")
}

# ---- the wait of a write-open of a large file ----
bigopen_once() { # prints ms for open O_RDWR + 4 KiB pwrite + close of a fresh 1 GiB file
	rm -f "$M/share/big.img"
	head -c 1G /dev/urandom >"$M/share/big.img"; sync
	python3 - "$M/share/big.img" <<'PY'
import os, sys, time
t = time.monotonic()
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, b"w" * 4096, 512 << 20)
os.close(fd)
print("%.1f" % ((time.monotonic() - t) * 1000))
PY
}
bigopen_report() {
	local fs=$1 b w r
	fresh_fs "$fs"
	b=$(for _ in $(seq "$REPS"); do bigopen_once; done | median)
	fresh_fs "$fs"
	printf 'detect = off\nrange_preimage_min = 0\n' >"$T/whole.conf"
	start_vigild on "$T/whole.conf"
	w=$(for _ in $(seq "$REPS"); do bigopen_once; done | median)
	stop_vigild on; fresh_fs "$fs" off
	start_vigild off
	r=$(for _ in $(seq "$REPS"); do bigopen_once; done | median)
	stop_vigild off
	echo "bigopen $fs  open+write+close of a 1 GiB file: without vigild ${b} ms, whole pre-image ${w} ms, range pre-image ${r} ms"
	RESULTS+=("| bigopen | $fs | ${b} ms | - | - | whole pre-image ${w} ms | - | range pre-image ${r} ms | - | - | - | - | - |")
}

for fs in $FSLIST; do
	for w in ${ONLY//,/ }; do
		if [ "$w" = openlat ]; then openlat_report "$fs"
		elif [ "$w" = bigopen ]; then bigopen_report "$fs"
		else timed "$fs" "$w"; fi
	done
done

if [ -n "$OUT" ]; then
	{
		echo "<!-- bench/run.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$ROOT" rev-parse --short HEAD), kernel $(uname -r), reps $REPS -->"
		echo "| workload | fs | without vigild (s) | floor listener (s) | ratio | vigild, detect = off (s) | ratio | vigild, detect = on (s) | ratio | on / off | vigild RSS (MB) | vigild CPU, off / on (s) | journal bytes / byte overwritten |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		printf '%s\n' "${RESULTS[@]}"
		if [ ${#HOLDNOTE[@]} -gt 0 ]; then printf '\nNote: %s.\n' "${HOLDNOTE[@]}"; fi
	} >>"$OUT"
fi
if [ ${#HOLDNOTE[@]} -gt 0 ]; then printf 'note: %s\n' "${HOLDNOTE[@]}"; fi
