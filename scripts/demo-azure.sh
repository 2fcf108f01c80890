#!/bin/sh
# Rolls the platform's scale sets on the ARM simulator: starts `deployer simulate azure` on 127.0.0.1
# with scenarios/azure-platform.yml, points deployer at it (the same variables as for real Azure, plus
# DEPLOYER_ARM_ENDPOINT), then plans, deploys and inspects prod-vmss (Application Gateway drain), drains
# and restores one instance, rehearses a canary (a good version, then a faulty one rolled back), and
# rolls test-vmss and consumers-vmss. Stops the simulator at the end.
set -eu
BIN=${BIN:-.build/release/deployer}
STATE=${DEMO_STATE:-.demo-state}/azure
VERSION=${VERSION:-v6.21.18}
rm -rf "$STATE"
mkdir -p "$STATE"
SIM=
trap '[ -z "$SIM" ] || kill $SIM 2>/dev/null || true' EXIT INT TERM
. scripts/simulator.sh
start_simulator --scenario scenarios/azure-platform.yml
PORT=$(cat "$STATE/port")
export DEPLOYER_ARM_ENDPOINT="http://127.0.0.1:$PORT"
export AZURE_AUTHORITY_HOST="http://127.0.0.1:$PORT"
export AZURE_TENANT_ID=00000000-0000-0000-0000-0000000000aa
export AZURE_CLIENT_ID=deployer-ci
export AZURE_CLIENT_SECRET=sim-secret
export AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000001
export DEPLOYER_STATE_DIR="$STATE"
echo "ARM simulator on $DEPLOYER_ARM_ENDPOINT"
set -x
"$BIN" status prod-vmss
"$BIN" plan prod-vmss --version "$VERSION"
"$BIN" deploy prod-vmss --version "$VERSION" --yes
"$BIN" status prod-vmss
"$BIN" drain prod-vmss vmss-backend-prod_2
"$BIN" status prod-vmss
"$BIN" restore prod-vmss vmss-backend-prod_2
# A canary judged by the gateway's own metrics (Azure Monitor, served by the simulator from the
# scenario's traffic): prod-vmss with a 6 s bake. A good version passes and rolls on; a -faulty one
# (one request in five a 5xx, its health check fine) is rolled back: exit 7, the rest untouched.
sed 's/^  on-failure: stop$/  on-failure: stop\n  canary: {targets: 1, bake: 6s, interval: 1s, min-requests: 60, max-error-rate: 5%}/' \
  inventories/prod-vmss.yml >"$STATE/prod-vmss-canary.yml"
"$BIN" deploy "$STATE/prod-vmss-canary.yml" --version v6.21.19 --yes
"$BIN" deploy "$STATE/prod-vmss-canary.yml" --version v6.21.20-faulty --yes || test $? -eq 7
"$BIN" status "$STATE/prod-vmss-canary.yml"
"$BIN" deploy test-vmss --version "$VERSION" --yes
"$BIN" deploy consumers-vmss --version "$VERSION" --yes --output json >"$STATE/consumers.json"
"$BIN" status consumers-vmss
