#!/usr/bin/env bash
# Runs every test suite, one after another (the timing tests must not compete for 2 cores).
# When something fails, the failures are repeated at the end, where a CI log's tail shows them.
set -uo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
log=$(mktemp /tmp/deployer-tests.XXXXXX)
"$SWIFT" test --skip-build --no-parallel "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo
  echo "==== what failed (repeated from above) ===="
  grep -E "✘|recorded an issue|Expectation failed|error:|Fatal error|Crash|signal" "$log" | grep -v "^.*✘ Test run with" | head -60
  grep -E "✘ Test run with" "$log" | tail -1
fi
rm -f "$log"
exit "$status"
