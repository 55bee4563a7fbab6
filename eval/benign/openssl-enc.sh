#!/bin/bash
# openssl enc: encrypt one database file for transfer, next to the original
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
f=Pharmacy/formulary.sqlite
[ -f "$f" ] || fail "no $f"
openssl enc -aes-256-cbc -pbkdf2 -salt -pass pass:transfer-key -in "$f" -out "$f.enc"
openssl enc -d -aes-256-cbc -pbkdf2 -pass pass:transfer-key -in "$f.enc" | cmp - "$f"
