#!/usr/bin/env python3
"""Drives the deployer ARM simulator with the real Azure SDKs for Python.

Runs the rolling-deploy flow of the ARM fact sheet (section 4.2) through azure-identity,
azure-mgmt-compute and azure-mgmt-network against the simulator behind a TLS terminator, and
checks what comes back: token, scale set, extension update (LRO), stale instances with the
latestModelApplied filter (paged), NIC private IPs, gateway GET -> remove IP -> PUT with If-Match ->
verify, manualupgrade (LRO with Location), instance-view health, re-add; then a stale If-Match
(412) and a failed upgrade whose error code surfaces through the SDK. Then the deploy-state store:
azure-mgmt-storage finds the storage account and its key, and azure-storage-blob, once with the
account key (Shared Key) and once with the token credential (storage scope), drives the Blob
subset deployer keeps its lock, journal and audit log in: containers, block blobs with
If-None-Match, leases, metadata, append blobs with append-position conditions, ranged downloads,
paged and delimited listings.

Prints one line per check and ends with "N passed, N failed"; exits 1 when any check failed.
"""

import argparse
import base64
import json
import ssl
import sys
import time
import traceback
import urllib.request
import uuid

from azure.core.exceptions import HttpResponseError, ResourceExistsError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import ApplicationGatewayBackendAddress
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobServiceClient

sys.dont_write_bytecode = True  # nothing written beside the scripts (the checkout stays clean)
from checks import Checks  # noqa: E402

LRO_TIMEOUT = 60  # seconds per long-running operation; the SDK itself has no overall limit


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="https URL of the simulator (through the TLS terminator)")
    parser.add_argument("--ca", required=True, help="PEM file that signs the terminator's certificate")
    parser.add_argument("--subscription", default="00000000-0000-0000-0000-000000000001")
    parser.add_argument("--tenant", default="00000000-0000-0000-0000-0000000000aa")
    parser.add_argument("--client-id", default="deployer-ci")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--resource-group", default="rg-backend-prod")
    parser.add_argument("--scale-set", default="vmss-backend-prod")
    parser.add_argument("--extension", default="CustomScript")
    parser.add_argument("--gateway", default="appgw-backend-prod")
    parser.add_argument("--pool", default="backend-pool-prod")
    parser.add_argument("--storage-group", default="rg-platform-state")
    parser.add_argument("--storage-account", default="stdeployerstate")
    return parser.parse_args()


