#!/usr/bin/env bash
# make demo-haproxy: brings up a real lab on 127.0.0.1 (two HAProxy, four backends: deployer-lab up),
# then rolls inventories/local-haproxy.yml from v6.21.17 to v6.21.18 while a load generator sends
# requests through both HAProxy for the whole deploy, and shows how many failed. The lab stays up
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
echo "Load: 4 clients through http://127.0.0.1:17981/ (lb-1) and http://127.0.0.1:17982/ (lb-2) for the whole deploy."
rm -f "$LAB/stop-load"
"$BIN/deployer-lab" load --url http://127.0.0.1:17981/ --url http://127.0.0.1:17982/ --concurrency 4 \
    --duration 300s --stop-file "$LAB/stop-load" > "$LAB/load.txt" 2>&1 &
load=$!
sleep 0.5
status=0
"$BIN/deployer" deploy local-haproxy --yes || status=$?
sleep 0.5
touch "$LAB/stop-load"
load_status=0
wait "$load" || load_status=$?
echo
cat "$LAB/load.txt"
echo
"$BIN/deployer" status local-haproxy
echo
echo "The lab is still running: try \`$BIN/deployer drain local-haproxy web-2\`, then \`restore\`; \`make lab-down\` stops it."
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$load_status"
