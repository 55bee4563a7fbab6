#!/usr/bin/env bash
# range.sh - range pre-images of large files on ext4 (FAN_PRE_ACCESS,
# Linux 6.14+): a write-open of a large file does not wait for a whole
# copy; each range is copied before it is first changed and the rest in
# the background.  Every primitive below is done with a real program while
# the version is still filling (the fill is slowed down by
# range_fill_rate so that the writes land first), and the file must then
# restore byte-identical.  Also: a crash while filling leaves a version
# that restore refuses, and a clean stop completes it.
. "$(dirname "$0")/lib.sh"
mkfs_mount ext4 mnt 3G
D="$T/mnt/share"; SD="$T/state"; OUT="$T/out"; mkdir -p "$D" "$OUT"
MIB=80
cat >"$T/range.conf" <<EOF
range_preimage_min = 16M
range_fill_rate = 8M
detect = off
vault_budget = 90%
EOF
CONC="conc1 conc2 conc3 conc4 conc5 conc6 conc7 conc8"
for n in pwrite ftrunc trunc mmap dd twice crash stop $CONC; do
	size=$MIB; case $n in conc*) size=16;; esac
	head -c $((size << 20)) /dev/urandom >"$D/$n.img"
	sha256sum <"$D/$n.img" | cut -d' ' -f1 >"$T/$n.sha0"
done
small_sha=$(head -c 1M /dev/urandom | tee "$D/small.bin" | sha256sum | cut -d' ' -f1)
start_vigild "$SD" -c "$T/range.conf" --protect "$D" || { notok "start"; summary; exit 1; }
check "status: range pre-images on for an ext4 tree" \
    bash -c "'$VIGIL' --state-dir '$SD' --json status | grep -q '\"range_preimages\":true'"
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# a whole second strictly after the last change and before the next
stamp() { sleep 1.1; date +%s; sleep 1.1; }

# restored_same NAME TIME SHAFILE: restore NAME as of TIME into OUT and
# compare with the checksum in SHAFILE
restored_same() {
	local n=$1 at=$2 want; want=$(cat "$3")
	rm -rf "${OUT:?}/$n"; mkdir -p "$OUT/$n"
	timeout 120 "$VIGIL" --state-dir "$SD" restore "$D/$n.img" --at "@$at" \
	    --to "$OUT/$n" >/dev/null 2>"$T/restore.err" || { cat "$T/restore.err"; return 1; }
	[ "$(sha "$OUT/$n/$n.img")" = "$want" ]
}

