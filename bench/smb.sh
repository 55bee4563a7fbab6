#!/usr/bin/env bash
# bench/smb.sh - SMB throughput with and without vigild, in one invocation.
#
#   bench/smb.sh [--fs ext4|xfs|btrfs] [--reps N] [--small N] [--large-mib N] [--out FILE]
#
# A real smbd (its own smb.conf, a free port from 4450 on 127.0.0.1, own state
# directories) serves a share on a fresh loop-mounted filesystem; the
# client is smbclient on the same host.  Workloads, each timed as one
# smbclient session:
#   write-small      mput of N small files (16 KiB, default 2000) as new files
#   overwrite-small  the same files written again over the existing ones
#                    (every one needs a pre-image: vigil's costly case)
#   read-small       mget of all of them
#   write-large      put of 4 large files (default 256 MiB each)
#   overwrite-large  the same, over the existing ones
#   read-large       get of the 4 large files
# Each repetition runs the whole set without vigild, under bench/floor.c
# (an allow-all FAN_OPEN_PERM listener on the filesystem: what the
# permission round trip alone costs), and with vigild protecting the
# share (detection on); the ratios are against the run without (median
# of the repetitions).  Goal (issue 5): <= 1.05x.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/settle.sh"
. "$ROOT/bench/floor.sh"
VIGILD=${VIGILD:-$ROOT/build/vigild}; VIGIL=${VIGIL:-$ROOT/build/vigil}; FLOOR=$ROOT/build/floor
FS=ext4; REPS=3; NSMALL=2000; LARGE_MIB=256; OUT=""
while [ $# -gt 0 ]; do
	case $1 in
	--fs) FS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--small) NSMALL=$2; shift ;;
	--large-mib) LARGE_MIB=$2; shift ;;
	--out) OUT=$2; shift ;;
	*) echo "usage: $0 [--fs ext4|xfs|btrfs] [--reps N] [--small N] [--large-mib N] [--out FILE]"; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench needs root"; exit 1; }
for p in smbd smbclient smbpasswd; do command -v $p >/dev/null || { echo "$p missing (scripts/setup.sh)"; exit 1; }; done
make -C "$ROOT" -s all build/floor >/dev/null || exit 1
T=$(mktemp -d /tmp/vigil-smbbench.XXXXXX)
chmod 755 "$T"
cleanup() {
	floor_stop
	[ -f "$T/state/vigild.pid" ] && kill -9 "$(cat "$T/state/vigild.pid")" 2>/dev/null
	[ -f "$T/samba/pid/smbd.pid" ] && kill -9 "$(cat "$T/samba/pid/smbd.pid")" 2>/dev/null
	pkill -9 -f "smbd -s $T/samba/smb.conf" 2>/dev/null
	mountpoint -q "$T/mnt" && umount -l "$T/mnt"
	rm -rf "$T"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT

truncate -s 8G "$T/img"
case $FS in
ext4) mkfs.ext4 -q -F "$T/img" ;;
xfs) mkfs.xfs -q -f -m reflink=1 "$T/img" ;;
btrfs) mkfs.btrfs -q -f "$T/img" >/dev/null ;;
*) echo "unknown fs $FS"; exit 2 ;;
esac
mkdir -p "$T/mnt"; mount -o loop "$T/img" "$T/mnt"
SH=$T/mnt/share; mkdir -p "$SH"
id vigil-bench >/dev/null 2>&1 || useradd -r -M -N -s /usr/sbin/nologin vigil-bench
chown vigil-bench "$SH"

# source data, outside the protected filesystem
SRC=$T/src; mkdir -p "$SRC/small" "$SRC/large" "$T/get"
for i in $(seq "$NSMALL"); do head -c 16384 /dev/urandom >"$SRC/small/f$i.dat"; done
for i in 1 2 3 4; do head -c $((LARGE_MIB * 1048576)) /dev/urandom >"$SRC/large/L$i.bin"; done

# a free port: another smbd (SO_REUSEPORT) on the same one would share
# the connections
PORT=4450
while ss -Hltn "( sport = :$PORT )" | grep -q .; do PORT=$((PORT + 1)); done
SMB=$T/samba; mkdir -p "$SMB"/{private,lock,state,cache,pid,log,ncalrpc}
cat >"$SMB/smb.conf" <<EOF
[global]
  server role = standalone server
  smb ports = $PORT
  interfaces = 127.0.0.1
  bind interfaces only = yes
  private dir = $SMB/private
  lock directory = $SMB/lock
  state directory = $SMB/state
  cache directory = $SMB/cache
  pid directory = $SMB/pid
  ncalrpc dir = $SMB/ncalrpc
  log file = $SMB/log/log.%m
  passdb backend = tdbsam:$SMB/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
[share]
  path = $SH
  read only = no
EOF
printf 'pw\npw\n' | smbpasswd -c "$SMB/smb.conf" -s -a vigil-bench >/dev/null
printf '[global]\n  client min protocol = SMB2\n' >"$SMB/client.conf"
smbd -s "$SMB/smb.conf" -D
for _ in $(seq 50); do [ -f "$SMB/pid/smbd.pid" ] && break; sleep 0.1; done

