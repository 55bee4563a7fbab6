#!/usr/bin/env bash
# detect.sh FS - detection, containment and rollback against the
# evaluation bench's ransomware simulator (eval/build/ransim, harmless by
# construction: it only works below a marker file, as user vigil-sim).
#
# Data-driven: each row of CASES is "behaviour rollback-mode".  For each,
# on a fresh copy of a small tree of real files:
#   - an incident is opened and the simulator is frozen (state T);
#   - few files were touched before containment;
#   - after rollback (manual: vigil rollback ID; auto: vigild itself)
#     every original file is byte-identical and no file the simulator
#     made is left;
# then: a benign user's concurrent edits in the same folder survive a
# rollback; --undo puts the attacker's output back; release resumes a
# frozen actor; benign programs raise no incident; the allowlist works.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
need_ransim
mkfs_mount "$FS" mnt 800M

# ---- a small tree of real files (made once, copied per case) ----
TPL=$T/mnt/template
make_tree() {
	local d
	for d in Lab/exports Wards/A/notes Radiology/Reports Admin/Letters; do
		mkdir -p "$TPL/$d"
	done
	for i in 1 2 3 4; do
		{ echo "mrn,test,value,unit"; for j in $(seq 200); do echo "MRN$i$j,HbA1c,$((j % 90)),mmol/mol"; done; } >"$TPL/Lab/exports/lab_$i.csv"
		printf 'Handover ward A day %s\nPatient in bed %s stable, obs 4-hourly.\n' "$i" "$i" >"$TPL/Wards/A/notes/handover_$i.txt"
		seq 1 3000 | sed "s/^/line $i /" >>"$TPL/Wards/A/notes/handover_$i.txt"
	done
	for i in 1 2 3; do
		printf '%%!PS\n/Helvetica findfont 14 scalefont setfont 72 700 moveto (Report %s) show showpage\n' "$i" |
		    timeout 60 gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -sOutputFile="$TPL/Radiology/Reports/report_$i.pdf" - 2>/dev/null
		timeout 60 /usr/bin/convert -size 96x96 "plasma:fractal" -seed "$i" "$TPL/Radiology/Reports/scan_$i.png" 2>/dev/null
	done
	sqlite3 "$TPL/Lab/lis.sqlite" "CREATE TABLE r(id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<3000) INSERT INTO r(v) SELECT 'result '||x FROM c;"
	(cd "$TPL/Wards/A" && zip -q -r "$TPL/Admin/Letters/ward.zip" notes)
	tar -C "$TPL" -czf "$TPL/Admin/Letters/backup.tar.gz" Lab
	touch "$TPL/.vigil-ransim-target"
	chown -R vigil-sim: "$TPL"
}
make_tree

manifest() { (cd "$1" && find . -type f ! -name .vigil-ransim-target -print0 | sort -z | xargs -0 sha256sum); }
MAN=$T/manifest
manifest "$TPL" >"$MAN"

# new_share NAME: a fresh copy of the template; prints its path
new_share() {
	local s=$T/mnt/$1
	cp -a "$TPL" "$s"
	echo "$s"
}

