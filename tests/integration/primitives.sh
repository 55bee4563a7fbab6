#!/usr/bin/env bash
# primitives.sh FS - every "recoverable" primitive of docs/guarantees.md,
# performed with real programs on a fresh FS (ext4, xfs, btrfs), then
# restored with "vigil restore" and compared byte for byte (content, mode,
# owner, mtime, xattrs).
#
# Data-driven: each case is a row "name target"; setup_<name> runs before
# vigild starts (the content to protect pre-exists, as on a real share),
# act_<name> runs while vigild protects the tree.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}

CASES="
inplace       inplace.bin
otrunc        otrunc.txt
redirect      redirect.txt
ftruncate     ftruncate.bin
gzip          gzip.txt
sed_i         sed.csv
mv_over       mvover.txt
rsync_over    rsync.dat
unlink        unlink.txt
rm_rf         tree
mmap          mmap.bin
meta          meta.dcm
rename_write  patient.pdf
dd_trunc      ddtrunc.bin
io_uring      uring.img
cp_reflink    scan.tif
"

setup_inplace()   { head -c 300000 /dev/urandom >"$1/inplace.bin"; }
act_inplace()     { dd if=/dev/zero of="$1/inplace.bin" bs=4096 count=3 seek=2 conv=notrunc status=none; }
setup_otrunc()    { seq 1 5000 >"$1/otrunc.txt"; }
act_otrunc()      { cp /etc/services "$1/otrunc.txt"; }
setup_redirect()  { echo "ward 7 handover notes" >"$1/redirect.txt"; }
act_redirect()    { echo "encrypted" >"$1/redirect.txt"; }
setup_ftruncate() { head -c 100000 /dev/urandom >"$1/ftruncate.bin"; }
act_ftruncate()   { python3 -c "import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.ftruncate(fd, 10); os.close(fd)" "$1/ftruncate.bin"; }
setup_gzip()      { seq 1 20000 >"$1/gzip.txt"; }
act_gzip()        { gzip "$1/gzip.txt"; }
setup_sed_i()     { printf 'patient,value\n%s\n' $(seq 1 3000) >"$1/sed.csv"; }
act_sed_i()       { sed -i 's/1/X/g' "$1/sed.csv"; }
setup_mv_over()   { echo "original report" >"$1/mvover.txt"; echo "other" >"$1/other.txt"; }
act_mv_over()     { mv "$1/other.txt" "$1/mvover.txt"; }
setup_rsync_over(){ head -c 50000 /dev/urandom >"$1/rsync.dat"; }
# -I: the quick check would skip a same-size file written in the same second
act_rsync_over()  { head -c 50000 /dev/urandom >"$T/rsync.src"; rsync -I "$T/rsync.src" "$1/rsync.dat"; }
setup_unlink()    { echo "lab result 42" >"$1/unlink.txt"; }
act_unlink()      { rm "$1/unlink.txt"; }
setup_rm_rf()     { mkdir -p "$1/tree/a/b"; seq 1 100 >"$1/tree/a/one"; seq 5 500 >"$1/tree/a/b/two"; echo x >"$1/tree/three"; }
act_rm_rf()       { rm -rf "$1/tree"; }
setup_mmap()      { head -c 65536 /dev/urandom >"$1/mmap.bin"; }
act_mmap()        { python3 -c "
import mmap,sys
with open(sys.argv[1],'r+b') as f:
    m=mmap.mmap(f.fileno(),0); m[0:4096]=b'\0'*4096; m.flush(); m.close()" "$1/mmap.bin"; }
setup_meta()      { head -c 20000 /dev/urandom >"$1/meta.dcm"; chown 1234:5678 "$1/meta.dcm"; chmod 640 "$1/meta.dcm";
                    setfattr -n user.department -v radiology "$1/meta.dcm"; touch -d '2020-02-03 04:05:06' "$1/meta.dcm"; }
act_meta()        { head -c 100 /dev/urandom >"$1/meta.dcm"; chmod 777 "$1/meta.dcm"; }
setup_rename_write() { head -c 30000 /dev/urandom >"$1/patient.pdf"; }
act_rename_write()   { mv "$1/patient.pdf" "$1/patient.pdf.locked"; head -c 30000 /dev/urandom | dd of="$1/patient.pdf.locked" conv=notrunc status=none; }
setup_dd_trunc()  { head -c 70000 /dev/urandom >"$1/ddtrunc.bin"; }
act_dd_trunc()    { dd if=/dev/zero of="$1/ddtrunc.bin" bs=100 count=1 status=none; }

setup_io_uring()  { head -c 1048576 /dev/urandom >"$1/uring.img"; }
act_io_uring()    { fio --name=enc --filename="$1/uring.img" --rw=randwrite --bs=4k --size=1M --io_size=256k \
                        --ioengine=io_uring --output-format=terse >/dev/null; }
setup_cp_reflink(){ head -c 200000 /dev/urandom >"$1/scan.tif"; }
act_cp_reflink()  { head -c 200000 /dev/urandom >"$T/new.tif"; cp --reflink=auto "$T/new.tif" "$1/scan.tif"; }

describe() { # path -> one line: type, mode, owner, mtime, size, sha, xattrs
	local p=$1
	if [ -d "$p" ]; then
		(cd "$p" && find . -type f | sort | while read -r f; do echo "$f $(describe "$f")"; done)
		return
	fi
	printf '%s %s %s\n' "$(stat -c '%F %a %u:%g %Y %s' "$p")" \
	    "$(sha256sum <"$p" | cut -c1-64)" \
	    "$(getfattr -d -m 'user\.' --absolute-names "$p" 2>/dev/null | grep -v '^#' | sort | tr '\n' ' ')"
}

mkfs_mount "$FS" mnt 700M
D="$T/mnt/share"; SD="$T/state"; mkdir -p "$D" "$T/orig"
while read -r name target; do
	[ -n "$name" ] || continue
	"setup_$name" "$D"
	describe "$D/$target" >"$T/orig/$name"
done <<<"$CASES"

start_vigild "$SD" --protect "$D" || { notok "$FS: vigild starts"; summary; exit 1; }
ok "$FS: vigild starts and reports active"

while read -r name target; do
	[ -n "$name" ] || continue
	timeout 60 bash -c "$(declare -f "act_$name"); T=$T; act_$name $D" \
	    || notok "$FS $name: action failed"
done <<<"$CASES"
sleep 1   # let the notification thread catch up with the unlinks

while read -r name target; do
	[ -n "$name" ] || continue
	timeout 60 "$VIGIL" --state-dir "$SD" restore "$D/$target" >"$T/restore.$name" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ "$(describe "$D/$target")" = "$(cat "$T/orig/$name")" ]; then
		ok "$FS $name: restored byte-identical with metadata"
	else
		notok "$FS $name: rc=$rc"; cat "$T/restore.$name"
		echo " want: $(cat "$T/orig/$name")"; echo " have: $(describe "$D/$target" 2>&1)"
	fi
