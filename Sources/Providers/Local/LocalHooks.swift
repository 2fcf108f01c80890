public import Deployer
import Foundation
public import Manifests

/// The environment's hooks, each run by `/bin/sh -c` where deployer runs, in the environment file's
/// directory, with the `DEPLOYER_*` variables of the moment added to deployer's own environment —
/// less the secrets deployer reads from it (`AZURE_CLIENT_SECRET`, `DEPLOYER_SSH_PASSPHRASE`, the
/// variable holding a state account key), which a hook is never given.
public struct LocalHooks: DeployHooks {
    public let spec: HookSpec
    public let directory: String
    public let secrets: [String]

    public init(spec: HookSpec, directory: String, secrets: [String] = []) {
        self.spec = spec
        self.directory = directory
        self.secrets = ["AZURE_CLIENT_SECRET", "DEPLOYER_SSH_PASSPHRASE"] + secrets
    }

    public func run(
        _ point: HookSpec.Point, variables: [String: String], onLine: @escaping @Sendable (String) -> Void
    ) async -> HookRun? {
        guard let command = spec.commands[point] else { return nil }
        var environment = variables
        environment["DEPLOYER_HOOK"] = point.rawValue
        let script = "cd \(ShellQuoting.quote(directory)) || exit 125\n" + secrets.map { "unset \($0)" }.joined(separator: "\n") + "\n" + command
        do {
            let result = try await LocalCommand.run(script, timeout: spec.timeout, environment: environment, onLine: onLine)
            let tail = String(result.output.suffix(4096))
            let took = String(format: "%.1f s", result.seconds)
            if result.timedOut {
                return HookRun(point: point, succeeded: false, status: "stopped at its timeout of \(spec.timeout.manifestText)", tail: tail)
            }
            if let code = result.exitStatus {
                return HookRun(point: point, succeeded: code == 0, status: "exit \(code) in \(took)", tail: tail)
            }
            return HookRun(point: point, succeeded: false, status: "killed by signal \(result.signal ?? 0) after \(took)", tail: tail)
        } catch {
            return HookRun(point: point, succeeded: false, status: "could not start: \(error)", tail: "")
        }
    }
}
