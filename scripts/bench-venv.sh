#!/bin/sh
# Creates .venv-bench (check-jsonschema, the reference deployer-bench-manifests compares against)
# from Benchmarks/deployer-bench-manifests/requirements.txt; quick when it is already there.
exec "$(dirname "$0")/python-venv.sh" .venv-bench Benchmarks/deployer-bench-manifests/requirements.txt \
    "check-jsonschema for the manifests benchmark"
