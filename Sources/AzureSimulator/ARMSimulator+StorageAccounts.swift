public import Foundation
import JSONDocument

/// Storage accounts on the ARM side (GET the account, POST listKeys), and what tests and the
/// control API see of the accounts: keys, the state of their blobs, leases broken from outside.
extension ARMSimulator {
    func storageAccountRequest(_ request: SimulatedRequest, group: String, name: String, listKeys: Bool) -> SimulatedResponse {
        // Account names are global; the group in the path must still be the account's own.
        guard let account = storage[name.lowercased()], account.spec.resourceGroup.lowercased() == group.lowercased() else {
            return notFound(group: group, type: "Microsoft.Storage/storageAccounts", name: name)
        }
        if listKeys {
            guard request.method == "POST" else { return CloudError.methodNotAllowed(request) }
            return .json(
                200,
                [
                    "keys": [
                        [
                            "creationTime": .string(OperationRecord.timestamp(account.created)), "keyName": "key1",
                            "value": .string(account.key), "permissions": "FULL",
                        ]
                    ]
                ])
        }
        guard request.method == "GET" else { return CloudError.methodNotAllowed(request) }
        return .json(200, storageAccountDocument(account, base: request.baseURL))
    }

    private func storageAccountDocument(_ account: StorageAccountRecord, base: String) -> JSONValue {
        let created = JSONValue.string(OperationRecord.timestamp(account.created))
        let enabled: JSONValue = ["keyType": "Account", "enabled": true, "lastEnabledTime": created]
        return [
            "sku": ["name": "Standard_LRS", "tier": "Standard"],
            "kind": "StorageV2",
            "id": .string(
                "/subscriptions/\(scenario.subscription)/resourceGroups/\(account.spec.resourceGroup)/providers/Microsoft.Storage/storageAccounts/\(account.spec.name)"
            ),
            "name": .string(account.spec.name),
            "type": "Microsoft.Storage/storageAccounts",
            "location": .string(scenario.location),
            "tags": [:],
            "properties": [
                "keyCreationTime": ["key1": created],
                "privateEndpointConnections": [],
                "minimumTlsVersion": "TLS1_2",
                "allowBlobPublicAccess": false,
                "allowSharedKeyAccess": true,
                "networkAcls": ["bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"],
                "supportsHttpsTrafficOnly": true,
                "encryption": ["services": ["blob": enabled], "keySource": "Microsoft.Storage"],
                "accessTier": "Hot",
                "provisioningState": "Succeeded",
                "creationTime": created,
                // Only the Blob service is simulated, so it is the only endpoint listed.
                "primaryEndpoints": ["blob": .string("\(base)/\(account.spec.name)/")],
                "primaryLocation": .string(scenario.location),
                "statusOfPrimary": "available",
            ],
        ]
    }

    /// The audiences the Blob service accepts in a bearer token (trailing slash removed).
    static func isStorageAudience(_ audience: String, account: String? = nil) -> Bool {
        let lower = audience.lowercased()
        if lower == "https://storage.azure.com" { return true }
        if let account { return lower == "https://\(account).blob.core.windows.net" }
        return lower.hasSuffix(".blob.core.windows.net")
    }

    /// The base64 key of a scenario storage account (what listKeys returns), nil for an unknown account.
    public func storageKey(account: String) -> String? {
        storage[account]?.key
    }

    /// Breaks a blob's lease at once, as another party's Break Lease with period 0 would: the
    /// holder's next write fails. False when there is no such blob or no lease to break.
    @discardableResult
    public func breakLease(account: String, container: String, blob: String) -> Bool {
        guard var record = storage[account]?.containers[container]?.blobs[blob] else { return false }
        do {
            _ = try record.lease.breakLease(period: 0, now: storageNow)
        } catch {
            return false
        }
        storage[account]?.containers[container]?.blobs[blob] = record
        return true
    }

    /// Moves the Blob service's clock forward, so lease durations and break periods run out
    /// without waiting.
    public func advanceStorageClock(by seconds: TimeInterval) {
        storageClockShift += seconds
    }

    /// The Blob service's now: the wall clock plus `advanceStorageClock`'s shift.
    var storageNow: Date { Date().addingTimeInterval(storageClockShift) }

    func storageSnapshot() -> [SimulatorState.StorageAccount] {
        let now = storageNow
        return scenario.storageAccounts.compactMap { spec in
            guard let account = storage[spec.name] else { return nil }
            return SimulatorState.StorageAccount(
                resourceGroup: spec.resourceGroup, name: spec.name,
                containers: account.containers.keys.sorted().map { name in
                    let blobs = account.containers[name]?.blobs ?? [:]
                    return SimulatorState.Container(
                        name: name,
                        blobs: blobs.keys.sorted().map { blobName in
                            let blob = blobs[blobName]!
                            var metadata: [String: String] = [:]
                            for item in blob.metadata { metadata[item.name] = item.value }
                            return SimulatorState.Blob(
                                name: blobName, type: blob.kind.rawValue, size: blob.bytes.count, etag: blob.etag,
                                leaseState: blob.lease.state(at: now).rawValue, metadata: metadata)
                        })
                })
        }
    }
}