def arm_fault(args, fault):
    """Arms a simulator fault through its control API (same listener, no auth)."""
    request = urllib.request.Request(
        args.base_url.rstrip("/") + "/_simulator/faults", data=json.dumps(fault).encode(), method="POST",
        headers={"Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=args.ca)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return response.status


def pool_ips(gateway, pool_name):
    pool = next(p for p in gateway.properties.backend_address_pools if p.name == pool_name)
    return pool, [a.ip_address for a in (pool.properties.backend_addresses or [])]


def wait_for_health(compute, args, instance_id, checks):
    """Polls the instance view until vmHealth settles (bounded), returning the codes seen."""
    seen = []
    for _ in range(30):
        view = compute.virtual_machine_scale_set_vms.get_instance_view(args.resource_group, args.scale_set, instance_id)
        code = view.vm_health.status.code if view.vm_health and view.vm_health.status else None
        seen.append(code)
        if code != "HealthState/initializing":
            break
        time.sleep(0.5)
    return seen


def run(args, checks):
    base = args.base_url.rstrip("/")
    credential = ClientSecretCredential(
        args.tenant, args.client_id, args.client_secret, authority=base, disable_instance_discovery=True,
        connection_verify=args.ca)
    token = credential.get_token("https://management.azure.com/.default")
    claims_part = token.token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_part + "=" * (-len(claims_part) % 4)))
    checks.check("token from the simulator's AAD endpoint carries tid", claims.get("tid") == args.tenant, str(claims))
    checks.check("token expiry is in the future", token.expires_on > time.time() + 60, str(token.expires_on))

    common = {"base_url": base, "polling_interval": 1, "connection_verify": args.ca}
    compute = ComputeManagementClient(credential, args.subscription, **common)
    network = NetworkManagementClient(credential, args.subscription, **common)
    rg, vmss = args.resource_group, args.scale_set

    scale_set = compute.virtual_machine_scale_sets.get(rg, vmss)
    checks.check("get VMSS: upgrade mode Manual", scale_set.properties.upgrade_policy.mode == "Manual",
                 str(scale_set.properties.upgrade_policy.mode))
    checks.check("get VMSS: orchestration Uniform", scale_set.properties.orchestration_mode == "Uniform")
    capacity = scale_set.sku.capacity

    # 1. Re-run the deploy extension with a new forceUpdateTag (sub-resource PUT, LRO).
    tag = "conformance-" + uuid.uuid4().hex[:8]
    extension = compute.virtual_machine_scale_set_extensions.begin_create_or_update(rg, vmss, args.extension, {
        "properties": {"publisher": "Microsoft.Azure.Extensions", "type": "CustomScript", "typeHandlerVersion": "2.1",
                       "forceUpdateTag": tag, "settings": {"commandToExecute": "./deploy.sh"}}}).result(timeout=LRO_TIMEOUT)
    checks.check("extension update LRO ends Succeeded", extension.properties.provisioning_state == "Succeeded",
                 str(extension.properties.provisioning_state))
    checks.check("extension carries the new forceUpdateTag", extension.properties.force_update_tag == tag)

    # 1b. The extension image catalogue az reads before `vmss extension set` without --version.
    images = compute.virtual_machine_extension_images
    types = [t.name for t in images.list_types(scale_set.location, "Microsoft.Azure.Extensions")]
    checks.check("extension images: the publisher's types include CustomScript", "CustomScript" in types, str(types))
    versions = [v.name for v in images.list_versions(scale_set.location, "Microsoft.Azure.Extensions", "CustomScript")]
    checks.check("extension images: CustomScript's versions are listed", versions == ["2.1.0"], str(versions))
    image = images.get(scale_set.location, "Microsoft.Azure.Extensions", "CustomScript", versions[-1])
    checks.check("extension images: one version reads back", image.name == "2.1.0" and image.vm_scale_set_enabled is True,
                 f"{image.name} {image.vm_scale_set_enabled}")

    # 2. Stale instances, server-side filter (paged: the scenario's page size is 1).
    stale = [vm.instance_id for vm in compute.virtual_machine_scale_set_vms.list(
        rg, vmss, filter="properties/latestModelApplied eq false")]
    checks.check(f"latestModelApplied filter lists all {capacity} instances as stale (across pages)",
                 len(stale) == capacity, str(stale))

    for instance_id in stale:
        # 3. The instance's primary private IP.
        nic = next(iter(network.network_interfaces.list_virtual_machine_scale_set_vm_network_interfaces(rg, vmss, instance_id)))
        ip = nic.properties.ip_configurations[0].properties.private_ip_address
        checks.check(f"instance {instance_id}: NIC list gives a private IP", bool(ip), str(ip))

        # 4. Drain: GET the gateway, drop the IP, PUT with If-Match, verify.
        gateway = network.application_gateways.get(rg, args.gateway)
        checks.check(f"instance {instance_id}: gateway etag is weak", gateway.etag.startswith('W/"'), gateway.etag)
        pool, ips = pool_ips(gateway, args.pool)
        checks.check(f"instance {instance_id}: {ip} is in the pool before draining", ip in ips, str(ips))
        pool.properties.backend_addresses = [a for a in pool.properties.backend_addresses if a.ip_address != ip]
        updated = network.application_gateways.begin_create_or_update(
            rg, args.gateway, gateway, headers={"If-Match": gateway.etag}).result(timeout=LRO_TIMEOUT)
        checks.check(f"instance {instance_id}: gateway PUT LRO ends Succeeded",
                     updated.properties.provisioning_state == "Succeeded", str(updated.properties.provisioning_state))
        _, ips = pool_ips(network.application_gateways.get(rg, args.gateway), args.pool)
        checks.check(f"instance {instance_id}: {ip} is out of the pool after the PUT", ip not in ips, str(ips))

        # 5. Upgrade the instance (POST manualupgrade: 202, Azure-AsyncOperation, final GET on Location).
        compute.virtual_machine_scale_sets.begin_update_instances(rg, vmss, {"instanceIds": [instance_id]}).result(
            timeout=LRO_TIMEOUT)
        vm = compute.virtual_machine_scale_set_vms.get(rg, vmss, instance_id)
        checks.check(f"instance {instance_id}: latestModelApplied after manualupgrade",
                     vm.properties.latest_model_applied is True)
        seen = wait_for_health(compute, args, instance_id, checks)
        checks.check(f"instance {instance_id}: vmHealth settles to healthy", seen[-1] == "HealthState/healthy", str(seen))

        # 6. Restore: re-GET (fresh etag), re-add, PUT with If-Match, verify.
        gateway = network.application_gateways.get(rg, args.gateway)
        pool, _ = pool_ips(gateway, args.pool)
        pool.properties.backend_addresses.append(ApplicationGatewayBackendAddress(ip_address=ip))
        network.application_gateways.begin_create_or_update(
            rg, args.gateway, gateway, headers={"If-Match": gateway.etag}).result(timeout=LRO_TIMEOUT)
        _, ips = pool_ips(network.application_gateways.get(rg, args.gateway), args.pool)
        checks.check(f"instance {instance_id}: {ip} is back in the pool", ip in ips, str(ips))

    remaining = [vm.instance_id for vm in compute.virtual_machine_scale_set_vms.list(
        rg, vmss, filter="properties/latestModelApplied eq false")]
    checks.check("no stale instance is left", remaining == [], str(remaining))

    # 7. A stale If-Match is refused with 412 PreconditionFailed.
    gateway = network.application_gateways.get(rg, args.gateway)
    stale_etag = gateway.etag
    network.application_gateways.begin_create_or_update(
        rg, args.gateway, gateway, headers={"If-Match": stale_etag}).result(timeout=LRO_TIMEOUT)
    try:
        network.application_gateways.begin_create_or_update(rg, args.gateway, gateway, headers={"If-Match": stale_etag})
        checks.check("PUT with a stale If-Match is refused", False, "the PUT was accepted")
    except HttpResponseError as error:
        code = error.error.code if error.error else None
        checks.check("PUT with a stale If-Match is refused with 412", error.status_code == 412, str(error.status_code))
        checks.check("412 carries PreconditionFailed", code == "PreconditionFailed", str(code))

    # 8. A failed upgrade surfaces the operation's error code through the poller.
    target = stale[0] if stale else "0"
    checks.check("lro-failed fault armed through the control API",
                 arm_fault(args, {"method": "POST", "path": "manualupgrade", "kind": "lro-failed"}) == 201)
    try:
        compute.virtual_machine_scale_sets.begin_update_instances(rg, vmss, {"instanceIds": [target]}).result(
            timeout=LRO_TIMEOUT)
        checks.check("failed manualupgrade raises", False, "the upgrade succeeded")
    except HttpResponseError as error:
        code = error.error.code if error.error else None
        checks.check("failed manualupgrade raises with VMExtensionProvisioningError", code == "VMExtensionProvisioningError",
                     f"{code}: {error.message}")
    view = compute.virtual_machine_scale_set_vms.get_instance_view(rg, vmss, target)
    statuses = [s.code for e in (view.extensions or []) if e.name == args.extension for s in (e.statuses or [])]
    checks.check("failed instance reports ProvisioningState/failed for the extension",
                 "ProvisioningState/failed" in statuses, str(statuses))
    health = view.vm_health.status.code if view.vm_health and view.vm_health.status else None
    checks.check("failed instance is unhealthy", health == "HealthState/unhealthy", str(health))

    run_metrics(args, checks, credential, common, compute, network)
    run_blob(args, checks, credential, base)