done <<<"$CASES"

# A restore keeps what it replaces: otrunc was overwritten with
# /etc/services, so a restore-replaced version with that content exists.
n=$("$VIGIL" --state-dir "$SD" --json history "$D/otrunc.txt" | grep -o '"reason":"restore-replaced"' | wc -l)
check "$FS: restore kept the file it replaced ($n version)" test "$n" -ge 1

# restore --to DEST writes elsewhere and leaves the tree alone
"$VIGIL" --state-dir "$SD" restore "$D/unlink.txt" --to "$T/elsewhere" >/dev/null 2>&1
check "$FS: restore --to writes to DEST" cmp -s "$T/elsewhere/unlink.txt" "$D/unlink.txt"

# Never follow a symlink: replace a directory by a symlink to outside,
# then ask to restore a file below it.
mkdir -p "$T/outside" "$D/link/sub"; echo secret >"$D/link/sub/f"; sleep 0.2
echo changed >"$D/link/sub/f"; sleep 0.2
rm -rf "$D/link/sub"; ln -s "$T/outside" "$D/link/sub"
timeout 30 "$VIGIL" --state-dir "$SD" restore "$D/link/sub/f" >/dev/null 2>&1
check "$FS: restore refuses a path through a planted symlink" test ! -e "$T/outside/f"

