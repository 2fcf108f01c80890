#!/usr/bin/env bash
# make demo-haproxy: brings up a real lab on 127.0.0.1 (two HAProxy, four backends: deployer-lab up),
# then rolls inventories/local-haproxy.yml from v6.21.17 to v6.21.18 while a load generator sends
# requests through both HAProxy for the whole deploy (its canary passes), then tries v6.21.19-faulty,
# whose canary answers errors and is rolled back; shows how many requests failed each time. The lab stays up
# afterwards so you can try `deployer status|drain|restore local-haproxy …`; `make lab-down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release
LAB=${LAB_DIR:-/tmp/deployer-lab}
STATE=inventories/.deployer/local-haproxy

"$BIN/deployer-lab" up --dir "$LAB" --backends 4 --lbs 2 --unix-sockets --version v6.21.17
rm -rf "$STATE"
echo
"$BIN/deployer" status local-haproxy
echo
# Two releases under load: v6.21.18, which passes its canary and rolls on, then v6.21.19-faulty, whose
# canary answers errors and is rolled back (exit 7), the rest untouched.
deploy_under_load() {
  local version=$1
  echo "Load: 4 clients through http://127.0.0.1:17981/ (lb-1) and http://127.0.0.1:17982/ (lb-2) for the whole deploy."
  rm -f "$LAB/stop-load"
  "$BIN/deployer-lab" load --url http://127.0.0.1:17981/ --url http://127.0.0.1:17982/ --concurrency 4 \
      --duration 300s --stop-file "$LAB/stop-load" --json > "$LAB/load-$version.json" 2>&1 &
  local load=$!
  sleep 0.5
  deploy_status=0
  "$BIN/deployer" deploy local-haproxy --version "$version" --yes || deploy_status=$?
  sleep 0.5
  touch "$LAB/stop-load"
  wait "$load" || true
  echo
  echo "load during the deploy of $version: $(cat "$LAB/load-$version.json")"
  echo
}
deploy_under_load v6.21.18
if [ "$deploy_status" -ne 0 ]; then echo "the deploy of v6.21.18 failed (exit $deploy_status)" >&2; exit "$deploy_status"; fi
if ! grep -q '"failed":0,' "$LAB/load-v6.21.18.json"; then echo "requests failed during the deploy of v6.21.18" >&2; exit 1; fi
deploy_under_load v6.21.19-faulty
if [ "$deploy_status" -ne 7 ]; then echo "the faulty canary was not stopped (exit $deploy_status, 7 expected)" >&2; exit 1; fi
# The only failed requests are the 500s the faulty canary answered while it baked.
if ! python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["failures"]; sys.exit(0 if set(f) <= {"HTTP 500"} else 1)' "$LAB/load-v6.21.19-faulty.json"; then
  echo "requests failed for another reason than the faulty canary's 500s" >&2; exit 1
fi
echo "The faulty canary was rolled back (exit 7); the only failed requests were its own 500s."
echo
"$BIN/deployer" status local-haproxy
echo
echo "The lab is still running: try \`$BIN/deployer drain local-haproxy web-2\`, then \`restore\`; \`make lab-down\` stops it."
