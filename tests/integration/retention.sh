#!/usr/bin/env bash
# retention.sh FS - retention by space budget and by age.
# Budget: more pre-images than vault_budget allows are evicted oldest
# first until the vault is back under the budget; evicting versions younger
# than retention_days is a CRIT "budget-evict" alert and counted in
# "vigil status"; the versions that stay restore byte-identical; a file
# whose evicted version still was its live content is preserved again when
# it is overwritten.  Under load (4 writers while retention runs) each
# eviction is still marked in the journal, counted and alerted once, and no
# kept version loses its file.
# Age: versions whose created time is moved back 8 days in the journal
# (retention_days is in days: nothing else makes a version old in a test)
# are evicted at the next pass, the young ones stay, and no young-eviction
# alert or counter is raised.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
SQLITE=$(readlink -f "$(command -v sqlite3)")
BUDGET=$((4 * 1024 * 1024))    # vault_budget, bytes
FSIZE=$((300 * 1024))          # each file: ~13 pre-images fit the budget
NF=30                          # files overwritten: ~9 MiB of pre-images
# sqlite3 reading the journal is "another program": allowlisted, as in
# tamper.sh.  detect = off: this is about versions, not about dd.
conf() { # conf FILE BUDGET
	printf 'retention_interval = 1\nretention_days = 7\nvault_budget = %s\ndetect = off\nallow_exe = %s\n' \
	    "$2" "$SQLITE" >"$1"
}
q() { timeout 20 sqlite3 -cmd '.timeout 5000' "$1/journal.db" "$2" 2>/dev/null; }
# wait_for SECONDS 'CONDITION': evaluate it every 0.2 s until it holds
wait_for() { local n=$(( $1 * 5 )); for _ in $(seq "$n"); do eval "$2" && return 0; sleep 0.2; done; return 1; }
now_iso() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
hist_state() { # hist_state SD FILE: the states in vigil --json history
	timeout 20 "$VIGIL" --state-dir "$1" --json history "$2" 2>/dev/null |
	    grep -o '"state":"[a-z]*"' | sed 's/.*:"\(.*\)"/\1/' | tr '\n' ' '
}
# fresh_fs NAME: a loop-mounted filesystem at $T/NAME, or stop here (never
# protect a directory of the filesystem /tmp is on)
fresh_fs() {
	mkfs_mount "$FS" "$1" 320M >/dev/null 2>&1
	mountpoint -q "$T/$1" || { notok "mkfs and mount $FS at $T/$1"; summary; exit 1; }
}

# ---- space budget ----------------------------------------------------
fresh_fs mnt
S=$T/mnt/share SD=$T/state VAULT=$T/mnt/.vigil-vault
mkdir -p "$S" "$T/orig"
for i in $(seq 1 $NF); do head -c $FSIZE /dev/urandom >"$S/f$i"; cp "$S/f$i" "$T/orig/f$i"; done
head -c $FSIZE /dev/urandom >"$S/h"; cp "$S/h" "$T/orig/h"
conf "$T/budget.conf" "$BUDGET"
timeout 20 "$VIGILD" -c "$T/budget.conf" --check-config --protect "$S" --state-dir "$SD" >/dev/null 2>&1
check "config with retention_interval, retention_days, vault_budget (bytes) is valid" test $? -eq 0
start_vigild "$SD" -c "$T/budget.conf" --protect "$S" || { notok "vigild start"; summary; exit 1; }
# h: opened for writing, nothing written: its version (the oldest) holds
# the content that is still live
timeout 30 dd if=/dev/null of="$S/h" conv=notrunc status=none
wait_for 10 '[ "$(q "$SD" "SELECT count(*) FROM versions WHERE path='"'"'$S/h'"'"'")" = 1 ]'
check "a write-open that writes nothing keeps a version" \
    test "$(q "$SD" "SELECT count(*) FROM versions WHERE path='$S/h'")" = 1
declare -A AT
for i in $(seq 1 $NF); do
	AT[$i]=$(now_iso)
	timeout 30 dd if=/dev/urandom of="$S/f$i" bs=4096 count=1 conv=notrunc status=none