def metric_series(response, name):
    """{(dimension values…): value of the first data point's total or average} of one metric."""
    result = {}
    for metric in response.value:
        if metric.name.value != name:
            continue
        for series in metric.timeseries:
            key = tuple(entry.value for entry in series.metadatavalues)
            point = series.data[0] if series.data else None
            value = None if point is None else (point.total if point.total is not None else point.average)
            result[key] = value
    return result


def run_metrics(args, checks, credential, common, compute, network):
    """The gateway's Azure Monitor metrics, read as deployer's canary reads them, with azure-mgmt-monitor."""
    monitor = MonitorManagementClient(credential, args.subscription, **common)
    rg, vmss = args.resource_group, args.scale_set
    gateway = network.application_gateways.get(rg, args.gateway)
    _, ips = pool_ips(gateway, args.pool)

    def span(start):
        end = time.time()
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        return time.strftime(fmt, time.gmtime(start)) + "/" + time.strftime(fmt, time.gmtime(end + 1))

    def statuses(start):
        return monitor.metrics.list(
            gateway.id, timespan=span(start), interval="FULL", metricnames="BackendResponseStatus", aggregation="Total",
            filter="BackendServer eq '*' and HttpStatusGroup eq '*'", top=100,
            metricnamespace="Microsoft.Network/applicationGateways")

    first = statuses(time.time() - 60)
    checks.check("metrics: BackendResponseStatus is a Count", first.value and first.value[0].unit == "Count",
                 str(first.value[0].unit if first.value else None))
    served = metric_series(first, "BackendResponseStatus")
    checks.check("metrics: every pool member answered 2xx",
                 all((ip, "2xx") in served and served[(ip, "2xx")] > 0 for ip in ips), str(served))
    checks.check("metrics: no 5xx from a good version", not any(key[1] == "5xx" for key in served), str(served))

    # One instance on a -faulty version: from then on, one of its requests in five is a 5xx.
    extension = compute.virtual_machine_scale_set_extensions.get(rg, vmss, args.extension)
    extension.force_update_tag = "conformance-faulty"
    compute.virtual_machine_scale_set_extensions.begin_create_or_update(rg, vmss, args.extension, extension).result(
        timeout=LRO_TIMEOUT)
    instance = next(iter(compute.virtual_machine_scale_set_vms.list(rg, vmss))).instance_id
    compute.virtual_machine_scale_sets.begin_update_instances(rg, vmss, {"instanceIds": [instance]}).result(timeout=LRO_TIMEOUT)
    nic = next(iter(network.network_interfaces.list_virtual_machine_scale_set_vm_network_interfaces(rg, vmss, instance)))
    faulty_ip = nic.properties.ip_configurations[0].properties.private_ip_address
    since = time.time()
    time.sleep(2)
    served = metric_series(statuses(since), "BackendResponseStatus")
    errors = served.get((faulty_ip, "5xx")) or 0
    good = served.get((faulty_ip, "2xx")) or 0
    checks.check(f"metrics: the -faulty instance {faulty_ip} answers about one in five with 5xx",
                 good > 0 and 0.15 < errors / (errors + good) < 0.25, str(served))
    checks.check("metrics: the other instances answer no 5xx",
                 not any(key[1] == "5xx" and key[0] != faulty_ip for key in served), str(served))

    latency = monitor.metrics.list(
        gateway.id, timespan=span(since), interval="FULL", metricnames="BackendLastByteResponseTime", aggregation="Average",
        filter=" or ".join(f"BackendServer eq '{ip}'" for ip in ips), top=100)
    times = metric_series(latency, "BackendLastByteResponseTime")
    checks.check("metrics: a response time per named server, in MilliSeconds",
                 latency.value[0].unit == "MilliSeconds" and set(times) == {(ip,) for ip in ips}, str(times))

    minutes = monitor.metrics.list(gateway.id, timespan=span(time.time() - 180), interval="PT1M",
                                   metricnames="BackendResponseStatus", aggregation="Total")
    points = minutes.value[0].timeseries[0].data if minutes.value and minutes.value[0].timeseries else []
    checks.check("metrics: PT1M gives one point per minute", len(points) in (3, 4), str(len(points)))

    try:
        monitor.metrics.list(gateway.id, metricnames="NoSuchMetric")
        checks.check("metrics: an unknown metric is a 400", False, "the query was answered")
    except HttpResponseError as error:
        checks.check("metrics: an unknown metric is a 400 naming the valid ones",
                     error.status_code == 400 and "BackendResponseStatus" in str(error.message), str(error.message))


