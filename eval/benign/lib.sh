# shellcheck shell=bash
# Common prologue for the benign workloads.  Usage in a workload:
#   . "$(dirname "$0")/lib.sh" "$@"
# Then $S is the corpus (share) directory and $SCRATCH a private scratch
# directory outside the share (for keyrings, sockets, state files).
# Each workload runs a real program over the share and then checks its own
# result; it exits 0 only if the workload completed and its output is sound.
set -euo pipefail
S=${1:?usage: $0 CORPUS_DIR}
S=$(cd "$S" && pwd)
[ -d "$S" ] || { echo "$0: $S is not a directory" >&2; exit 2; }
SCRATCH=${VIGIL_EVAL_SCRATCH:-$(mktemp -d /tmp/vigil-benign.XXXXXX)}
mkdir -p "$SCRATCH"
export HOME=$SCRATCH LC_ALL=C TZ=UTC
cd "$S"
fail() { echo "$(basename "$0"): $*" >&2; exit 1; }
# list regular files under the given dirs, NUL-separated, sorted, limited
files() { # files PATTERN N DIR...
  local pat=$1 n=$2; shift 2
  find "$@" -type f -name "$pat" -print0 2>/dev/null | sort -z | sed -z -n "1,${n}p"   # sed reads all: no SIGPIPE under pipefail
}