done
# every overwrite left a version row (evicted or not)
wait_for 15 '[ "$(q "$SD" "SELECT count(*) FROM versions")" -ge $((NF + 1)) ]'
nv=$(q "$SD" "SELECT count(*) FROM versions WHERE path!='$S/h'")
check "one version per overwritten file ($nv of $NF)" test "$nv" -eq $NF
nv=$((nv + 1))
used() { q "$SD" "SELECT coalesce(sum(bytes),0) FROM versions WHERE evicted=0"; }
settled() {
	[ "$(used)" -le $BUDGET ] &&
	[ "$(q "$SD" "SELECT count(*) FROM alerts WHERE kind='budget-evict'")" = \
	  "$(q "$SD" "SELECT count(*) FROM versions WHERE evicted!=0")" ] &&
	[ "$(status_field "$SD" evicted_young)" = "$(q "$SD" "SELECT count(*) FROM versions WHERE evicted!=0")" ]
}
wait_for 20 settled
ne=$(q "$SD" "SELECT count(*) FROM versions WHERE evicted!=0")
check "versions were evicted by the budget ($ne of $nv)" test "$ne" -gt 0
check "not every version was evicted ($ne of $nv)" test "$ne" -lt "$nv"
u=$(used)
check "journal: versions kept add up to at most the budget ($u <= $BUDGET)" test "$u" -le $BUDGET
check "journal: the budget is nearly used, not emptied ($u > $BUDGET/2)" test "$u" -gt $((BUDGET / 2))
du_b=$(du -s --block-size=1 "$VAULT" | cut -f1)
check "du of the vault is back under the budget ($du_b <= $BUDGET)" test "$du_b" -le $BUDGET
maxev=$(q "$SD" "SELECT max(id) FROM versions WHERE evicted!=0")
minkept=$(q "$SD" "SELECT min(id) FROM versions WHERE evicted=0")
check "oldest first: every evicted id ($maxev max) is below every kept one ($minkept min)" \
    test "$maxev" -lt "$minkept"
