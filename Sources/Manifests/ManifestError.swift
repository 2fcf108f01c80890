public import Foundation

/// The problems that make a manifest unusable, every one of them (not just the first).
public struct ManifestError: Error, CustomStringConvertible, LocalizedError {
    /// Errors first found and any warnings gathered on the way, in a stable order.
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = Diagnostic.ordered(diagnostics)
    }

    /// One diagnostic per line.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }

    public var errorDescription: String? { description }
}
