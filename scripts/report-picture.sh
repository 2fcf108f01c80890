#!/bin/sh
# Renders a deploy report (HTML, as `deployer report` or `deploy --report` writes it) into a PNG with
# headless Chromium: scripts/report-picture.sh REPORT.html OUT.png [WIDTH HEIGHT]
set -eu
report=$1
out=$2
width=${3:-1040}
height=${4:-960}
command -v chromium >/dev/null || { echo "chromium is not installed (make deps installs it)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --window-size="$width,$height" --screenshot="$out" "file://$(cd "$(dirname "$report")" && pwd)/$(basename "$report")" 2>/dev/null
echo "$out: $(wc -c < "$out") bytes"
