#!/bin/bash
# gpg -c: symmetric encryption of one file (the payroll export) next to it
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
export GNUPGHOME=$SCRATCH/gnupg
mkdir -p "$GNUPGHOME"; chmod 700 "$GNUPGHOME"
f=Admin/Finance/Payroll/payroll_2025-02.csv
[ -f "$f" ] || fail "no $f"
gpg --batch --yes --quiet --pinentry-mode loopback --passphrase 'payroll-2025' -c "$f"
gpg --batch --quiet --pinentry-mode loopback --passphrase 'payroll-2025' -d "$f.gpg" | cmp - "$f"
