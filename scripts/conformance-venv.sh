#!/bin/sh
# Creates .venv-conformance (the Python virtualenv the ARM simulator's conformance test runs the
# real Azure SDKs in) and installs Tests/Conformance/requirements.txt from PyPI. Does nothing when
# the environment already matches the requirements (a stamp holds their checksum).
set -eu
cd "$(dirname "$0")/.."
VENV=.venv-conformance
REQUIREMENTS=Tests/Conformance/requirements.txt
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
echo "installing the Azure SDKs for the conformance test into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --requirement "$REQUIREMENTS"
echo "$wanted" >"$STAMP"
