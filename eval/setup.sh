#!/bin/bash
# Install what the evaluation bench needs on Debian 12 and create the
# unprivileged user the simulator and the benign workloads run as.
# Idempotent; run as root.  See eval/README.md.
set -euo pipefail

PKGS=(
  build-essential gcc clang make pkg-config libssl-dev      # ransim (C17, OpenSSL EVP)
  python3                                                   # corpus generator, runner
  dcmtk ghostscript imagemagick                             # DICOM, PDF, JPEG/PNG/TIFF
  sqlite3 zip unzip p7zip-full gnupg zstd xz-utils gzip tar # formats and benign workloads
  openssl git rsync logrotate coreutils util-linux          # benign workloads, setpriv
  postgresql postgresql-contrib postgresql-client           # pgbench workload
  e2fsprogs xfsprogs mount                                  # loop-mounted test filesystems
  samba smbclient python3-smbc iproute2                     # SMB cases: smbd, eval/sim/smbsim.py
)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: must run as root" >&2
  exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

apt_retry() {
  # apt may be locked by another install for a few minutes: wait and retry
  local i
  for i in $(seq 1 30); do
    if DEBIAN_FRONTEND=noninteractive timeout 1200 "$@"; then
      return 0
    fi
    echo "setup.sh: '$*' failed (apt locked?), retry $i/30 in 20 s" >&2
    sleep 20
  done
  return 1
}

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  apt_retry apt-get update -q
  apt_retry apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup.sh: all packages present"
fi

# Debian's postgresql package may auto-create and start a cluster; the bench
# runs its own throw-away cluster and does not need it.
if ! id vigil-sim >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --user-group vigil-sim
  echo "setup.sh: created user vigil-sim"
fi
id postgres >/dev/null 2>&1 || { echo "setup.sh: no postgres user after install" >&2; exit 1; }

# sanity: the tools the bench calls
for t in dump2dcm img2dcm dcmcjpeg dcmodify gs convert mogrify sqlite3 zip 7z gpg zstd xz \
         openssl git rsync logrotate setpriv runuser mkfs.ext4 mkfs.xfs losetup debugfs; do
  command -v "$t" >/dev/null || { echo "setup.sh: missing tool $t" >&2; exit 1; }
done
ls /usr/lib/postgresql/*/bin/pgbench /usr/lib/postgresql/*/bin/initdb >/dev/null
echo "setup.sh: ok"
