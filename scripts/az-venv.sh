#!/bin/sh
# Creates .venv-az (a Python virtualenv holding the real az CLI, azure-cli from PyPI) for the az
# rehearsal and its conformance test; quick when it is already there.
exec "$(dirname "$0")/python-venv.sh" .venv-az Tests/Conformance/az-requirements.txt "the az CLI for the pipeline rehearsal"
