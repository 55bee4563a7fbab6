#!/usr/bin/env bash
# setup.sh - install what vigil needs to build, test and benchmark, from
# Debian 12 packages (docs/dependencies.md says why each one is here).
# Run as root.  Safe to run again: it installs only what is missing.
set -euo pipefail
PKGS=(
  build-essential clang libclang-rt-14-dev pkg-config make
  libsqlite3-dev sqlite3 libcmocka-dev libssl-dev
  e2fsprogs xfsprogs btrfs-progs util-linux attr acl
  python3 rsync gzip sed coreutils fio hyperfine
  libjansson-dev libcurl4-openssl-dev libbtrfsutil-dev samba smbclient iproute2
  chromium python3-jsonschema imagemagick
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# loop devices for the test filesystems
modprobe loop 2>/dev/null || true
if [ -x eval/setup.sh ] && [ "${VIGIL_SKIP_EVAL_SETUP:-0}" != 1 ]; then
  eval/setup.sh
fi
echo "setup: ok"
