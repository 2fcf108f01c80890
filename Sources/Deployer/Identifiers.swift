/// A typed name: the phantom `Kind` keeps a target's name from being passed where a pool's is meant.
public struct Identifier<Kind>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum TargetKind: Sendable {}
public enum PoolKind: Sendable {}

/// The name of a deploy target: a host, a scale-set instance, a simulated instance.
public typealias TargetID = Identifier<TargetKind>
/// The name of a load-balancer pool (one HAProxy instance, one Application Gateway pool…).
public typealias PoolID = Identifier<PoolKind>
