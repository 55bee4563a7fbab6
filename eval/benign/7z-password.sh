#!/bin/bash
# 7z -p: encrypted (AES-256, encrypted headers) archive of the finance folder
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
mkdir -p Exports
7z a -bd -bso0 -bsp0 -mx=3 -mhe=on -p'Fin@nce-2025' Exports/finance-2025.7z Admin/Finance
7z t -bd -bso0 -bsp0 -p'Fin@nce-2025' Exports/finance-2025.7z
