#!/bin/sh
# Creates .venv-conformance (the Python virtualenv the ARM simulator's conformance test runs the
# real Azure SDKs in) from Tests/Conformance/requirements.txt; quick when it is already there.
exec "$(dirname "$0")/python-venv.sh" .venv-conformance Tests/Conformance/requirements.txt \
    "the Azure SDKs for the conformance test"
