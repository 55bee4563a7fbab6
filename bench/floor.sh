# bench/floor.sh - sourced by bench/run.sh and bench/smb.sh.
#
# floor_start BIN MNT LOG: start bench/floor.c (BIN), the allow-all
# FAN_OPEN_PERM listener, on the filesystem mounted at MNT (FLOOR_SPIN=µs
# sets its look-again) and wait until its mark is in place; FLOOR_PID is
# then its pid (timeout's, which passes TERM on).  Exits the bench if it
# does not start.  floor_stop: stop it (a no-op when none runs).
FLOOR_PID=""
floor_start() {
	coproc FLOORP { exec timeout 3600 "$1" "$2" ${FLOOR_SPIN:-} 2>>"$3"; }
	FLOOR_PID=$FLOORP_PID
	local line=""
	read -r -t 10 line <&"${FLOORP[0]}"
	[ "$line" = ready ] || { echo "floor did not start"; cat "$3"; exit 1; }
}
floor_stop() {
	[ -n "$FLOOR_PID" ] || return 0
	kill -TERM "$FLOOR_PID" 2>/dev/null
	wait "$FLOOR_PID" 2>/dev/null
	FLOOR_PID=""
}
