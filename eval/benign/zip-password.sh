#!/bin/bash
# zip -P: a password-protected export of a ward folder, written into the share
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
mkdir -p Exports
zip -q -r -P 'Ward-Export-2025!' Exports/ICU-export.zip Wards/ICU
unzip -q -t -P 'Ward-Export-2025!' Exports/ICU-export.zip >/dev/null
