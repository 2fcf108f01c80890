"""The platform's Azure Pipelines steps, run with the real az CLI (azure-cli, in .venv-az) against
`deployer simulate azure --tls`, each checked for its exit code and the state change it must cause,
read back through the simulator's control API.

    az_pipeline_conformance.py --az .venv-az/bin/az --base-url https://127.0.0.1:PORT \
        --control-url http://127.0.0.1:PORT --ca cert.pem --config-dir DIR --secret SECRET

Prints one line per check and a last line "N passed, M failed"; exits 1 when a check failed.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request

sys.dont_write_bytecode = True  # nothing written beside the scripts (the checkout stays clean)
from checks import Checks  # noqa: E402

RG = "rg-backend-prod"
VMSS = "vmss-backend-prod"
GATEWAY = "appgw-backend-prod"
POOL = "backend-pool-prod"
SUBSCRIPTION = "00000000-0000-0000-0000-000000000001"
TENANT = "00000000-0000-0000-0000-0000000000aa"


def arguments():
    parser = argparse.ArgumentParser()
    for name in ("--az", "--base-url", "--control-url", "--ca", "--config-dir", "--secret"):
        parser.add_argument(name, required=True)
    return parser.parse_args()


def main():
    args = arguments()
    checks = Checks()
    environment = dict(os.environ, AZURE_CONFIG_DIR=args.config_dir, REQUESTS_CA_BUNDLE=args.ca,
                       AZURE_CORE_COLLECT_TELEMETRY="false", AZURE_CORE_NO_COLOR="true",
                       NO_PROXY="127.0.0.1,localhost", HTTPS_PROXY="", https_proxy="")

    def az(*words):
        result = subprocess.run([args.az, *words], env=environment, capture_output=True, text=True, timeout=120)
        return result.returncode, result.stdout.strip(), result.stderr.strip()

    def state():
        with urllib.request.urlopen(args.control_url + "/_simulator/state", timeout=10) as answer:
            return json.load(answer)

    def scale_set():
        return next(s for s in state()["scaleSets"] if s["name"] == VMSS)

    def pool():
        gateway = next(g for g in state()["gateways"] if g["name"] == GATEWAY)
        return next(p for p in gateway["pools"] if p["name"] == POOL)["addresses"]

    base = args.base_url.rstrip("/")
    for words in (
        ("cloud", "register", "--name", "DeployerSimulator", "--endpoint-resource-manager", base + "/",
         "--endpoint-active-directory", base, "--endpoint-active-directory-resource-id", "https://management.azure.com/"),
        ("cloud", "set", "--name", "DeployerSimulator"),
        ("config", "set", "core.instance_discovery=false"),
    ):
        code, _, error = az(*words)
        checks.check("az " + " ".join(words[:2]), code == 0, error)
    code, out, error = az("login", "--service-principal", "--username", "deployer-ci", "--password", args.secret,
                          "--tenant", TENANT, "-o", "none")
    checks.check("az login --service-principal against the simulator's token endpoint", code == 0, error)
    checks.check("the secret is not echoed", args.secret not in out + error)

    # Step 1 of every pipeline: re-run the deploy extension on the model (az looks up its versions first).
    before = scale_set()["modelTag"]
    code, _, error = az("vmss", "extension", "set", "--resource-group", RG, "--vmss-name", VMSS, "--name", "CustomScript",
                        "--publisher", "Microsoft.Azure.Extensions", "--force-update", "--no-wait")
    checks.check("az vmss extension set --force-update --no-wait", code == 0, error)
    deadline = time.time() + 30
    while time.time() < deadline and scale_set()["modelTag"] == before:
        time.sleep(0.2)
    after = scale_set()
    checks.check("the model has a new forceUpdateTag", after["modelTag"] != before, f"{before} -> {after['modelTag']}")
    deadline = time.time() + 30
    while time.time() < deadline and any(i["latestModelApplied"] for i in scale_set()["instances"]):
        time.sleep(0.2)

    # Step 2: the instances not on the latest model, as the pipelines query them.
    code, out, error = az("vmss", "list-instances", "-g", RG, "-n", VMSS,
                          "--query", "[?latestModelApplied==`false`].instanceId", "-o", "tsv")
    stale = out.split()
    expected = [i["id"] for i in scale_set()["instances"]]
    checks.check("list-instances --query latestModelApplied==false lists every instance as stale",
                 code == 0 and sorted(stale) == sorted(expected), f"{stale} vs {expected}: {error}")

    # The graceful pipeline, for the first instance: its IP, out of the pool, update, back in.
    instance = stale[0] if stale else "0"
    code, ip, error = az("vmss", "nic", "list-vm-nics", "-g", RG, "--vmss-name", VMSS, "--instance-id", instance,
                         "--query", "[0].ipConfigurations[0].privateIPAddress", "-o", "tsv")
    known = next((i["ip"] for i in scale_set()["instances"] if i["id"] == instance), None)
    checks.check("nic list-vm-nics gives the instance's private IP", code == 0 and ip == known, f"{ip} vs {known}: {error}")
    code, out, error = az("network", "application-gateway", "address-pool", "show", "-g", RG, "--gateway-name", GATEWAY,
                          "-n", POOL, "--query", "backendAddresses[].ipAddress", "-o", "tsv")
    servers = out.split()
    checks.check("address-pool show lists the pool's addresses", code == 0 and sorted(servers) == sorted(pool()), f"{servers}: {error}")
    remaining = [s for s in servers if s != ip]
    code, _, error = az("network", "application-gateway", "address-pool", "update", "-g", RG, "--gateway-name", GATEWAY,
                        "-n", POOL, "--servers", *remaining, "-o", "none")
    checks.check("address-pool update --servers without the instance", code == 0, error)
    checks.check("the instance's address is gone from the pool", ip not in pool(), str(pool()))
    code, _, error = az("vmss", "update-instances", "-g", RG, "-n", VMSS, "--instance-ids", instance)
    checks.check("az vmss update-instances --instance-ids", code == 0, error)
    updated = next(i for i in scale_set()["instances"] if i["id"] == instance)
    checks.check("the instance is on the latest model", updated["latestModelApplied"] and updated["appliedTag"] == after["modelTag"],
                 str(updated))
    code, out, error = az("vmss", "list-instances", "-g", RG, "-n", VMSS,
                          "--query", "[?latestModelApplied==`false`].instanceId", "-o", "tsv")
    checks.check("… and no longer listed as stale", code == 0 and instance not in out.split(), out)
    code, out, error = az("vmss", "get-instance-view", "-g", RG, "-n", VMSS, "--instance-id", instance,
                          "--query", "vmHealth.status.code", "-o", "tsv")
    checks.check("get-instance-view of the instance gives its health", code == 0 and out.startswith("HealthState/"), f"{out}: {error}")
    code, out, error = az("vmss", "get-instance-view", "-g", RG, "-n", VMSS, "--query", "statuses[0].code", "-o", "tsv")
    checks.check("get-instance-view of the scale set gives its status", code == 0 and out.startswith("ProvisioningState/"), f"{out}: {error}")
    code, _, error = az("network", "application-gateway", "address-pool", "update", "-g", RG, "--gateway-name", GATEWAY,
                        "-n", POOL, "--servers", *servers, "-o", "none")
    checks.check("address-pool update --servers with the instance again", code == 0, error)
    checks.check("the instance's address is back in the pool", ip in pool(), str(pool()))

    # A route the simulator does not serve answers as ARM does, naming what was asked for.
    code, _, error = az("rest", "--method", "get", "--url",
                        f"{base}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Contoso/widgets/w1?api-version=2024-01-01")
    checks.check("an unknown route is ARM's InvalidResourceType, naming the type and the route",
                 code != 0 and "InvalidResourceType" in error and "widgets" in error and "does not serve GET" in error, error)

    print(checks.summary(), flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
