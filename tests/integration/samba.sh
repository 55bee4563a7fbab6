#!/usr/bin/env bash
# samba.sh FS - a real Samba server, two real smbclient clients from two
# addresses, one of them ransomware.
#
# The test builds everything it uses and removes it on exit: a loop-mounted
# filesystem holding the share; two network namespaces (the "ward PC" and
# the "infected PC"), each joined to this host by a veth pair, so that the
# two clients really come from two addresses; an smbd with its own
# smb.conf, port, state directories and users.  vigild protects the share.
#
# The infected PC downloads files, encrypts them locally (raw AES, as
# lockers do) and writes them back: overwrite in place with a rename to a
# new extension, and new-file-then-delete, plus a ransom note per folder;
# each file over a fresh connection, as a client's retries would.  The
# ward PC keeps reading and writing its own files throughout.  Checked:
# the incident names the client (address and user); the ward PC never
# saw an error; the infected PC cannot reconnect (the ban); its smbd is
# gone; rollback makes every file byte-identical and keeps the ward PC's
# work; release lets the client back in.
. "$(dirname "$0")/lib.sh"
FS=${1:-ext4}
for p in smbd smbclient smbstatus smbcontrol smbpasswd ip; do
	command -v "$p" >/dev/null || { notok "$p missing (scripts/setup.sh installs it)"; summary; exit 1; }
done
chmod 755 "$T"     # smbd serves the share as the two users
mkfs_mount "$FS" mnt 600M

# ---- network: two client namespaces on their own /24s ----
SUF=$(( $$ % 200 + 20 ))
NSA=vigA$SUF; NSB=vigB$SUF
A_HOST=10.$SUF.1.1; A_IP=10.$SUF.1.2
B_HOST=10.$SUF.2.1; B_IP=10.$SUF.2.2
net_down() {
	ip link del "va$SUF" 2>/dev/null; ip link del "vb$SUF" 2>/dev/null
	ip netns del "$NSA" 2>/dev/null; ip netns del "$NSB" 2>/dev/null
}
net_up() { # ns veth-host veth-ns host-ip ns-ip
	ip netns add "$1" && ip link add "$2" type veth peer name "$3" &&
	ip link set "$3" netns "$1" && ip addr add "$4/24" dev "$2" &&
	ip link set "$2" up && ip -n "$1" addr add "$5/24" dev "$3" &&
	ip -n "$1" link set "$3" up && ip -n "$1" link set lo up
}
SMBD_PIDFILE=""
samba_cleanup() {
	[ -n "$SMBD_PIDFILE" ] && [ -f "$SMBD_PIDFILE" ] && kill -9 "$(cat "$SMBD_PIDFILE")" 2>/dev/null
	pkill -9 -f "smbd -s $T/samba/smb.conf" 2>/dev/null
	net_down
}
at_exit samba_cleanup
net_down
net_up "$NSA" "va$SUF" "va${SUF}n" "$A_HOST" "$A_IP" &&
net_up "$NSB" "vb$SUF" "vb${SUF}n" "$B_HOST" "$B_IP"
check "two client namespaces with their own addresses" test $? -eq 0

# ---- users and the share ----
getent group vigil-smb >/dev/null || groupadd -r vigil-smb
for u in vigil-ward vigil-infected; do
	id "$u" >/dev/null 2>&1 || useradd -r -M -N -g vigil-smb -s /usr/sbin/nologin "$u"
done
SH=$T/mnt/share
mkdir -p "$SH"/{Lab,Wards,Radiology} "$SH/Ward-PC"
for i in 1 2 3 4 5; do
	{ echo "mrn,test,value"; for j in $(seq 300); do echo "MRN$i$j,K,$((j % 7)).$i"; done; } >"$SH/Lab/lab_$i.csv"
	seq 1 2000 | sed "s/^/handover $i line /" >"$SH/Wards/handover_$i.txt"
done
for i in 1 2 3; do
	timeout 60 /usr/bin/convert -size 128x128 "plasma:fractal" -seed "$i" "$SH/Radiology/scan_$i.png" 2>/dev/null
done
tar -C "$SH" -czf "$SH/Lab/archive.tar.gz" Wards
chgrp -R vigil-smb "$SH"; chmod -R g+w "$SH"; find "$SH" -type d -exec chmod 2775 {} +