def status_and_code(action):
    """Runs action, expecting an HttpResponseError; returns (status, error code) or (None, None)."""
    try:
        action()
    except HttpResponseError as error:
        return error.status_code, error.error_code
    return None, None


def run_blob(args, checks, credential, base):
    """The deploy-state subset of Blob Storage, with the account key and with a storage token."""
    storage = StorageManagementClient(credential, args.subscription, base_url=base, connection_verify=args.ca)
    account = storage.storage_accounts.get_properties(args.storage_group, args.storage_account)
    endpoint = account.primary_endpoints.blob
    checks.check("storage account: blob endpoint is path-style on the simulator",
                 endpoint == f"{base}/{args.storage_account}/", str(endpoint))
    checks.check("storage account: StorageV2, Standard_LRS, Succeeded",
                 (account.kind, account.sku.name, account.provisioning_state) == ("StorageV2", "Standard_LRS", "Succeeded"),
                 f"{account.kind} {account.sku.name} {account.provisioning_state}")
    keys = storage.storage_accounts.list_keys(args.storage_group, args.storage_account).keys_property
    checks.check("listKeys gives key1 with full permissions",
                 keys[0].key_name == "key1" and str(keys[0].permissions).upper().endswith("FULL") and len(keys[0].value) == 88,
                 f"{keys[0].key_name} {keys[0].permissions}")

    forged = base64.b64encode(b"not the account key".ljust(64, b"!")).decode()
    impostor = BlobServiceClient(endpoint, credential=forged, connection_verify=args.ca).get_container_client("state-forged")
    status, code = status_and_code(impostor.create_container)
    checks.check("a request signed with another key is refused with 403 AuthenticationFailed",
                 (status, code) == (403, "AuthenticationFailed"), f"{status} {code}")

    for label, blob_credential in (("shared key", keys[0].value), ("token", credential)):
        service = BlobServiceClient(endpoint, credential=blob_credential, connection_verify=args.ca)
        container = service.get_container_client("state-" + label.replace(" ", ""))
        container.create_container()
        checks.check(f"{label}: container created", container.exists())
        status, _ = status_and_code(container.create_container)
        checks.check(f"{label}: creating it again is a conflict", status == 409, str(status))

        lock = container.get_blob_client("deploys/lock")
        lock.upload_blob(b"v1", overwrite=False)
        try:
            lock.upload_blob(b"v1 again", overwrite=False)
            checks.check(f"{label}: second upload with overwrite=False raises", False, "it was accepted")
        except ResourceExistsError as error:
            checks.check(f"{label}: second upload with overwrite=False raises ResourceExistsError",
                         error.error_code == "BlobAlreadyExists", str(error.error_code))

        lease = lock.acquire_lease(lease_duration=-1)
        checks.check(f"{label}: infinite lease acquired", bool(lease.id), str(lease.id))
        status, code = status_and_code(lambda: lock.upload_blob(b"v2", overwrite=True))
        checks.check(f"{label}: overwrite without the lease is refused with 412 LeaseIdMissing",
                     (status, code) == (412, "LeaseIdMissing"), f"{status} {code}")
        lock.upload_blob(b"v2", overwrite=True, lease=lease)
        checks.check(f"{label}: overwrite with the lease succeeds", lock.download_blob().readall() == b"v2")
        lock.set_blob_metadata({"holder": "ci-42"}, lease=lease)
        properties = lock.get_blob_properties()
        checks.check(f"{label}: properties carry the metadata", properties.metadata == {"holder": "ci-42"}, str(properties.metadata))
        checks.check(f"{label}: properties show the lease leased, locked, infinite",
                     (properties.lease.state, properties.lease.status, properties.lease.duration) == ("leased", "locked", "infinite"),
                     f"{properties.lease.state} {properties.lease.status} {properties.lease.duration}")

        journal = container.get_blob_client("journal.log")
        journal.create_append_blob()
        first = journal.append_block(b"step 1\n", appendpos_condition=0)
        second = journal.append_block(b"step 2\n", appendpos_condition=7)
        checks.check(f"{label}: append blocks land at their offsets",
                     (first["blob_append_offset"], second["blob_append_offset"], second["blob_committed_block_count"]) == ("0", "7", 2),
                     f"{first.get('blob_append_offset')} {second.get('blob_append_offset')} {second.get('blob_committed_block_count')}")
        status, code = status_and_code(lambda: journal.append_block(b"stale\n", appendpos_condition=7))
        checks.check(f"{label}: a stale append position is refused with 412",
                     (status, code) == (412, "AppendPositionConditionNotMet"), f"{status} {code}")
        checks.check(f"{label}: ranged download", journal.download_blob(offset=7, length=7).readall() == b"step 2\n")
        checks.check(f"{label}: full download", journal.download_blob().readall() == b"step 1\nstep 2\n")

        for index in range(3):
            container.get_blob_client(f"deploys/{index}/journal").upload_blob(b"x")
        names = [blob.name for blob in container.list_blobs(name_starts_with="deploys/", results_per_page=2)]
        checks.check(f"{label}: list_blobs with name_starts_with pages through every blob",
                     names == ["deploys/0/journal", "deploys/1/journal", "deploys/2/journal", "deploys/lock"], str(names))
        top = [item.name for item in container.walk_blobs(delimiter="/")]
        checks.check(f"{label}: walk_blobs rolls names up at the delimiter", top == ["deploys/", "journal.log"], str(top))

        seconds = lease.break_lease(lease_break_period=0)
        broken = lock.get_blob_properties().lease
        checks.check(f"{label}: lease broken", seconds == 0 and broken.state == "broken", f"{seconds} {broken.state}")
        lock.delete_blob()
        checks.check(f"{label}: blob deleted", not lock.exists())
        container.delete_container()
        checks.check(f"{label}: container deleted", not container.exists())


def main():
    args = arguments()
    checks = Checks()
    try:
        run(args, checks)
    except Exception as error:  # an unexpected exception is a failed check, not a crash
        checks.check("flow ran to the end", False, f"{type(error).__name__}: {error}")
        traceback.print_exc()
    print(checks.summary(), flush=True)
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