# pwrite: random 4 KiB blocks, the last ones near the end of the file
# (far ahead of the background fill)
t_pwrite=$(stamp)
c0=$(status_field "$SD" range_covers)
w0=$(date +%s%N)
timeout 60 python3 - "$D/pwrite.img" "$MIB" <<'PY'
import os, random, sys
fd = os.open(sys.argv[1], os.O_RDWR)
size = int(sys.argv[2]) << 20
random.seed(7)
for i in range(2000):
    os.pwrite(fd, os.urandom(4096), random.randrange(size // 4096) * 4096)
os.pwrite(fd, b"tail" * 1024, size - 4096)
os.close(fd)
PY
w1=$(date +%s%N)
c1=$(status_field "$SD" range_covers)
check "2001 random writes into a filling version took $(( (w1 - w0) / 1000000 )) ms (no whole-file wait of ~10 s at the fill rate)" \
    test $(( (w1 - w0) / 1000000 )) -lt 8000
check "writes ahead of the fill were copied first ($((c1 - c0)) covers)" test $((c1 - c0)) -gt 0
check "no whole-file pre-image was taken for the large file" test "$(status_field "$SD" preserved)" -eq 0

# ftruncate shrink through an open fd, then a write past the new end
t_ftrunc=$(stamp)
timeout 60 python3 - "$D/ftrunc.img" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.ftruncate(fd, 5 << 20)
os.pwrite(fd, b"x" * 100, 7 << 20)
os.close(fd)
PY
# truncate(1): open for writing, then ftruncate, by coreutils
t_trunc=$(stamp)
timeout 60 truncate -s 1M "$D/trunc.img"
# writes through a shared mapping
t_mmap=$(stamp)
timeout 60 python3 - "$D/mmap.img" <<'PY'
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
for off in (0, 30 << 20, (80 << 20) - 4096):
    m[off:off + 4096] = b"M" * 4096
m.flush(); m.close(); os.close(fd)
PY
# dd over the middle, keeping the rest
t_dd=$(stamp)
timeout 60 dd if=/dev/zero of="$D/dd.img" bs=1M seek=40 count=8 conv=notrunc status=none
# two sessions: the second begins while the first version still fills
t_twice0=$(stamp)
timeout 60 dd if=/dev/zero of="$D/twice.img" bs=64K seek=1000 count=4 conv=notrunc status=none
sha "$D/twice.img" >"$T/twice.sha1"
t_twice1=$(stamp)
timeout 60 dd if=/dev/urandom of="$D/twice.img" bs=64K seek=10 count=4 conv=notrunc status=none
timeout 60 dd if=/dev/urandom of="$D/twice.img" bs=64K seek=1200 count=4 conv=notrunc status=none
check "the versions were filling when the writes were done" \
    test "$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM versions WHERE state='filling'")" -ge 1

# two writers open the same large file (16 MiB) at the same moment, eight
# times, with the CPUs busy: the second open then often comes just after
# the first one's version began, and each writer's changes must be
# preserved before they land (a second writer whose file raised no
# pre-access events once went unpreserved here)
t_conc=$(stamp)
hogs=()
for h in 1 2 3; do timeout 60 sh -c 'while :; do :; done' & hogs+=($!); done
for n in $CONC; do
	pids=()
	for w in 1 2; do
		timeout 60 python3 - "$D/$n.img" "$w" <<'PY' &
import os, random, sys
fd = os.open(sys.argv[1], os.O_RDWR)
random.seed(int(sys.argv[2]))
for i in range(300):
    os.pwrite(fd, os.urandom(4096), random.randrange((16 << 20) // 4096) * 4096)
os.close(fd)
PY
		pids+=($!)
	done
	wait "${pids[@]}"   # not vigild, which runs in the background too
done
kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null
for n in $CONC; do
	check "$n: two writers at once: the file restores byte-identical" restored_same $n "$t_conc" "$T/$n.sha0"
done

# reads of a large file whose version is complete raise no pre-access
# event (its ignore mark is back): a read is not a round trip each
"$VIGIL" --state-dir "$SD" restore "$D/dd.img" --to "$OUT" >/dev/null 2>&1   # completes every version
e0=$(status_field "$SD" pre_access_events)
cat "$D/pwrite.img" "$D/dd.img" >/dev/null
e1=$(status_field "$SD" pre_access_events)
check "reading two complete large files raised no pre-access event ($((e1 - e0)))" test $((e1 - e0)) -eq 0

for n in pwrite ftrunc trunc mmap dd; do
	at_var=t_$n
	check "$n: restores byte-identical from its range pre-image" restored_same "$n" "${!at_var}" "$T/$n.sha0"
done
check "twice: the first version restores the original" restored_same twice "$t_twice0" "$T/twice.sha0"
check "twice: the second version restores the content between the sessions" restored_same twice "$t_twice1" "$T/twice.sha1"
check "after a restore every version is complete" \
    test "$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM versions WHERE state!='ok' AND reason='write'")" -eq 0
check "every version was a range pre-image ($(status_field "$SD" range_versions))" \
    test "$(status_field "$SD" range_versions)" -ge 9

# a small file still gets a whole pre-image before its write
t_small=$(stamp)
echo changed >"$D/small.bin"
mkdir -p "$OUT/small"
timeout 60 "$VIGIL" --state-dir "$SD" restore "$D/small.bin" --at "@$t_small" --to "$OUT/small" >/dev/null 2>&1
check "a small file is preserved whole and restores" test "$(sha "$OUT/small/small.bin")" = "$small_sha"

# a clean stop while a version fills completes it
t_stop=$(stamp)
timeout 60 dd if=/dev/zero of="$D/stop.img" bs=4K seek=19000 count=1 conv=notrunc status=none
stop_vigild
check "clean stop: the filling version was completed" \
    test "$(sqlite3 "$SD/journal.db" "SELECT state FROM versions WHERE path='$D/stop.img' ORDER BY id DESC LIMIT 1")" = ok
check "clean stop: it restores byte-identical" restored_same stop "$t_stop" "$T/stop.sha0"

# kill -9 while a version fills: the version is partial, restore refuses it
start_vigild "$SD" -c "$T/range.conf" --protect "$D" || notok "restart"
t_crash=$(stamp)
timeout 60 dd if=/dev/zero of="$D/crash.img" bs=4K seek=19000 count=1 conv=notrunc status=none
kill -9 "$(daemon_pid "$SD")"; wait "$VPID" 2>/dev/null; VPID=""
start_vigild "$SD" -c "$T/range.conf" --protect "$D" || notok "restart after kill -9"
check "kill -9 while filling: the version is marked partial" \
    test "$(sqlite3 "$SD/journal.db" "SELECT state FROM versions WHERE path='$D/crash.img' ORDER BY id DESC LIMIT 1")" = partial
rm -rf "$OUT/crash"; mkdir -p "$OUT/crash"
timeout 60 "$VIGIL" --state-dir "$SD" restore "$D/crash.img" --at "@$t_crash" --to "$OUT/crash" >/dev/null 2>"$T/crash.err"; rc=$?

check "restore refuses the partial version (exit $rc) and says why" \
    bash -c "[ $rc -ne 0 ] && grep -q incomplete '$T/crash.err' && [ ! -e '$OUT/crash/crash.img' ]"
check "journal passes integrity_check" test "$(sqlite3 "$SD/journal.db" 'PRAGMA integrity_check')" = ok
stop_vigild
summary
