#!/bin/bash
# vigil-eval: run-as=root
# PostgreSQL with its data directory in the share: initdb as postgres, start
# on a unix socket in the scratch dir, pgbench -i -s 5, a 20 s run, stop.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
# shellcheck disable=SC2012
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
data=$S/Databases/pgdata
sock=$SCRATCH/pgsock
mkdir -p "$S/Databases" "$sock"
chown postgres: "$S/Databases" "$sock"
chmod 700 "$sock"
pg() { runuser -u postgres -- "$@"; }
cleanup() { pg timeout 60 "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
pg timeout 120 "$bin/initdb" -A trust -U postgres -D "$data" >/dev/null
pg timeout 60 "$bin/pg_ctl" -D "$data" -w -t 50 -l "$sock/postgres.log" \
   -o "-k $sock -c listen_addresses='' -c fsync=on -c shared_buffers=64MB" start >/dev/null
pg timeout 300 "$bin/pgbench" -h "$sock" -U postgres -q -i -s "${PGBENCH_SCALE:-5}" postgres >/dev/null 2>&1
pg timeout 120 "$bin/pgbench" -h "$sock" -U postgres -c 4 -j 2 -T "${PGBENCH_SECONDS:-20}" postgres > "$SCRATCH/pgbench.out" 2>&1
grep -q 'tps = ' "$SCRATCH/pgbench.out" || fail "pgbench did not report"
pg timeout 60 "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
trap - EXIT
grep -m1 'tps = ' "$SCRATCH/pgbench.out"
