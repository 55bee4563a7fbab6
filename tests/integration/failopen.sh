#!/usr/bin/env bash
# failopen.sh - no opener waits longer than perm_timeout_ms: a write-open of
# a large file on ext4 (no reflink: the copy takes long) is released by the
# deadline, and the release is an alert (range pre-images are off here:
# with them the open does not wait for the copy at all, see range.sh).
# Also: opens outside the
# protected tree on the same filesystem raise no permission event.
. "$(dirname "$0")/lib.sh"
mkfs_mount ext4 mnt 1500M
D="$T/mnt/share"; SD="$T/state"; mkdir -p "$D" "$T/mnt/outside"
head -c 600M /dev/urandom >"$D/big.img"
for i in $(seq 200); do echo "$i" >"$T/mnt/outside/o$i"; done
printf 'perm_timeout_ms = 50\nrange_preimage_min = 0\n' >"$T/v.conf"
start_vigild "$SD" -c "$T/v.conf" --protect "$D" || { notok start; summary; exit 1; }
sync; echo 3 >/proc/sys/vm/drop_caches
ms=$(timeout 20 python3 -c "
import os,sys,time
t=time.monotonic(); fd=os.open(sys.argv[1], os.O_RDWR); d=time.monotonic()-t; os.close(fd)
print(int(d*1000))" "$D/big.img")
rc=$?
check "write-open of a 600 MB file returned (rc=$rc) in ${ms:-?} ms (deadline 50 ms)" test "$rc" -eq 0 -a "${ms:-9999}" -lt 500
sleep 0.5
fo=$(status_field "$SD" failopen)
check "fail-open counted ($fo)" test "${fo:-0}" -ge 1
sleep 3
n=$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM alerts WHERE kind='fail-open'")
check "fail-open raised as an alert ($n)" test "$n" -ge 1

before=$(status_field "$SD" perm_events)
cat "$T/mnt/outside"/o* >/dev/null
for i in $(seq 200); do echo x >>"$T/mnt/outside/o$i"; done
after=$(status_field "$SD" perm_events)
check "opens outside the tree on the same fs raise no permission event ($before -> $after)" test "$before" = "$after"
stop_vigild
summary
