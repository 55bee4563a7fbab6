#!/usr/bin/env bash
# run.sh - every integration test, on every filesystem; one summary line.
cd "$(dirname "$0")" || exit 1
[ "$(id -u)" -eq 0 ] || { echo "integration tests need root (loop mounts, fanotify)"; exit 1; }
total_p=0; total_f=0
run() {
	echo "=== $*"
	out=$(timeout 900 "$@" 2>&1); rc=$?
	echo "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -1)
	p=$(awk '{print $1}' <<<"$line"); f=$(awk '{print $3}' <<<"$line")
	[ -n "$p" ] || { p=0; f=1; echo "(no summary: counted as a failure, rc=$rc)"; }
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	total_p=$((total_p + p)); total_f=$((total_f + f))
}
run ./badinput.sh
for fs in ext4 xfs btrfs; do run ./primitives.sh $fs; done
run ./range.sh
run ./crash.sh ext4
run ./crash.sh xfs
run ./retention.sh ext4
run ./failopen.sh
run ./backpressure.sh ext4
run ./busyshare.sh ext4
run ./detect.sh ext4
run ./detect.sh xfs
run ./samba.sh ext4
run ./samba.sh xfs
run ./report.sh ext4
run ./notes.sh ext4
run ./canary.sh ext4
run ./canary.sh xfs
run ./execblock.sh ext4
run ./massread.sh ext4
for fs in ext4 btrfs; do run ./tamper.sh $fs; done
echo "integration: $total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
