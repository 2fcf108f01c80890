import Foundation
import JSONDocument

/// The VM extension image catalogue of the scenario's location, as much of it as its scale sets use:
/// each extension's publisher and type, at the version its model names (`2.1` is listed as `2.1.0`;
/// az keeps major.minor), under the list of publishers. az reads it before `vmss extension set` when no
/// `--version` is given.
extension ARMSimulator {
    /// Publisher → type → versions, from every extension of every scale set's model.
    var extensionCatalogue: [String: [String: Set<String>]] {
        var catalogue: [String: [String: Set<String>]] = [:]
        for set in scaleSets {
            for item in set.extensions {
                guard let publisher = item[path: ["properties", "publisher"]]?.stringValue,
                    let type = item[path: ["properties", "type"]]?.stringValue,
                    let version = item[path: ["properties", "typeHandlerVersion"]]?.stringValue
                else { continue }
                let full = version.split(separator: ".").count == 2 ? version + ".0" : version
                catalogue[publisher, default: [:]][type, default: []].insert(full)
            }
        }
        return catalogue
    }

    func extensionImages(_ request: SimulatedRequest, location: String, publisher: String?, type: String?, version: String?) -> SimulatedResponse {
        guard request.method == "GET" else { return CloudError.methodNotAllowed(request) }
        guard location.lowercased() == scenario.location.lowercased() else {
            return CloudError.response(
                404, "NoRegisteredProviderFound",
                "No registered resource provider found for location '\(location)'. The supported locations are '\(scenario.location)'.")
        }
        let catalogue = extensionCatalogue
        guard let publisher else {
            return .json(200, .array(catalogue.keys.sorted().map { name in
                [
                    "location": .string(scenario.location), "name": .string(name),
                    "id": .string("/Subscriptions/\(scenario.subscription)/Providers/Microsoft.Compute/Locations/\(scenario.location)/Publishers/\(name)"),
                ]
            }))
        }
        guard let types = catalogue.first(where: { $0.key.lowercased() == publisher.lowercased() }) else {
            return CloudError.response(404, "ArtifactNotFound", "Artifact: VMExtension not found.")
        }
        let base = "/Subscriptions/\(scenario.subscription)/Providers/Microsoft.Compute/Locations/\(scenario.location)/Publishers/\(types.key)/ArtifactTypes/VMExtension/Types"
        guard let type else {
            return .json(200, .array(types.value.keys.sorted().map { name in
                ["location": .string(scenario.location), "name": .string(name), "id": .string("\(base)/\(name)")]
            }))
        }
        guard let versions = types.value.first(where: { $0.key.lowercased() == type.lowercased() }) else {
            return CloudError.response(404, "ArtifactNotFound", "Artifact: VMExtension not found.")
        }
        let sorted = versions.value.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        func image(_ number: String) -> JSONValue {
            ["location": .string(scenario.location), "name": .string(number), "id": .string("\(base)/\(versions.key)/Versions/\(number)")]
        }
        guard let version else { return .json(200, .array(sorted.map(image))) }
        guard let found = sorted.first(where: { $0 == version }) else {
            return CloudError.response(404, "ArtifactNotFound", "Artifact: VMExtension not found.")
        }
        var body = image(found)
        body["properties"] = [
            "operatingSystem": "Linux", "computeRole": "IaaS", "handlerSchema": "", "vmScaleSetEnabled": true,
            "supportsMultipleExtensions": false,
        ]
        return .json(200, body)
    }
}
