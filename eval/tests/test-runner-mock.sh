#!/bin/bash
# Checks eval/run's detection and rollback measurements end to end, using the
# MOCK vigild/vigil in tests/mock-vigil (snapshot at start, "incident" when the
# tree changes, "rollback" = copy the snapshot back).  The numbers it produces
# are about the runner, never about vigil; they go to a temp dir only.
# Closing line: "N passed, M failed".  Needs root (the runner mounts).
# shellcheck disable=SC2015  # ok() and bad() always succeed
set -uo pipefail
EVAL=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/vigil-runner-mock.XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }

timeout 600 "$EVAL/run" --ci --size small --cases conti-chunks,wannacry-newfile,gzip-r \
  --build "$EVAL/tests/mock-vigil" --out "$T/r.md" --json "$T/r.json" > "$T/log" 2>&1
rc=$?
[ -s "$T/r.json" ] || { cat "$T/log"; echo "0 passed, 1 failed"; exit 1; }
q() { python3 -c "import json,sys; d=json.load(open('$T/r.json')); c={x['case']: x for x in d['cases']}; print($1)"; }
[ "$(q "d['detector']['incidents']")" = True ] && ok "runner found the (mock) incidents command" || bad "incidents command not detected"
[ "$(q "d['detector']['rollback']")" = True ] && ok "runner found the (mock) rollback command" || bad "rollback not detected"
[ "$(q "d['detector']['rollback_manual_option']")" = True ] && ok "runner passes --rollback manual" || bad "no --rollback manual"
for b in conti-chunks wannacry-newfile; do
  [ "$(q "c['$b']['detected']")" = True ] && ok "$b: detected recorded" || bad "$b: detected not recorded"
  [ "$(q "c['$b']['files_damaged'] > 0")" = True ] && ok "$b: damage counted before rollback" || bad "$b: no damage counted"
  [ "$(q "c['$b'].get('files_not_restored')")" = 0 ] && ok "$b: files not restored = 0 after rollback" || bad "$b: not restored = $(q "c['$b'].get('files_not_restored')")"
  [ "$(q "c['$b'].get('extra_files_left')")" = 0 ] && ok "$b: no extra files after rollback" || bad "$b: extra files"
  [ "$(q "c['$b'].get('time_to_containment_ms') is not None")" = True ] && ok "$b: time to containment measured" || bad "$b: no time to containment"
  [ "$(q "c['$b'].get('files_touched_before_containment') is not None")" = True ] && ok "$b: files touched before containment measured" || bad "$b: touched not measured"
done
[ "$(q "c['gzip-r']['incidents']")" = 1 ] && ok "gzip-r: the mock's false alarm is counted" || bad "gzip-r incidents not counted"
[ $rc -ne 0 ] && grep -q "false alarm" "$T/log" && ok "CI gate fails on a false alarm (exit $rc)" || bad "CI gate did not fail on the false alarm (exit $rc)"
grep -q '| conti-chunks | Conti | .* | yes |' "$T/r.md" && ok "Markdown row shows detection" || bad "Markdown row wrong"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
