#!/usr/bin/env bash
# report.sh FS - vigil report: an incident as JSON, as a STIX 2.1 bundle
# for other sites, and as an HTML page for a manager.
#
# A real incident first (the evaluation's simulator, qilin-rename-first:
# renames, encrypts, drops a note per folder), rolled back.  Then:
#   - the STIX bundle validates against the OASIS STIX 2.1 JSON schemas
#     (tests/data/stix2.1-schemas), references resolve, file ids are the
#     spec's UUIDv5; it carries the TLP marking and the organisation from
#     the config, indicators for the note (name + SHA-256 of its content),
#     the new extension and the executable's SHA-256; it is the same bundle
#     when generated twice; and no path or victim's file name is in it,
#     unless --include-paths;
#   - vigil ioc import reads that bundle back (the executable's hash) and
#     refuses malformed, truncated, mistyped and oversized files, changing
#     nothing;
#   - the JSON report has the timeline and the rollback counts;
#   - ECS events in events.json, RFC 5424 syslog to a local socket and to
#     a TCP collector, the HTTPS webhook retried after a 503, the TAXII 2.1
#     push with status polling, syslog over TLS with the server's
#     certificate checked (all to the test's own servers);
#   - the HTML page is self-contained (no external URL), escapes what the
#     attacker named, and renders in headless Chromium to a non-blank
#     screenshot with the timeline chart drawn.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
need_ransim
mkfs_mount "$FS" mnt 400M
S=$T/mnt/share
# a folder name an attacker (or a user) chose, which HTML must escape
W="$S/Ward 7 <b>&amp;</b>"
mkdir -p "$W/Lab" "$W/Notes"
for i in 1 2 3 4 5 6; do
	{ echo "mrn,test,value"; for j in $(seq 400); do echo "MRN$i$j,K,$((j % 7)).$i"; done; } >"$W/Lab/patient_Jane_Doe_$i.csv"
	seq 1 3000 | sed "s/^/handover $i /" >"$W/Notes/notes_$i.txt"
done
touch "$S/.vigil-ransim-target"; chown -R vigil-sim: "$S"
SD=$T/state
# a local syslog socket and a remote TCP collector, both the test's own
SYSPORT=$(( 20000 + $$ % 20000 ))
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" >/dev/null 2>&1
/usr/bin/python3 - "$T/log.sock" "$T/syslog-local.txt" "$SYSPORT" "$T/syslog-remote.txt" "$T/cert.pem" "$T/key.pem" <<'PY' &
import os, socket, ssl, sys, threading
sock, out1, port, out2, cert, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind(sock)
def listener(p):
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("127.0.0.1", p)); t.listen(4); return t
t = listener(port)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
tt = ctx.wrap_socket(listener(port + 2), server_side=True)   # syslog over TLS
def local():
    with open(out1, "ab", buffering=0) as f:
        while True:
            f.write(u.recv(65536) + b"\n")
def remote(t=t, out2=out2):
    while True:
        try:
            c, _ = t.accept()
        except (OSError, ssl.SSLError):
            continue
        with open(out2, "ab", buffering=0) as f:
            buf = b""
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                while b" " in buf:   # RFC 6587 octet counting
                    n, rest = buf.split(b" ", 1)
                    if len(rest) < int(n):
                        break
                    f.write(rest[: int(n)] + b"\n"); buf = rest[int(n):]