# Outside the protected trees: refused with exit 2
"$VIGIL" --state-dir "$SD" restore "$T/mnt/elsewhere.txt" >/dev/null 2>&1
check "$FS: restore outside every tree exits 2" test $? -eq 2

# A create is journaled with the inode it made, not looked up by its name:
# a file linked into the tree and renamed at once, while the notification
# thread is still behind a burst of 4000 creates and deletes, is read
# after the rename (rollback removes what an actor made by this inode)
mkdir -p "$T/mnt/stage" "$D/burst"; echo "moved in" >"$T/mnt/stage/linked.txt"
python3 -c "
import os,sys
d, src = sys.argv[1], sys.argv[2]
for i in range(4000):
    p=os.path.join(d, 'burst', 'b%d' % i); open(p, 'w').close(); os.unlink(p)
os.link(src, os.path.join(d, 'linked.tmp'))
os.rename(os.path.join(d, 'linked.tmp'), os.path.join(d, 'linked.txt'))
" "$D" "$T/mnt/stage/linked.txt"
ino=$(stat -c %i "$D/linked.txt")
for _ in $(seq 200); do
	jino=$(sqlite3 "$SD/journal.db" "SELECT ino FROM events WHERE op='create' AND path='$D/linked.tmp'" 2>/dev/null)
	[ -n "$jino" ] && break; sleep 0.1
done
check "$FS: a create names its inode though renamed before vigild read it (${jino:-none} = $ino)" test "$jino" = "$ino"

# A file linked into the tree raises no permission event, so no open
# holds it: the notification thread does, when its create's deferred hold
# is settled, by the next event (b.txt, followed at once by another
# create) or after a quiet moment (q.txt).  Unheld, its content would be
# gone with its last name.
# (q.txt's next event is its own deletion, too late to hold it by)
echo "linked, then quiet" >"$T/mnt/stage/q.txt"; ln "$T/mnt/stage/q.txt" "$D/q.txt"
sleep 0.5
rm "$T/mnt/stage/q.txt" "$D/q.txt"
sleep 0.5
echo "linked, then busy" >"$T/mnt/stage/b.txt"; ln "$T/mnt/stage/b.txt" "$D/b.txt"; : >"$D/after-b"
sleep 0.5
rm "$T/mnt/stage/b.txt" "$D/b.txt"
sleep 1
mkdir -p "$T/linked"
timeout 30 "$VIGIL" --state-dir "$SD" restore "$D/q.txt" --to "$T/linked" >/dev/null 2>&1
check "$FS: a file linked in, then a quiet moment, is kept when deleted" \
    grep -qx "linked, then quiet" "$T/linked/q.txt"
timeout 30 "$VIGIL" --state-dir "$SD" restore "$D/b.txt" --to "$T/linked" >/dev/null 2>&1
check "$FS: a file linked in, then another create, is kept when deleted" \
    grep -qx "linked, then busy" "$T/linked/b.txt"

# The journal's actor attribution names the program that wrote
"$VIGIL" --state-dir "$SD" --json events | grep -q '"exe":"/usr/bin/sed"'
check "$FS: events attribute sed -i to /usr/bin/sed" test $? -eq 0

fo=$(status_field "$SD" failopen)
check "$FS: no opener was released by the deadline (failopen=$fo)" test "${fo:-1}" -eq 0
stop_vigild
summary