smb() { timeout 600 smbclient -s "$SMB/client.conf" -p "$PORT" //127.0.0.1/share -U vigil-bench%pw -c "$1" >"$T/smb.log" 2>&1 || { tail -3 "$T/smb.log" >&2; return 1; }; }
# settle: wait (30 s at most) until a running vigild has handled, journaled
# and analysed what the previous workload caused, so that work is not
# timed as the next workload's (the untimed deltree before write-small
# deletes 500 files; write-small's analysis would spill into overwrite-small)
settle() {
	[ -f "$T/state/vigild.pid" ] && kill -0 "$(cat "$T/state/vigild.pid")" 2>/dev/null || return 0
	wait_settled "$VIGIL" "$T/state"
}
# timed NAME COMMANDS: milliseconds for one smbclient session
timed() {
	local t0 t1
	settle
	sync; echo 3 >/proc/sys/vm/drop_caches
	t0=$(date +%s%N)
	smb "$2" || echo "  ($1: smbclient failed)" >&2
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))"
}
WORK=(write-small overwrite-small read-small write-large overwrite-large read-large)
# empty the share; done before vigild starts: the files it deletes were
# made by the previous set, with no vigild watching, so to vigild they are
# someone else's, and a client that deleted someone else's file has its
# opens checked on a worker for the next second (design.md, "deleting"):
# write-small would be timed inside that second
clear_share() {
	smb "deltree small; deltree large" || true
	smb "mkdir small; mkdir large"
}
run_set() { # prints "name ms" lines
	echo "write-small $(timed w "lcd $SRC/small; cd small; prompt; mput *")"
	echo "overwrite-small $(timed o "lcd $SRC/small; cd small; prompt; mput *")"
	echo "read-small $(timed r "lcd $T/get; cd small; prompt; mget *")"
	echo "write-large $(timed W "lcd $SRC/large; cd large; prompt; mput *")"
	echo "overwrite-large $(timed O "lcd $SRC/large; cd large; prompt; mput *")"
	echo "read-large $(timed R "lcd $T/get; cd large; prompt; mget *")"
	rm -rf "$T/get"/*
}
start_vigild() {
	rm -rf "$T/state"
	timeout 3600 "$VIGILD" --foreground --state-dir "$T/state" --protect "$SH" --rollback manual \
	    >>"$T/vigild.log" 2>&1 &
	for _ in $(seq 100); do "$VIGIL" --state-dir "$T/state" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "vigild did not start"; tail "$T/vigild.log"; exit 1
}
stop_vigild() {
	kill -TERM "$(cat "$T/state/vigild.pid")" 2>/dev/null
	for _ in $(seq 100); do [ -f "$T/state/vigild.pid" ] && kill -0 "$(cat "$T/state/vigild.pid")" 2>/dev/null || break; sleep 0.1; done
}

declare -A BASE ON FL
base_set() { clear_share; while read -r n ms; do BASE[$n]+="$ms "; done < <(run_set); }
floor_set() {
	clear_share
	floor_start "$FLOOR" "$T/mnt" "$T/floor.log"
	while read -r n ms; do FL[$n]+="$ms "; done < <(run_set)
	floor_stop
}
# odd repetitions run without vigild first, even ones with it first, so
# the order's cache and disk effects fall on both sides
for r in $(seq "$REPS"); do
	[ $((r % 2)) -eq 1 ] && { base_set; floor_set; }
	clear_share
	start_vigild
	while read -r n ms; do ON[$n]+="$ms "; done < <(run_set)
	inc=$(sqlite3 "$T/state/journal.db" "SELECT count(*) FROM incidents")
	cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f s", ($14 + $15) / hz}' "/proc/$(cat "$T/state/vigild.pid")/stat" 2>/dev/null)
	stop_vigild
	[ $((r % 2)) -eq 0 ] && { floor_set; base_set; }
	echo "rep $r done (incidents with vigild: $inc, vigild CPU ${cpu:-?})" >&2
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
{
	echo "SMB throughput, $FS, $NSMALL x 16 KiB and 4 x $LARGE_MIB MiB, smbclient on 127.0.0.1, reps $REPS (median)"
	printf '%-16s %10s %10s %8s %10s %8s %12s\n' workload base_ms floor_ms ratio vigil_ms ratio vigil_MB/s
	for n in "${WORK[@]}"; do
		b=$(echo "${BASE[$n]}" | median); o=$(echo "${ON[$n]}" | median); f=$(echo "${FL[$n]}" | median)
		case $n in *small) mb=$((NSMALL * 16 / 1024)) ;; *) mb=$((4 * LARGE_MIB)) ;; esac
		printf '%-16s %10s %10s %8s %10s %8s %12s\n' "$n" "$b" "$f" \
		    "$(awk -v a="$f" -v b="$b" 'BEGIN {printf "%.3f", a / b}')" "$o" \
		    "$(awk -v a="$o" -v b="$b" 'BEGIN {printf "%.3f", a / b}')" \
		    "$(awk -v m="$mb" -v o="$o" 'BEGIN {printf "%.1f", m * 1000 / o}')"
	done
} | tee ${OUT:+"$OUT"}
