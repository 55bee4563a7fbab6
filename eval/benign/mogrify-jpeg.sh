#!/bin/bash
# ImageMagick mogrify: resize and recompress up to 200 ward photos in place
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh" "$@"
files '*.jpg' 200 Wards > "$SCRATCH/jpgs"
n=$(tr -cd '\0' < "$SCRATCH/jpgs" | wc -c)
[ "$n" -gt 0 ] || fail "no jpegs"
xargs -0 -n 20 mogrify -resize 90% -quality 80 < "$SCRATCH/jpgs"
xargs -0 identify -regard-warnings < "$SCRATCH/jpgs" > /dev/null
echo "mogrify-jpeg: $n files"