SMB=$T/samba
mkdir -p "$SMB"/{private,lock,state,cache,pid,log,ncalrpc}
CONF=$SMB/smb.conf
cat >"$CONF" <<EOF
[global]
  workgroup = VIGILTEST
  server role = standalone server
  smb ports = 4450
  interfaces = $A_HOST $B_HOST
  bind interfaces only = yes
  private dir = $SMB/private
  lock directory = $SMB/lock
  state directory = $SMB/state
  cache directory = $SMB/cache
  pid directory = $SMB/pid
  ncalrpc dir = $SMB/ncalrpc
  log file = $SMB/log/log.%m
  passdb backend = tdbsam:$SMB/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  include = $T/state/smb-ban.conf
[share]
  path = $SH
  read only = no
  create mask = 0664
  directory mask = 2775
EOF
printf '[global]\n  client min protocol = SMB2\n' >"$SMB/client.conf"
for u in vigil-ward vigil-infected; do
	printf 'pw-%s\npw-%s\n' "$u" "$u" | smbpasswd -c "$CONF" -s -a "$u" >/dev/null
done
mkdir -p "$T/state"; : >"$T/state/smb-ban.conf"
SMBD_PIDFILE=$SMB/pid/smbd.pid
timeout 10 smbd -s "$CONF" -D
# the pid file comes before the sockets: wait until both addresses listen
listening() { [ "$(ss -Hltn "( sport = :4450 )" | grep -c -e "$A_HOST:" -e "$B_HOST:")" -ge 2 ]; }
for _ in $(seq 100); do [ -f "$SMBD_PIDFILE" ] && listening && break; sleep 0.1; done
check "smbd listens on $A_HOST and $B_HOST port 4450" listening
SMBD_MAIN=$(cat "$SMBD_PIDFILE" 2>/dev/null)

# client NS USER COMMANDS: one smbclient connection from a namespace
client() {
	local ns=$1 u=$2 host; shift 2
	[ "$ns" = "$NSA" ] && host=$A_HOST || host=$B_HOST
	timeout 20 ip netns exec "$ns" smbclient -s "$SMB/client.conf" -p 4450 \
	    "//$host/share" -U "$u%pw-$u" -c "$*"
}
client_q() { client "$@" >/dev/null 2>&1; }
client "$NSB" vigil-ward ls >"$T/first-ls.log" 2>&1
check "the ward PC connects" test $? -eq 0
grep -q "blocks" "$T/first-ls.log" || cat "$T/first-ls.log"
check "the infected PC connects" client_q "$NSA" vigil-infected ls

manifest() { (cd "$1" && find . -type f ! -path './Ward-PC/*' -print0 | sort -z | xargs -0 sha256sum); }
MAN=$T/manifest
manifest "$SH" >"$MAN"

SD=$T/state
printf 'smb_conf = %s\nsmb_ban = both\nrollback = manual\n' "$CONF" >"$T/vigil.conf"
start_vigild "$SD" -c "$T/vigil.conf" --protect "$SH" || notok "vigild start"

# ---- the ward PC: its own work, all along ----
WARD_LOG=$T/ward.log
ward_pc() {
	local i=0 w=$T/ward; mkdir -p "$w"
	while [ ! -f "$T/ward.stop" ]; do
		i=$((i + 1))
		echo "observation $i at $(date +%s.%N)" >"$w/obs.txt"
		if client "$NSB" vigil-ward "put $w/obs.txt Ward-PC\\obs_$i.txt; get Wards\\handover_1.txt $w/h1.txt" >/dev/null 2>&1 &&
		    cmp -s "$w/h1.txt" "$SH/Wards/handover_1.txt"; then
			echo "ok $i" >>"$WARD_LOG"
		else
			echo "FAIL $i" >>"$WARD_LOG"
		fi
		sleep 0.1
	done
}
ward_pc & WP=$!
sleep 1

