#!/bin/sh
# A rehearsal before switching: the platform's graceful pipeline (azure-pipelines-vmss-prod-new.yml:
# `az vmss extension set --force-update --no-wait`, then for each outdated instance its private IP,
# out of the Application Gateway pool, `sleep 60`, `az vmss update-instances`, back into the pool),
# run with the real az CLI against `deployer simulate azure --tls` (scenarios/azure-platform.yml), then
# the same roll done by `deployer deploy prod-vmss`. Prints the wall time and the ARM calls of each.
# The pipeline's `sleep 60` is scaled to the scenario gateway's drain time, which deployer waits too.
# Needs the az CLI in .venv-az (scripts/az-venv.sh, run here) and a built deployer (make release).
set -eu
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/deployer}
scripts/az-venv.sh
AZ=$PWD/.venv-az/bin/az
WORK=$(mktemp -d "${TMPDIR:-/tmp}/deployer-rehearsal-XXXXXX")
STATE=$WORK
SIM=
trap '[ -z "$SIM" ] || kill $SIM 2>/dev/null || true; rm -rf "$WORK"' EXIT INT TERM
. scripts/simulator.sh
start_simulator --scenario scenarios/azure-platform.yml --tls --tls-dir "$WORK/tls" --tls-port-file "$WORK/tls-port"
HTTPS="https://127.0.0.1:$(cat "$WORK/tls-port")"
RG=rg-backend-prod VMSS=vmss-backend-prod GATEWAY=appgw-backend-prod POOL=backend-pool-prod
DRAIN=$(sed -n '/^gateways:/,$ s/^ *drain-timeout: *\([0-9]*\).*/\1/p' scenarios/azure-platform.yml | head -1)

# What the simulator answered so far: ARM calls (/subscriptions/…), Blob calls, token calls.
counts() {
  python3 - "$HTTP" <<'PY'
import json, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1] + "/_simulator/requests", timeout=10))
arm = sum(1 for r in log if r["path"].lower().startswith("/subscriptions"))
token = sum(1 for r in log if "/oauth2/" in r["path"])
print(arm, token, len(log) - arm - token)
PY
}
now() { python3 -c 'import time; print(time.time())'; }

export AZURE_CONFIG_DIR="$WORK/az" REQUESTS_CA_BUNDLE="$WORK/tls/cert.pem" AZURE_CORE_COLLECT_TELEMETRY=false
"$AZ" cloud register --name DeployerSimulator --endpoint-resource-manager "$HTTPS/" \
  --endpoint-active-directory "$HTTPS" --endpoint-active-directory-resource-id https://management.azure.com/ >/dev/null
"$AZ" cloud set --name DeployerSimulator
"$AZ" config set core.instance_discovery=false 2>/dev/null
"$AZ" login --service-principal --username deployer-ci --password sim-secret --tenant 00000000-0000-0000-0000-0000000000aa -o none

echo "1. The graceful pipeline with az (sleep 60 scaled to the gateway's ${DRAIN}s drain):"
set -- $(counts); ARM0=$1
START=$(now)
"$AZ" vmss extension set --resource-group $RG --vmss-name $VMSS --name CustomScript \
  --publisher Microsoft.Azure.Extensions --force-update --no-wait
sleep 2   # the pipeline goes straight on; the model update is still running for a moment
for id in $("$AZ" vmss list-instances -g $RG -n $VMSS --query "[?latestModelApplied==\`false\`].instanceId" -o tsv); do
  ip=$("$AZ" vmss nic list-vm-nics -g $RG --vmss-name $VMSS --instance-id "$id" \
    --query "[0].ipConfigurations[0].privateIPAddress" -o tsv)
  servers=$("$AZ" network application-gateway address-pool show -g $RG --gateway-name $GATEWAY -n $POOL \
    --query "backendAddresses[].ipAddress" -o tsv)
  others=$(echo "$servers" | grep -vx "$ip" | tr '\n' ' ')
  echo "   instance $id ($ip): out of the pool, ${DRAIN}s, update-instances, back in"
  "$AZ" network application-gateway address-pool update -g $RG --gateway-name $GATEWAY -n $POOL --servers $others -o none
  sleep "$DRAIN"
  "$AZ" vmss update-instances -g $RG -n $VMSS --instance-ids "$id" -o none
  "$AZ" network application-gateway address-pool update -g $RG --gateway-name $GATEWAY -n $POOL \
    --servers $(echo "$servers" | tr '\n' ' ') -o none
done
AZ_SECONDS=$(python3 -c "print(round($(now) - $START, 1))")
set -- $(counts); AZ_ARM=$(($1 - ARM0)); ARM1=$1

echo "2. The same roll with deployer:"
export DEPLOYER_ARM_ENDPOINT="$HTTP" AZURE_AUTHORITY_HOST="$HTTP" AZURE_TENANT_ID=00000000-0000-0000-0000-0000000000aa \
  AZURE_CLIENT_ID=deployer-ci AZURE_CLIENT_SECRET=sim-secret AZURE_SUBSCRIPTION_ID=00000000-0000-0000-0000-000000000001 \
  DEPLOYER_STATE_DIR="$WORK/state"
START=$(now)
"$BIN" deploy prod-vmss --version v6.21.99 --yes --plain | sed 's/^/   /'
DEPLOYER_SECONDS=$(python3 -c "print(round($(now) - $START, 1))")
set -- $(counts); D_ARM=$(($1 - ARM1)) D_BLOB=$3

cat <<TABLE

| prod-vmss, 4 instances | wall time | ARM calls | drain per instance |
|:--|--:|--:|:--|
| the graceful pipeline with az | ${AZ_SECONDS} s | ${AZ_ARM} | a fixed sleep (${DRAIN} s here, 60 s in the pipeline) |
| deployer deploy | ${DEPLOYER_SECONDS} s | ${D_ARM} | the gateway's own draining timeout (${DRAIN} s), each instance checked healthy before it goes back |

deployer also kept its lock, journal and audit log in the state account (${D_BLOB} Blob calls), so
another machine can resume or abort it.
TABLE
