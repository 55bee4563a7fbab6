#!/bin/bash
# Safety self-test for eval/sim/ransim: it must refuse a directory without the
# marker, must not follow symlinks planted in the target (nor hard links),
# must refuse to run as root without --user, and must never touch anything
# outside the target.  Runs entirely in a private temp dir.
# Closing line: "N passed, M failed"; exit 1 on any failure.
# shellcheck disable=SC2015  # ok() and bad() always succeed
set -uo pipefail
EVAL=$(cd "$(dirname "$0")/.." && pwd)
RANSIM=$EVAL/build/ransim
[ -x "$RANSIM" ] || make -s -C "$EVAL" all >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
USER_=${VIGIL_SIM_USER:-vigil-sim}
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

T=$(mktemp -d /tmp/vigil-ransim-safety.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

mkcorpus() { # dir
  mkdir -p "$1/sub"
  for i in 1 2 3; do head -c 20000 /dev/urandom > "$1/f$i.dat"; head -c 9000 /dev/urandom > "$1/sub/g$i.dat"; done
}
as_root=0; [ "$(id -u)" -eq 0 ] && as_root=1
runsim() { # args... (drops to $USER_ when root)
  if [ $as_root -eq 1 ]; then timeout 60 "$RANSIM" --user "$USER_" "$@"; else timeout 60 "$RANSIM" "$@"; fi
}
if [ $as_root -eq 1 ] && ! id "$USER_" >/dev/null 2>&1; then
  echo "user $USER_ missing: run eval/setup.sh"; echo "0 passed, 1 failed"; exit 1
fi
give() { [ $as_root -eq 1 ] && chown -R "$USER_:$USER_" "$@"; return 0; }

# 1. no marker -> refuse, nothing changed
mkcorpus "$T/nomark"; give "$T/nomark"
before=$(cd "$T/nomark" && find . -type f -exec sha256sum {} + | sort)
runsim --behaviour ransomexx-whole --target "$T/nomark" >/dev/null 2>&1; rc=$?
after=$(cd "$T/nomark" && find . -type f -exec sha256sum {} + | sort)
[ $rc -eq 3 ] && ok "refuses a directory without the marker (exit 3)" || bad "no-marker exit code $rc, want 3"
[ "$before" = "$after" ] && ok "no file changed in the unmarked directory" || bad "files changed without marker"

# 2. marker that is a symlink -> refuse
mkcorpus "$T/linkmark"; echo x > "$T/realmarker"; ln -s "$T/realmarker" "$T/linkmark/.vigil-ransim-target"; give "$T/linkmark"
runsim --behaviour ransomexx-whole --target "$T/linkmark" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && ok "refuses a marker that is a symlink" || bad "symlinked marker accepted (exit $rc)"

# 3. target itself a symlink -> refuse
mkcorpus "$T/realtarget"; touch "$T/realtarget/.vigil-ransim-target"; give "$T/realtarget"
ln -s "$T/realtarget" "$T/targetlink"
runsim --behaviour ransomexx-whole --target "$T/targetlink" >/dev/null 2>&1; rc=$?
[ $rc -eq 3 ] && ok "refuses a target path that is a symlink" || bad "symlinked target accepted (exit $rc)"

# 4. symlinks planted inside the target (to a file and to a directory outside) -> outside untouched
mkdir -p "$T/outside/dir"
head -c 50000 /dev/urandom > "$T/outside/secret.db"
head -c 50000 /dev/urandom > "$T/outside/dir/x.doc"
cp "$T/outside/secret.db" "$T/outside/secret.ref"
give "$T/outside"   # even when writable by the simulator's user, it must not be touched
chmod -R a+rwX "$T/outside"
mkcorpus "$T/tgt"; touch "$T/tgt/.vigil-ransim-target"
ln -s "$T/outside/secret.db" "$T/tgt/secret.db"
ln -s "$T/outside/dir" "$T/tgt/linkdir"
ln -s ../../outside/secret.db "$T/tgt/sub/rel.db"
give "$T/tgt"
out_before=$(find "$T/outside" -type f -exec sha256sum {} + | sort)
for b in $("$RANSIM" --list | cut -f1); do
  [ "$b" = ryuk-slow ] && extra="--interval-ms 0" || extra=""
  # shellcheck disable=SC2086
  runsim --behaviour "$b" --target "$T/tgt" --seed 7 $extra >/dev/null 2>"$T/err.$b"; rc=$?
  out_after=$(find "$T/outside" -type f -exec sha256sum {} + | sort)
  if [ "$out_before" = "$out_after" ] && [ -L "$T/tgt/secret.db" ] && [ -L "$T/tgt/linkdir" ]; then
    ok "$b: symlinked file/dir outside the target untouched (exit $rc)"
  else
    bad "$b: something outside the target changed"
  fi
  # reset the target for the next behaviour
  rm -rf "$T/tgt"; mkcorpus "$T/tgt"; touch "$T/tgt/.vigil-ransim-target"
  ln -s "$T/outside/secret.db" "$T/tgt/secret.db"; ln -s "$T/outside/dir" "$T/tgt/linkdir"
  ln -s ../../outside/secret.db "$T/tgt/sub/rel.db"; give "$T/tgt"
done
cmp -s "$T/outside/secret.db" "$T/outside/secret.ref" && ok "outside file byte-identical after all behaviours" || bad "outside file changed"

# 5. the simulator really works on the marked target (so the checks above mean something)
runsim --behaviour ransomexx-whole --target "$T/tgt" --seed 7 > "$T/sum.json" 2>/dev/null
n=$(find "$T/tgt" -name '*.stmarys-31337' | wc -l)
[ "$n" -eq 6 ] && ok "marked target: 6 regular files encrypted and renamed" || bad "marked target: $n files encrypted, want 6"

# 6. hard link to a file outside the target -> skipped
mkdir -p "$T/hl"; touch "$T/hl/.vigil-ransim-target"; head -c 4000 /dev/urandom > "$T/outside/hard.dat"
cp "$T/outside/hard.dat" "$T/outside/hard.ref"; ln "$T/outside/hard.dat" "$T/hl/hard.dat"; give "$T/hl" "$T/outside"
runsim --behaviour bitflip --target "$T/hl" >/dev/null 2>&1
cmp -s "$T/outside/hard.dat" "$T/outside/hard.ref" && ok "hard link to an outside file skipped" || bad "hard-linked outside file changed"

# 7. as root without --user -> refuse; --user root -> refuse
if [ $as_root -eq 1 ]; then
  mkcorpus "$T/rootcase"; touch "$T/rootcase/.vigil-ransim-target"
  before=$(cd "$T/rootcase" && find . -type f -exec sha256sum {} + | sort)
  timeout 30 "$RANSIM" --behaviour ransomexx-whole --target "$T/rootcase" >/dev/null 2>&1; rc=$?
  [ $rc -eq 3 ] && ok "refuses to run as root without --user (exit 3)" || bad "ran as root without --user (exit $rc)"
  timeout 30 "$RANSIM" --behaviour ransomexx-whole --target "$T/rootcase" --user root >/dev/null 2>&1; rc=$?
  [ $rc -eq 3 ] && ok "refuses --user root" || bad "--user root accepted (exit $rc)"
  after=$(cd "$T/rootcase" && find . -type f -exec sha256sum {} + | sort)
  [ "$before" = "$after" ] && ok "nothing changed by the refused root runs" || bad "root run changed files"
  # 8. after dropping to the user, root-owned files stay out of reach
  mkcorpus "$T/rootfiles"; touch "$T/rootfiles/.vigil-ransim-target"; chmod 755 "$T/rootfiles"
  chown "$USER_" "$T/rootfiles" "$T/rootfiles/.vigil-ransim-target"
  (cd "$T/rootfiles" && find . -type f -name '*.dat' -exec sha256sum {} + > "$T/rootfiles.sum")
  timeout 30 "$RANSIM" --behaviour ransomexx-whole --target "$T/rootfiles" --user "$USER_" >/dev/null 2>&1
  (cd "$T/rootfiles" && sha256sum --quiet -c "$T/rootfiles.sum" >/dev/null 2>&1) \
    && ok "privileges really dropped: root-owned files untouched" || bad "root-owned files changed"
else
  echo "skip - root checks (not running as root)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
