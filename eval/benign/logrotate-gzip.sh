#!/bin/bash
# logrotate with compress: the IT logs are rotated (renamed to .1, gzip'd, the
# original recreated) three times in a row, as a week of nightly runs would
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
ls Admin/IT/logs/*.log >/dev/null 2>&1 || fail "no logs"
conf=$SCRATCH/logrotate.conf
cat > "$conf" <<CONF
$S/Admin/IT/logs/*.log {
    rotate 4
    compress
    missingok
    notifempty
    create 0644
}
CONF
chmod 644 "$conf"
for i in 1 2 3; do
  logrotate -f -s "$SCRATCH/logrotate.state" "$conf"
  for f in Admin/IT/logs/*.log; do
    echo "$(date -u +%FT%TZ) day $i: service restarted" >> "$f"
  done
done
ls Admin/IT/logs/*.log.1.gz >/dev/null || fail "no rotated logs"
for z in Admin/IT/logs/*.gz; do gzip -t "$z"; done