# ---- the infected PC ----
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); IV=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
enc() { openssl enc -aes-256-ctr -K "$KEY" -iv "$IV" -nosalt -in "$1" -out "$2"; }
infected_pc() {
	local w=$T/inf f b n=0; mkdir -p "$w"
	for f in Lab/lab_1.csv Lab/lab_2.csv Wards/handover_2.txt Lab/archive.tar.gz Radiology/scan_1.png \
	         Lab/lab_3.csv Wards/handover_3.txt Radiology/scan_2.png Lab/lab_4.csv Wards/handover_4.txt \
	         Lab/lab_5.csv Wards/handover_5.txt Radiology/scan_3.png; do
		n=$((n + 1)); b=${f//\//\\}
		client "$NSA" vigil-infected "get $b $w/plain" >/dev/null 2>&1 || { echo "stopped at $n (get)"; return; }
		enc "$w/plain" "$w/cipher"
		if [ $((n % 2)) -eq 1 ]; then   # overwrite in place, then rename
			client "$NSA" vigil-infected "put $w/cipher $b; rename $b $b.hcrypt" >/dev/null 2>&1 || { echo "stopped at $n (put)"; return; }
		else                            # new file, then delete the original
			client "$NSA" vigil-infected "put $w/cipher $b.hcrypt; del $b" >/dev/null 2>&1 || { echo "stopped at $n (new)"; return; }
		fi
		[ $n -le 3 ] && { echo "Your files are encrypted. Pay 5 BTC to recover them." >"$w/note"
			client "$NSA" vigil-infected "put $w/note ${b%\\*}\\HOW_TO_DECRYPT.txt" >/dev/null 2>&1; }
	done
	echo "finished all $n"
}
infected_pc >"$T/infected.log" 2>&1 &
IP=$!
id=""
for _ in $(seq 300); do
	id=$(sqlite3 "$SD/journal.db" "SELECT min(id) FROM incidents" 2>/dev/null)
	[ -n "$id" ] && break; sleep 0.1
done
check "incident opened" test -n "$id"
for _ in $(seq 100); do kill -0 $IP 2>/dev/null || break; sleep 0.1; done
kill -9 $IP 2>/dev/null; wait $IP 2>/dev/null
sleep 2                      # the ward PC goes on after containment
touch "$T/ward.stop"; wait $WP
id=${id:-0}

doc=$("$VIGIL" --state-dir "$SD" --json show "$id" 2>/dev/null)
# field KEY...: a value from the incident document
field() { printf '%s' "$doc" | python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1:]: d=d[k]
print(d)' "$@" 2>/dev/null; }
addr=$(field actor smb_client address); user=$(field actor smb_client user)
check "incident names the client address (${addr:-none})" test "$addr" = "$A_IP"
check "incident names the SMB user (${user:-none})" test "$user" = vigil-infected
touched=$(field files_touched)
check "files touched before containment (${touched:-?}) <= 10" test "${touched:-99}" -le 10
check "the infected PC did not finish ($(cat "$T/infected.log"))" sh -c "! grep -q finished '$T/infected.log'"
nok=$(grep -c '^ok' "$WARD_LOG"); nfail=$(grep -c '^FAIL' "$WARD_LOG")
check "the ward PC kept working: $nok round trips, $nfail failed" sh -c "[ $nok -ge 10 ] && [ $nfail -eq 0 ]"
check "the ban file lists the client's address" grep -qx "hosts deny = $A_IP" "$SD/smb-ban.conf"
check "the ban file lists the client's user (smb_ban = both)" grep -qx "invalid users = vigil-infected" "$SD/smb-ban.conf"
if client "$NSA" vigil-infected ls >/dev/null 2>&1; then notok "the infected PC cannot reconnect"; else ok "the infected PC cannot reconnect"; fi
check "the ward PC still connects" client_q "$NSB" vigil-ward ls
left=$(ss -Htn state established "( sport = :4450 )" dst "$A_IP" | wc -l)
check "no connection of the infected PC is left ($left)" test "$left" -eq 0
# the main smbd holds each new client's socket for a moment after accept;
# containment must never take it for the client's session
check "the main smbd (pid ${SMBD_MAIN:-?}) survived containment" kill -0 "${SMBD_MAIN:-0}"

"$VIGIL" --state-dir "$SD" rollback "$id" >"$T/rb.log" 2>&1
check "vigil rollback exits 0" test $? -eq 0
diffs=$(manifest "$SH" | diff "$MAN" - | grep -c '^[<>]')
check "every file byte-identical after rollback ($diffs differing lines)" test "$diffs" -eq 0
[ "$diffs" -eq 0 ] || { manifest "$SH" | diff "$MAN" - | head -20; cat "$T/rb.log"; }
nward=$(ls "$SH/Ward-PC" | wc -l)
check "the ward PC's $nward files survived the rollback" test "$nward" -eq "$nok"

"$VIGIL" --state-dir "$SD" release "$id" >/dev/null 2>&1
check "release exits 0" test $? -eq 0
check "release lifted the ban" sh -c "! grep -q '$A_IP' '$SD/smb-ban.conf'"
check "the released client connects again" client_q "$NSA" vigil-infected ls
stop_vigild
summary
