#!/usr/bin/env bash
# badinput.sh - bad input gets a clear error, exit 2, and touches nothing.
. "$(dirname "$0")/lib.sh"

expect() { # name want_rc want_text cmd...
	local name=$1 rc=$2 text=$3; shift 3
	local out; out=$(timeout 20 "$@" 2>&1); local got=$?
	if [ "$got" -eq "$rc" ] && grep -q -- "$text" <<<"$out"; then ok "$name"
	else notok "$name (rc=$got, want $rc; output: $out)"; fi
}

mkdir -p "$T/tree" "$T/sd"; echo x >"$T/afile"
printf 'state_dir = %s\n# a comment\nworkres = 4\n' "$T/sd" >"$T/bad.conf"
expect "unknown option in config: file and line, exit 2" 2 "bad.conf:3: workres: unknown option" \
    "$VIGILD" -c "$T/bad.conf" --check-config --protect "$T/tree"
printf 'perm_timeout_ms = forever\n' >"$T/bad2.conf"
expect "bad value in config: file and line, exit 2" 2 "bad2.conf:1: perm_timeout_ms" \
    "$VIGILD" -c "$T/bad2.conf" --check-config --protect "$T/tree"
printf 'protect\n' >"$T/bad3.conf"
expect "line without = : exit 2" 2 "bad3.conf:1: expected" "$VIGILD" -c "$T/bad3.conf" --check-config
expect "missing config file: exit 2" 2 "no-such.conf" "$VIGILD" -c "$T/no-such.conf" --check-config
expect "protected path missing: exit 2" 2 "No such file" "$VIGILD" --protect "$T/nope" --state-dir "$T/sd" --foreground
expect "protected path not a directory: exit 2" 2 "not a directory" "$VIGILD" --protect "$T/afile" --state-dir "$T/sd" --foreground
expect "protected path unclean: exit 2" 2 "clean absolute" "$VIGILD" --protect "$T/tree/../tree" --check-config
ln -s "$T/tree" "$T/link"
expect "protected path through a symlink: exit 2" 2 "symlink" "$VIGILD" --protect "$T/link" --check-config
expect "nothing to protect: exit 2" 2 "nothing to protect" "$VIGILD" --check-config --state-dir "$T/sd"
expect "unknown vigild option: exit 2" 2 "usage" "$VIGILD" --bogus
expect "unknown vigil option: exit 2" 2 "usage" "$VIGIL" --bogus status
expect "unknown vigil command: exit 2" 2 "unknown command" "$VIGIL" frobnicate
expect "bad time: exit 2" 2 "bad time" "$VIGIL" --state-dir "$T/sd" restore /x --at yesterday-ish
expect "built-in config is the shipped file" 0 "vault_budget = 20%" "$VIGILD" --print-config

mkdir -p "$T/corrupt"; head -c 8192 /dev/urandom >"$T/corrupt/journal.db"
cp "$T/corrupt/journal.db" "$T/corrupt.before"
expect "corrupt state dir refused: exit 2" 2 "journal.db" "$VIGILD" --protect "$T/tree" --state-dir "$T/corrupt" --foreground
check "corrupt journal left untouched" cmp -s "$T/corrupt/journal.db" "$T/corrupt.before"

mkdir -p "$T/other"
sqlite3 "$T/other/journal.db" "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES('format','99');"
expect "state dir of another format refused: exit 2" 2 "format 99" "$VIGILD" --protect "$T/tree" --state-dir "$T/other" --foreground
check "tree untouched by failed starts" test -z "$(ls -A "$T/tree")"
expect "status without a daemon: exit 1" 1 "NOT PROTECTED" "$VIGIL" --state-dir "$T/sd" status
summary
