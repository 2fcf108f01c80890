#!/bin/sh
# Creates .venv-bench (the Python virtualenv holding check-jsonschema, the reference point of
# deployer-bench-manifests) and installs the pinned check-jsonschema from PyPI. Does nothing when the
# environment already holds that version (a stamp records it).
set -eu
cd "$(dirname "$0")/.."
VENV=.venv-bench
REQUIREMENT="check-jsonschema==0.39.0"
STAMP="$VENV/.requirement"
PYTHON="${PYTHON:-python3}"

if [ -x "$VENV/bin/check-jsonschema" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQUIREMENT" ]; then
    exit 0
fi
command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON is not installed (Debian: apt-get install python3 python3-venv)" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV" || {
        echo "error: cannot create $VENV (Debian: apt-get install python3-venv)" >&2
        rm -rf "$VENV"
        exit 2
    }
fi
echo "installing $REQUIREMENT into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$REQUIREMENT"
echo "$REQUIREMENT" >"$STAMP"
