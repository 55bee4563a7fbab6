#!/bin/bash
# dcmtk: re-encode uncompressed CT/MR images to JPEG lossless (dcmcjpeg to a
# temporary file, then rename over the original, as PACS housekeeping does)
# and anonymise the CR images in place with dcmodify.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
find Radiology -type f -name 'IM*.dcm' \( -path '*/CT/*' -o -path '*/MR/*' \) -print0 | sort -z > "$SCRATCH/dcm"
n=$(tr -cd '\0' < "$SCRATCH/dcm" | wc -c)
[ "$n" -gt 0 ] || fail "no DICOM"
while IFS= read -r -d '' f; do
  dcmcjpeg +e1 "$f" "$f.tmp"
  mv -f "$f.tmp" "$f"
done < "$SCRATCH/dcm"
find Radiology -type f -path '*/CR/*' -name '*.dcm' -print0 | xargs -0 -r dcmodify -nb -q \
  -ma "(0010,0010)=ANONYMISED" -ma "(0010,0030)=19000101"
while IFS= read -r -d '' f; do
  ts=$(dcmdump -q +P 0002,0010 "$f")   # no "| grep -q": SIGPIPE under pipefail
  [[ $ts == *JPEGLossless* ]] || fail "$f not re-encoded ($ts)"
done < "$SCRATCH/dcm"
echo "dcmtk-reencode: $n files"