threading.Thread(target=local, daemon=True).start()
threading.Thread(target=remote, daemon=True).start()
threading.Thread(target=remote, args=(tt, out2 + ".tls"), daemon=True).start()
threading.Event().wait(300)
PY
LP=$!
# an HTTPS webhook and a TAXII 2.1 server, with a self-signed certificate
HTTPSPORT=$((SYSPORT + 1))
/usr/bin/python3 "$ROOT/tests/integration/https_stub.py" "$T/cert.pem" "$T/key.pem" "$HTTPSPORT" "$T" &
HP=$!
kill_listeners() { kill "$LP" "$HP" 2>/dev/null; }
at_exit kill_listeners
for _ in $(seq 50); do [ -S "$T/log.sock" ] && break; sleep 0.1; done
COLL=https://127.0.0.1:$HTTPSPORT/api1/collections/9c6e1e6e-3c0a-4d4a-9d6c-0c4a3c8b5a11/
cat >"$T/vigil.conf" <<EOF
report_org = St Example Hospital
report_tlp = amber
rollback = manual
syslog_socket = $T/log.sock
syslog_remote = 127.0.0.1:$SYSPORT
webhook_url = https://127.0.0.1:$HTTPSPORT/hook
webhook_ca = $T/cert.pem
taxii_collection = $COLL
taxii_user = isac
taxii_password = s3cret
taxii_ca = $T/cert.pem
EOF
chmod 600 "$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$S" || notok "vigild start"
"$RANSIM" --target "$S" --user vigil-sim --seed 7 --behaviour qilin-rename-first >"$T/ransim.log" 2>&1 &
RP=$!
id=""
for _ in $(seq 200); do
	# through the CLI: another program opening the journal is a tamper
	# alert (guard.c), which would come before the incident's events
	id=$("$VIGIL" --state-dir "$SD" --json incidents 2>/dev/null | /usr/bin/python3 -c "
import json, sys
ids = [i['id'] for i in json.load(sys.stdin)]
print(min(ids) if ids else '')" 2>/dev/null)
	[ -n "$id" ] && break; sleep 0.1
done
check "incident opened" test -n "$id"
id=${id:-1}
sleep 1   # the respond thread hashes the executable
"$VIGIL" --state-dir "$SD" rollback "$id" >"$T/rb.log" 2>&1
check "rollback exits 0" test $? -eq 0
kill -9 $RP 2>/dev/null; wait $RP 2>/dev/null

# ---- events for SIEMs: ECS lines, local and remote syslog ----
sleep 1
check "events.json: ECS events contained then rolled-back" /usr/bin/python3 -c "
import json,sys
ev=[json.loads(l) for l in open('$SD/events.json')]
acts=[e['event']['action'] for e in ev]
ok = acts[:1]==['ransomware-contained'] and 'ransomware-rolled-back' in acts
e=ev[0]
ok = ok and e['event']['kind']=='alert' and e['threat']['technique']['id']==['T1486'] and '@timestamp' in e
ok = ok and e['process']['executable'].endswith('ransim') and e['user']['name']=='vigil-sim' and e['vigil']['incident']['id']==$id
sys.exit(not ok)"
check "local syslog: an RFC 5424 line with structured data" grep -Eq '^<26>1 [0-9T:.-]+Z [^ ]+ vigild [0-9]+ incident \[vigil@32473 incident="'"$id"'" action="contained"' "$T/syslog-local.txt"
check "remote syslog over TCP (octet counting): contained and rolled-back" sh -c "grep -q 'action=\"contained\"' '$T/syslog-remote.txt' && grep -q 'action=\"rolled-back\"' '$T/syslog-remote.txt'"

for _ in $(seq 40); do [ -s "$T/webhook.jsonl" ] && break; sleep 0.25; done
check "webhook: HTTPS POST retried after a 503 and delivered ($(wc -l <"$T/webhook-calls" 2>/dev/null) calls)" \
    /usr/bin/python3 -c "
import json,sys; e=[json.loads(l) for l in open('$T/webhook.jsonl')]
sys.exit(not (e and e[0]['event']['action']=='ransomware-contained'))"

# ---- STIX ----
R() { "$VIGIL" --state-dir "$SD" report "$id" -c "$T/vigil.conf" "$@"; }
R --format stix -o "$T/b1.json"
check "report --format stix exits 0" test $? -eq 0
R --format stix -o "$T/b2.json"
check "the bundle is the same when generated twice" cmp -s "$T/b1.json" "$T/b2.json"
out=$(/usr/bin/python3 "$ROOT/tests/integration/stix_validate.py" "$T/b1.json" 2>&1)
check "the bundle validates against the OASIS STIX 2.1 schemas ($out)" test $? -eq 0
q() { /usr/bin/python3 -c "import json,sys; b=json.load(open('$T/b1.json')); o=b['objects']; $1"; }
check "TLP:AMBER marking on every object" q "sys.exit(not all(x.get('object_marking_refs')==['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82'] for x in o if x['type'] not in ('marking-definition','identity','file')))"
check "identity is the configured organisation" q "sys.exit(not any(x['type']=='identity' and x['name']=='St Example Hospital' for x in o))"
check "malware object of type ransomware" q "sys.exit(not any(x['type']=='malware' and x['malware_types']==['ransomware'] for x in o))"
note_sha=$(sqlite3 "$SD/journal.db" "SELECT doc FROM incidents WHERE id=$id" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(d['artifacts']['notes'][0]['sha256'])" 2>/dev/null)
check "the note's content hash is known (${note_sha:0:12}...)" test ${#note_sha} -eq 64
check "indicator: note name and content hash" q "sys.exit(not any(x['type']=='indicator' and 'RECOVER-README.txt' in x['pattern'] and '$note_sha' in x['pattern'] for x in o))"
check "indicator: the new extension" q "sys.exit(not any(x['type']=='indicator' and 'file:name LIKE' in x['pattern'] for x in o))"
exe_sha=$(sha256sum "$RANSIM" | cut -c1-64)
check "indicator: the executable's SHA-256" q "sys.exit(not any(x['type']=='indicator' and '$exe_sha' in x['pattern'] for x in o))"
check "a sighting by the organisation" q "sys.exit(not any(x['type']=='sighting' for x in o))"
check "no path or victim's file name in the bundle" sh -c "! grep -q -e '$S' -e 'patient_Jane_Doe' -e 'Ward 7' '$T/b1.json'"
R --format stix --include-paths -o "$T/b3.json"
check "--include-paths puts the evidence names in" grep -q 'patient_Jane_Doe\|notes_' "$T/b3.json"
R --format stix --tlp red -o "$T/b4.json"
check "--tlp red" grep -q 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed' "$T/b4.json"
R --format stix --tlp purple >/dev/null 2>"$T/err"; rc=$?
check "an unknown TLP is an error ($(cat "$T/err"))" test $rc -eq 2
"$VIGIL" --state-dir "$SD" report 999 --format stix >/dev/null 2>&1
check "report of an unknown incident exits 1" test $? -eq 1

# ---- TAXII 2.1 push ----
"$VIGIL" --state-dir "$SD" share "$id" -c "$T/vigil.conf" >"$T/share.log" 2>&1; rc=$?
check "vigil share: pushed to the TAXII collection, status polled to complete ($(cat "$T/share.log"))" test $rc -eq 0
check "the TAXII server got the bundle's objects" /usr/bin/python3 -c "
import json,sys; a=json.load(open('$T/taxii.json'))['objects']; b=json.load(open('$T/b1.json'))['objects']
sys.exit(a != b)"
sed 's/^taxii_password = .*/taxii_password = wrong/' "$T/vigil.conf" >"$T/bad.conf"
"$VIGIL" --state-dir "$SD" share "$id" -c "$T/bad.conf" >/dev/null 2>"$T/share.err"; rc=$?
check "a refused TAXII push exits 1 with the server's answer ($(head -c 100 "$T/share.err"))" sh -c "[ $rc -eq 1 ] && grep -q 'HTTP 401' '$T/share.err'"

# ---- vigil ioc import: another site reads what this one shared ----
"$VIGIL" --state-dir "$SD" ioc import "$T/b1.json" --source "ISAC test" >"$T/ioc.log" 2>&1
check "ioc import of our own bundle exits 0 ($(cat "$T/ioc.log"))" test $? -eq 0
check "ioc list holds the executable's hash" sh -c "'$VIGIL' --state-dir '$SD' ioc list | grep -q '^$exe_sha '"
printf '{"type":"bundle","objects":[' >"$T/bad1.json"
printf 'not json at all' >"$T/bad2.json"
printf '{"type":"bundle","objects":[{"type":"indicator","pattern_type":"stix","pattern":"[file:hashes.%sSHA-256%s = %s%064d%s]"},{"id":"no type"}]}' "'" "'" "'" 1 "'" >"$T/bad3.json"
truncate -s 65M "$T/bad4.json"
before=$("$VIGIL" --state-dir "$SD" ioc list | wc -l)
for b in bad1 bad2 bad3 bad4; do
	"$VIGIL" --state-dir "$SD" ioc import "$T/$b.json" >/dev/null 2>"$T/$b.err"; rc=$?
	check "ioc import refuses $b ($(head -c 120 "$T/$b.err"))" test $rc -eq 1
done
after=$("$VIGIL" --state-dir "$SD" ioc list | wc -l)
check "refused files changed nothing ($before -> $after)" test "$before" -eq "$after"

# ---- JSON ----
R --format json -o "$T/r.json"
check "report --format json has the timeline and rollback counts" /usr/bin/python3 -c "
import json,sys; d=json.load(open('$T/r.json'))
sys.exit(not (len(d['timeline']) >= 3 and d['rollback'].get('restored', 0) >= 1 and d['state'] == 'rolled-back'))"

# ---- HTML ----
R --format html -o "$T/r.html"
check "report --format html exits 0" test $? -eq 0
check "the page is self-contained (no external URL)" sh -c "! grep -Eiq '(src|href)=.(https?:|//)|@import|url\\(' '$T/r.html'"
check "an attacker-chosen folder name is escaped" grep -q 'Ward 7 &lt;b&gt;&amp;amp;&lt;/b&gt;' "$T/r.html"
check "no raw <b> from a file name" sh -c "! grep -q 'Ward 7 <b>' '$T/r.html'"
CHROME=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROME" ]; then
	notok "chromium missing (scripts/setup.sh installs it)"
else
	cd "$T" || exit 1
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
	    --window-size=1000,1400 --screenshot="$T/shot.png" "file://$T/r.html" >"$T/chrome.log" 2>&1
	check "chromium rendered a screenshot" test -s "$T/shot.png"
	sd=$(/usr/bin/convert "$T/shot.png" -colorspace gray -format '%[fx:standard_deviation]' info: 2>/dev/null)
	check "the screenshot is not blank (std dev ${sd:-?})" awk -v s="${sd:-0}" 'BEGIN {exit !(s > 0.05)}'
	red=$(/usr/bin/convert "$T/shot.png" -fuzz 12% -fill black +opaque '#c0392b' -fill white -opaque '#c0392b' -format '%[fx:mean*w*h]' info: 2>/dev/null)
	check "the timeline chart is drawn (${red:-0} pixels of its line)" awk -v r="${red:-0}" 'BEGIN {exit !(r > 50)}'
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
	    --dump-dom "file://$T/r.html" >"$T/dom.html" 2>/dev/null
	check "the rendered DOM has the chart" grep -q "id=\"timeline-chart\"" "$T/dom.html"
fi
stop_vigild

# ---- syslog over TLS (RFC 5425 framing), the server's certificate checked ----
sed -e "s/^syslog_remote = .*/syslog_remote = 127.0.0.1:$((SYSPORT + 2))/" "$T/vigil.conf" >"$T/tls.conf"
printf 'syslog_tls = on\nsyslog_ca = %s\n' "$T/cert.pem" >>"$T/tls.conf"
start_vigild "$SD" -c "$T/tls.conf" --protect "$S" || notok "vigild restart (TLS)"
"$VIGIL" --state-dir "$SD" release "$id" >/dev/null 2>&1
for _ in $(seq 40); do grep -q released "$T/syslog-remote.txt.tls" 2>/dev/null && break; sleep 0.25; done
check "syslog over TLS: the release reached the TLS collector" grep -q 'action="released"' "$T/syslog-remote.txt.tls"
stop_vigild
# a collector whose certificate the configured CA did not sign gets nothing
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout "$T/k2.pem" \
    -out "$T/other-ca.pem" >/dev/null 2>&1
sed -e "s|^syslog_ca = .*|syslog_ca = $T/other-ca.pem|" "$T/tls.conf" >"$T/tls-bad.conf"
n0=$(grep -c released "$T/syslog-remote.txt.tls")
start_vigild "$SD" -c "$T/tls-bad.conf" --protect "$S" || notok "vigild restart (bad CA)"
"$VIGIL" --state-dir "$SD" release "$id" >/dev/null 2>&1
sleep 2
n1=$(grep -c released "$T/syslog-remote.txt.tls")
check "syslog over TLS: an unverified server gets nothing ($n0 -> $n1)" test "$n0" -eq "$n1"
check "vigild says why (certificate verify failed)" grep -q "syslog TLS.*certificate verify failed" "$T/vigild.log"
stop_vigild
summary
