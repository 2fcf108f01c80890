#!/bin/sh
# Usage: scripts/python-venv.sh VENV REQUIREMENTS_FILE WHAT
# Creates the Python virtualenv VENV and installs REQUIREMENTS_FILE from PyPI into it (WHAT says
# what for, in the one line printed). Does nothing when VENV already matches the requirements (a
# stamp in VENV holds their checksum).
set -eu
cd "$(dirname "$0")/.."
VENV=$1
REQUIREMENTS=$2
WHAT=$3
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

wanted=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ]; then
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
echo "installing $WHAT into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$REQUIREMENTS"
echo "$wanted" >"$STAMP"