incident_json() { "$VIGIL" --state-dir "$1" --json incidents 2>/dev/null; }
# wait_incident SD: print the first incident id (waits up to 20 s)
wait_incident() {
	local id
	for _ in $(seq 200); do
		id=$(sqlite3 "$1/journal.db" "SELECT min(id) FROM incidents" 2>/dev/null)
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.1
	done
	return 1
}
inc_field() { # SD ID FIELD
	incident_json "$1" | python3 -c "import json,sys; a=[x for x in json.load(sys.stdin) if x['id']==$2]; print(a[0].get('$3') if a else '')"
}
# sim ARGS...: start the simulator in the background (RP = its own pid,
# so that its state can be read and it can be killed) with a watchdog
sim() {
	"$RANSIM" --target "$S" --user vigil-sim --seed 7 "$@" >>"$T/ransim.log" 2>&1 &
	RP=$!
	( sleep 120; kill -9 $RP 2>/dev/null ) >/dev/null 2>&1 &
}
proc_state() { sed -n 's/^State:\s*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null; }

# ---- detection, containment, rollback per behaviour ----
CASES=${DETECT_CASES:-"conti-chunks manual
lockbit2-head4k manual
blackbasta-64of192 manual
wannacry-newfile manual
bitflip manual
base64-lowentropy manual
otrunc-rewrite manual
qilin-rename-first manual
renameover-tmp manual
babuk-fork-per-file manual
royal-8threads manual
lockfile-mmap auto"}

n=0
while read -r beh mode; do
	n=$((n + 1))
	S=$(new_share "c$n"); SD=$T/state$n
	start_vigild "$SD" --protect "$S" --rollback "$mode" || { notok "$beh: vigild start"; continue; }
	sim --behaviour "$beh"
	id=$(wait_incident "$SD")
	check "$beh: incident opened" test -n "$id"
	if [ -z "$id" ]; then kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null; stop_vigild; continue; fi
	touched=$(inc_field "$SD" "$id" files_touched)
	check "$beh: files touched before containment ($touched) <= 10" test "${touched:-99}" -le 10
	if [ "$mode" = manual ]; then
		# an open already waiting in vigild when the freeze came is
		# answered first (DENY); until then the process shows D
		for _ in $(seq 10); do st=$(proc_state $RP); [ "$st" = D ] || break; sleep 0.1; done
		check "$beh: simulator frozen (state ${st:-gone})" test "$st" = T
		"$VIGIL" --state-dir "$SD" rollback "$id" >"$T/rb$n.log" 2>&1
		check "$beh: vigil rollback exits 0" test $? -eq 0
	else
		for _ in $(seq 300); do
			[ "$(inc_field "$SD" "$id" state)" = rolled-back ] && break; sleep 0.1
		done
		check "$beh: vigild rolled back by itself (rollback = auto)" test "$(inc_field "$SD" "$id" state)" = rolled-back
		for _ in $(seq 50); do kill -0 $RP 2>/dev/null || break; sleep 0.1; done
		check "$beh: attacker killed after rollback" sh -c "! kill -0 $RP 2>/dev/null"
	fi
	diffs=$(manifest "$S" | diff "$MAN" - | grep -c '^[<>]')
	check "$beh: every file byte-identical after rollback ($diffs differing lines)" test "$diffs" -eq 0
	if [ "$diffs" -ne 0 ]; then  # enough to diagnose from a CI log
		manifest "$S" | diff "$MAN" -; cat "$T/rb$n.log" 2>/dev/null
		# first the journal rows of the differing files (a CI log
		# keeps only part of what follows)
		for f in $(manifest "$S" | diff "$MAN" - | sed -n 's/^[<>] [0-9a-f]*  //p'); do
			b=$(basename "$f"); b=${b%%.*}
			sqlite3 "$SD/journal.db" "SELECT id,time,op,dev,ino,version_id,actor_id,path,path2 FROM events WHERE path LIKE '%/$b%' OR path2 LIKE '%/$b%' ORDER BY id" 2>&1
		done
		"$VIGIL" --state-dir "$SD" events 2>&1 | tail -40
		sqlite3 "$SD/journal.db" "SELECT id,op,dev,ino,version_id,actor_id,path FROM events ORDER BY id DESC LIMIT 40" 2>&1
		"$VIGIL" --state-dir "$SD" show "$id" 2>&1 | tail -30
		tail -30 "$T/vigild.log"
	fi
	kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
	stop_vigild
done <<<"$CASES"

[ -n "${DETECT_ONLY_CASES:-}" ] && { summary; exit; }
# ---- a benign user's concurrent edits in the same folder survive ----
S=$(new_share benign); SD=$T/state-benign
start_vigild "$SD" --protect "$S" --rollback manual || notok "benign: vigild start"
N=$S/Wards/A/notes
# the benign editor (root, another process tree) keeps editing a file the
# attacker has not reached and creating a new one, in the same folder
( for i in $(seq 40); do echo "benign edit $i" >>"$N/zz_benign_log.txt"; sleep 0.05; done
  echo "written by the ward clerk" >"$N/zz_new_by_clerk.txt" ) &
BP=$!
sleep 0.3
sim --behaviour conti-chunks --interval-ms 100
id=$(wait_incident "$SD")
wait $BP
"$VIGIL" --state-dir "$SD" rollback "$id" >"$T/rb-benign.log" 2>&1
check "benign: rollback exits 0" test $? -eq 0
check "benign: the clerk's edited file kept all 40 edits" test "$(grep -c 'benign edit' "$N/zz_benign_log.txt" 2>/dev/null)" = 40
check "benign: the clerk's new file kept" grep -q "ward clerk" "$N/zz_new_by_clerk.txt"
diffs=$(manifest "$S" | grep -v zz_ | diff "$MAN" - | grep -c '^[<>]')
check "benign: the attacked files byte-identical ($diffs)" test "$diffs" -eq 0

# ---- --undo puts the attacker's output back; rollback again refuses ----
manifest "$S" >"$T/after-rollback"
"$VIGIL" --state-dir "$SD" rollback "$id" >/dev/null 2>&1
check "rollback twice refused" test $? -ne 0
"$VIGIL" --state-dir "$SD" rollback "$id" --undo >"$T/undo.log" 2>&1
rc=$?
check "rollback --undo exits 0" test $rc -eq 0
[ $rc -eq 0 ] || sed 's/^/    undo: /' "$T/undo.log" | tail -20
undiff=$(manifest "$S" | diff "$T/after-rollback" - | grep -c '^[<>]')
check "--undo changed the tree back ($undiff differing lines)" test "$undiff" -gt 0
check "incident state is rollback-undone" test "$(inc_field "$SD" "$id" state)" = rollback-undone
kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
stop_vigild

# ---- release resumes a frozen actor ----
S=$(new_share release); SD=$T/state-release
start_vigild "$SD" --protect "$S" --rollback manual || notok "release: vigild start"
sim --behaviour ransomexx-whole
id=$(wait_incident "$SD")
check "release: frozen first" test "$(proc_state $RP)" = T
"$VIGIL" --state-dir "$SD" release "$id" >/dev/null 2>&1
check "release: exits 0" test $? -eq 0
check "release: incident state released" test "$(inc_field "$SD" "$id" state)" = released
# resumed, the simulator goes on encrypting: it either finishes or is
# caught again as a new incident (a real false alarm is allowlisted)
for _ in $(seq 100); do
	n2=$(sqlite3 "$SD/journal.db" "SELECT count(*) FROM incidents")
	{ [ "$n2" -ge 2 ] || ! kill -0 $RP 2>/dev/null; } && break
	sleep 0.1
done
check "release: the simulator ran again (incidents $n2)" sh -c "[ $n2 -ge 2 ] || ! kill -0 $RP 2>/dev/null"
kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null
stop_vigild

# ---- benign programs raise no incident ----
S=$(new_share quiet); SD=$T/state-quiet
start_vigild "$SD" --protect "$S" --rollback manual || notok "quiet: vigild start"
as_sim() { timeout 120 setpriv --reuid vigil-sim --regid vigil-sim --clear-groups env HOME=/tmp "$@"; }
as_sim gzip -r "$S/Lab/exports"
as_sim sh -c "cd '$S/Wards/A/notes' && sed -i 's/stable/settled/' *.txt"
as_sim openssl enc -aes-256-cbc -pbkdf2 -pass pass:x -in "$S/Lab/lis.sqlite" -out "$S/Lab/lis.sqlite.enc"
as_sim sh -c "cd '$S/Radiology' && zip -q -r -P pw '$S/Admin/reports.zip' Reports"
as_sim /usr/bin/mogrify -resize 90% "$S"/Radiology/Reports/*.png
as_sim sqlite3 "$S/Lab/lis.sqlite" "DELETE FROM r WHERE id % 3 = 0; VACUUM;"
sleep 1
ni=$(incident_json "$SD" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "benign programs (gzip, sed -i, openssl enc, zip -P, mogrify, sqlite) raise no incident ($ni)" test "$ni" = 0
stop_vigild

# ---- allowlist: an allowlisted user is never judged ----
S=$(new_share allow); SD=$T/state-allow
printf 'allow_user = vigil-sim\n' >"$T/allow.conf"
start_vigild "$SD" -c "$T/allow.conf" --protect "$S" --rollback manual || notok "allow: vigild start"
sim --behaviour conti-chunks --max-files 8; wait $RP
sleep 1
ni=$(incident_json "$SD" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "allowlisted user: no incident ($ni)" test "$ni" = 0
stop_vigild
printf 'allow_user = root\n' >"$T/root.conf"
out=$("$VIGILD" -c "$T/root.conf" --check-config --protect "$S" 2>&1); rc=$?
check "allow_user = root refused with exit 2 ($out)" test "$rc" -eq 2
summary