bycreated=$(q "$SD" "SELECT count(*) FROM versions e, versions k WHERE e.evicted!=0 AND k.evicted=0 AND e.created>k.created")
check "oldest first by created time too ($bycreated inversions)" test "$bycreated" = 0
gone=0; there=0
for id in $(q "$SD" "SELECT id FROM versions WHERE evicted!=0"); do [ -e "$VAULT/versions/$id" ] && gone=$((gone + 1)); done
for id in $(q "$SD" "SELECT id FROM versions WHERE evicted=0"); do [ -f "$VAULT/versions/$id" ] || there=$((there + 1)); done
check "evicted versions' files are gone from the vault ($gone left)" test $gone -eq 0
check "kept versions' files are in the vault ($there missing)" test $there -eq 0
# the first overwritten file's version is among the oldest: evicted; the
# last one's is kept
check "vigil --json history: the oldest version is evicted" test "$(hist_state "$SD" "$S/f1")" = "evicted "
check "vigil --json history: the newest version is kept" test "$(hist_state "$SD" "$S/f$NF")" = "ok "
# vigil status (and --json) counts the young evictions
ey=$(status_field "$SD" evicted_young); ev=$(status_field "$SD" evicted)
check "vigil --json status: evicted_young = $ey = versions evicted ($ne)" test "$ey" = "$ne"
check "vigil --json status: evicted = $ev" test "$ev" = "$ne"
st=$(timeout 20 "$VIGIL" --state-dir "$SD" status 2>&1)
check "vigil status says protection ACTIVE" grep -q 'protection ACTIVE' <<<"$st"
check "vigil status shows evicted_young:$ne" grep -q "\"evicted_young\":$ne[,}]" <<<"$st"
# one CRIT budget-evict alert per young version evicted, also in the log
na=$(q "$SD" "SELECT count(*) FROM alerts WHERE kind='budget-evict' AND level=2")
check "one CRIT budget-evict alert per evicted version ($na of $ne)" test "$na" = "$ne"
m=$(q "$SD" "SELECT message FROM alerts WHERE kind='budget-evict' ORDER BY id LIMIT 1")
check "the first alert names the oldest version" grep -q "evicted version $(q "$SD" "SELECT min(id) FROM versions") from" <<<"$m"
check "the alert says which setting to raise" grep -q 'Raise vault_budget' <<<"$m"
check "vigild logged the budget-evict alert" grep -q 'ALERT budget-evict' "$T/vigild.log"
# kept versions restore byte-identical: the newest and the oldest kept one
for f in "f$NF" "$(q "$SD" "SELECT substr(path, length('$S/') + 1) FROM versions WHERE id=$minkept")"; do
	i=${f#f}
	rm -rf "$T/out-$f"
	timeout 30 "$VIGIL" --state-dir "$SD" restore "$S/$f" --at "${AT[$i]}" --to "$T/out-$f" >/dev/null 2>&1
	check "a kept version ($f) restores --at ${AT[$i]} byte-identical" cmp -s "$T/out-$f/$f" "$T/orig/$f"
done
# the live file was overwritten: the restore is not just a copy of it
check "the restored content is the pre-image, not the live file" sh -c "! cmp -s '$S/f$NF' '$T/orig/f$NF'"
# h's only version was evicted; its content is still live.  Overwriting h
# now must keep that content again (it is no longer in the vault)
check "h's version was evicted, h itself is unchanged" \
    test "$(hist_state "$SD" "$S/h")" = "evicted " -a "$(cmp -s "$S/h" "$T/orig/h"; echo $?)" = 0
ATH=$(now_iso)
timeout 30 dd if=/dev/urandom of="$S/h" bs=4096 count=1 conv=notrunc status=none
wait_for 10 '[ "$(q "$SD" "SELECT count(*) FROM versions WHERE path='"'"'$S/h'"'"'")" = 2 ]'
check "overwriting h after its version was evicted keeps a new version ($(hist_state "$SD" "$S/h"))" \
    test "$(hist_state "$SD" "$S/h")" = "evicted ok "
rm -rf "$T/out-h"
timeout 30 "$VIGIL" --state-dir "$SD" restore "$S/h" --at "$ATH" --to "$T/out-h" >/dev/null 2>&1
check "h restores --at just before the overwrite byte-identical" cmp -s "$T/out-h/h" "$T/orig/h"

# ---- space budget under load: 4 writers for 3 s, retention passes while
# the journal writer commits; each eviction must be marked and counted once
end=$(( $(date +%s) + 3 )); WP=()
for w in 1 2 3 4; do
	( while [ "$(date +%s)" -lt $end ]; do
		for i in $(seq $w 4 $NF); do
			timeout 10 dd if=/dev/urandom of="$S/f$i" bs=4096 count=1 conv=notrunc status=none
		done
	done ) &
	WP+=($!)
done
wait "${WP[@]}"
wait_for 20 settled
nv=$(q "$SD" "SELECT count(*) FROM versions")
ne=$(q "$SD" "SELECT count(*) FROM versions WHERE evicted!=0")
check "under load: many more versions than fit ($nv, $ne evicted)" test "$nv" -gt $((NF * 2))
u=$(used)
check "under load: versions kept add up to at most the budget ($u)" test "$u" -le $BUDGET
du_b=$(du -s --block-size=1 "$VAULT" | cut -f1)
check "under load: du of the vault is under the budget ($du_b)" test "$du_b" -le $BUDGET
ev=$(status_field "$SD" evicted); ey=$(status_field "$SD" evicted_young)
check "under load: each eviction counted once (evicted=$ev, evicted_young=$ey, rows=$ne)" \
    test "$ev $ey" = "$ne $ne"
na=$(q "$SD" "SELECT count(*) FROM alerts WHERE kind='budget-evict'")
nd=$(q "$SD" "SELECT count(DISTINCT substr(message, instr(message, 'evicted version'), 30)) FROM alerts WHERE kind='budget-evict'")
check "under load: one budget-evict alert per evicted version ($na alerts, $nd distinct, $ne rows)" \
    test "$na $nd" = "$ne $ne"
there=0
for id in $(q "$SD" "SELECT id FROM versions WHERE evicted=0"); do [ -f "$VAULT/versions/$id" ] || there=$((there + 1)); done
check "under load: no kept version lost its file ($there missing)" test $there -eq 0
check "vigild logged no failed eviction" sh -c "! grep -q 'evict version' '$T/vigild.log'"
stop_vigild

# ---- age -------------------------------------------------------------
fresh_fs mnt2
S2=$T/mnt2/share SD2=$T/state2 VAULT2=$T/mnt2/.vigil-vault
mkdir -p "$S2"
for i in $(seq 1 10); do head -c 20000 /dev/urandom >"$S2/g$i"; cp "$S2/g$i" "$T/orig/g$i"; done
conf "$T/age.conf" 1G
start_vigild "$SD2" -c "$T/age.conf" --protect "$S2" || { notok "vigild start (age)"; summary; exit 1; }
for i in $(seq 1 10); do timeout 30 dd if=/dev/urandom of="$S2/g$i" bs=4096 count=1 conv=notrunc status=none; done
wait_for 15 '[ "$(q "$SD2" "SELECT count(*) FROM versions")" -ge 10 ]'
sleep 2 # two retention passes: nothing is old yet
check "young versions under the budget: nothing evicted" test "$(q "$SD2" "SELECT count(*) FROM versions WHERE evicted!=0")" = 0
stop_vigild
# make g1..g5's versions 8 days old (retention_days = 7)
OLD="SELECT id FROM versions WHERE path IN ('$S2/g1','$S2/g2','$S2/g3','$S2/g4','$S2/g5')"
q "$SD2" "UPDATE versions SET created = created - 8*86400*1000000000 WHERE id IN ($OLD)"
old_ids=$(q "$SD2" "$OLD" | tr '\n' ' ')
young_ids=$(q "$SD2" "SELECT id FROM versions WHERE id NOT IN ($OLD)" | tr '\n' ' ')
check "5 versions made old, 5 young (old: $old_ids)" test "$(wc -w <<<"$old_ids") $(wc -w <<<"$young_ids")" = "5 5"
log_at=$(wc -l <"$T/vigild.log")
start_vigild "$SD2" -c "$T/age.conf" --protect "$S2" || { notok "vigild restart (age)"; summary; exit 1; }
wait_for 15 '[ "$(q "$SD2" "SELECT count(*) FROM versions WHERE evicted!=0")" -ge 5 ]'
sleep 1.5 # one more pass: nothing else goes
ev_old=$(q "$SD2" "SELECT count(*) FROM versions WHERE evicted!=0 AND id IN ($OLD)")
ev_young=$(q "$SD2" "SELECT count(*) FROM versions WHERE evicted!=0 AND id NOT IN ($OLD)")
check "versions older than retention_days are evicted ($ev_old of 5)" test "$ev_old" = 5
check "young versions stay ($ev_young evicted)" test "$ev_young" = 0
gone=0; there=0
for id in $old_ids; do [ -e "$VAULT2/versions/$id" ] && gone=$((gone + 1)); done
for id in $young_ids; do [ -f "$VAULT2/versions/$id" ] || there=$((there + 1)); done
check "old versions' files are gone from the vault ($gone left)" test $gone -eq 0
check "young versions' files are still in the vault ($there missing)" test $there -eq 0
check "vigil --json history: an old version is evicted" test "$(hist_state "$SD2" "$S2/g1")" = "evicted "
check "vigil --json history: a young version is kept" test "$(hist_state "$SD2" "$S2/g10")" = "ok "
check "vigil --json status: evicted = 5 after the age pass" test "$(status_field "$SD2" evicted)" = 5
check "age eviction is not counted as young (evicted_young = $(status_field "$SD2" evicted_young))" \
    test "$(status_field "$SD2" evicted_young)" = 0
check "age eviction raises no budget-evict alert" \
    test "$(q "$SD2" "SELECT count(*) FROM alerts WHERE kind='budget-evict'")" = 0
check "and logs none" sh -c "! tail -n +$((log_at + 1)) '$T/vigild.log' | grep -q 'budget-evict'"
rm -rf "$T/out-g10"
timeout 30 "$VIGIL" --state-dir "$SD2" restore "$S2/g10" --to "$T/out-g10" >/dev/null 2>&1
check "a young version still restores byte-identical" cmp -s "$T/out-g10/g10" "$T/orig/g10"
stop_vigild
summary
