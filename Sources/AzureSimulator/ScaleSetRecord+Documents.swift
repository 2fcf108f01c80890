import JSONDocument
/// The JSON ARM returns for a scale set, its extensions, instances and NICs (fact sheet §2.1–§2.8).
extension ScaleSetRecord {
    /// The scale set as GET returns it.
    func rendered() -> JSONValue {
        var body = document
        body["id"] = .string(id)
        body["type"] = "Microsoft.Compute/virtualMachineScaleSets"
        body["etag"] = .string(etag)
        body[path: ["sku", "capacity"]] = .int(instances.count)
        body[path: ["properties", "provisioningState"]] = .string(provisioningState)
        body[path: ["properties", "uniqueId"]] = .string(uniqueID)
        body[path: ["properties", "virtualMachineProfile", "extensionProfile", "extensions"]] =
            .array(extensions.map(renderedExtension))
        return body
    }

    /// One extension of the model, with its provisioning state (and id/type, as the sub-resource GET shows).
    func renderedExtension(_ extensionDocument: JSONValue) -> JSONValue {
        var body = extensionDocument
        let name = extensionDocument["name"]?.stringValue ?? ""
        body["id"] = .string("\(id)/extensions/\(name)")
        body["type"] = "Microsoft.Compute/virtualMachineScaleSets/extensions"
        body[path: ["properties", "provisioningState"]] = .string(extensionStates[name.lowercased()] ?? "Succeeded")
        return body
    }

    /// One instance as the VM list and GET return it; `instanceView` is added when expanded.
    func renderedInstance(_ instance: InstanceRecord, location: String, instanceView: JSONValue?) -> JSONValue {
        var properties: JSONValue = [
            "latestModelApplied": .bool(instance.modelVersion == modelVersion),
            "modelDefinitionApplied": "VirtualMachineScaleSet",
            "provisioningState": .string(instance.provisioningState),
            "vmId": .string(instance.vmID),
            "hardwareProfile": ["vmSize": document[path: ["sku", "name"]] ?? "Standard_D2s_v3"],
            "osProfile": ["computerName": .string(computerName(instance)), "adminUsername": "azureuser"],
            "networkProfile": ["networkInterfaces": [["id": .string(nicID(instance)), "properties": ["primary": true]]]],
        ]
        if let instanceView { properties["instanceView"] = instanceView }
        return [
            "id": .string("\(id)/virtualMachines/\(instance.id)"),
            "name": .string("\(spec.name)_\(instance.id)"),
            "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
            "location": .string(location),
            "instanceId": .string(instance.id),
            "sku": ["name": document[path: ["sku", "name"]] ?? "Standard_D2s_v3", "tier": "Standard"],
            "properties": properties,
        ]
    }

    /// An instance's instanceView; `health` is the `vmHealth` code to report (nil: absent).
    func renderedInstanceView(_ instance: InstanceRecord, health: String?) -> JSONValue {
        let updating = instance.provisioningState == "Updating"
        let provisioning = "ProvisioningState/\(instance.provisioningState.lowercased())"
        var extensionViews: [JSONValue] = []
        for extensionDocument in extensions {
            let name = extensionDocument["name"]?.stringValue ?? ""
            let publisher = extensionDocument[path: ["properties", "publisher"]]?.stringValue ?? ""
            let type = extensionDocument[path: ["properties", "type"]]?.stringValue ?? ""
            let isDeploy = name.lowercased() == spec.extension.name.lowercased()
            let failed = isDeploy && instance.extensionFailed
            let code = failed ? "ProvisioningState/failed" : updating ? "ProvisioningState/transitioning" : "ProvisioningState/succeeded"
            var status: JSONValue = [
                "code": .string(code), "level": failed ? "Error" : "Info",
                "displayStatus": failed ? "Provisioning failed" : updating ? "Transitioning" : "Provisioning succeeded",
            ]
            if failed {
                status["message"] = "Enable failed: failed to execute command: command terminated with exit status=1"
            }
            extensionViews.append([
                "name": .string(name), "type": .string("\(publisher).\(type)"),
                "typeHandlerVersion": extensionDocument[path: ["properties", "typeHandlerVersion"]] ?? "1.0",
                "statuses": [status],
            ])
        }
        var view: JSONValue = [
            "platformUpdateDomain": .int((Int(instance.id) ?? 0) % 5),
            "platformFaultDomain": .int((Int(instance.id) ?? 0) % 2),
            "computerName": .string(computerName(instance)),
            "osName": "ubuntu", "osVersion": "24.04",
            "vmAgent": [
                "vmAgentVersion": "2.13.1.1",
                "statuses": [["code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"]],
            ],
            "extensions": .array(extensionViews),
            "statuses": [
                ["code": .string(provisioning), "level": instance.provisioningState == "Failed" ? "Error" : "Info",
                 "displayStatus": .string("Provisioning \(instance.provisioningState.lowercased())")],
                ["code": "PowerState/running", "level": "Info", "displayStatus": "VM running"],
            ],
        ]
        if let health {
            let word = health.split(separator: "/").last.map(String.init) ?? health
            view["vmHealth"] = [
                "status": [
                    "code": .string(health), "level": word == "healthy" || word == "initializing" ? "Info" : "Warning",
                    "displayStatus": .string("The VM health state is \(word)"),
                ]
            ]
        }
        return view
    }

    /// The instance's primary NIC (NetworkInterface shape of the VMSS-NIC API, §2.8).
    func renderedNIC(_ instance: InstanceRecord, location: String) -> JSONValue {
        var ipProperties: JSONValue = [
            "provisioningState": "Succeeded", "primary": true, "privateIPAddress": .string(instance.ip),
            "privateIPAllocationMethod": "Dynamic", "privateIPAddressVersion": "IPv4",
            "subnet": primaryIPConfiguration?[path: ["properties", "subnet"]] ?? .null,
        ]
        let pools = referencedPools
        if !pools.isEmpty { ipProperties["applicationGatewayBackendAddressPools"] = .array(pools.map { JSONValue.string($0).asID }) }
        return [
            "id": .string(nicID(instance)),
            "name": .string(nicName),
            "etag": .string("W/\"\(instance.vmID)-\(modelVersion)\""),
            "location": .string(location),
            "properties": [
                "provisioningState": "Succeeded", "primary": true, "enableAcceleratedNetworking": false,
                "enableIPForwarding": false,
                "virtualMachine": .string("\(id)/virtualMachines/\(instance.id)").asID,
                "ipConfigurations": [
                    [
                        "name": .string(ipConfigurationName), "id": .string(ipConfigurationID(instance)),
                        "etag": .string("W/\"\(instance.vmID)-\(modelVersion)\""),
                        "properties": ipProperties,
                    ]
                ],
            ],
        ]
    }
}
