# bench/settle.sh - sourced by bench/run.sh and bench/smb.sh.
#
# wait_settled VIGIL STATE_DIR: wait (30 s at most) until the vigild behind
# STATE_DIR has handled, journaled and analysed everything queued, so that
# work an untimed step caused is not timed as the next workload's.
# Returns 1 (and says so) if it is still busy after 30 s.
wait_settled() {
	local st i
	for i in $(seq 300); do
		st=$("$1" --state-dir "$2" --json status 2>/dev/null)
		grep -q '"notify_backlog":0,' <<<"$st" && grep -q '"journal_queue":0,' <<<"$st" &&
		    { grep -q '"analysis_queue":0,' <<<"$st" || ! grep -q '"analysis_queue"' <<<"$st"; } && return 0
		sleep 0.1
	done
	echo "settle: vigild ($2) still busy after 30 s" >&2
	return 1
}
