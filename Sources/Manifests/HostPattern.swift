/// A host key of an Ansible inventory as Ansible reads it: `web[01:10].example.com` stands for ten
/// hosts, `db-[a:c]` for three, `[1:9:2]` counts in steps, several ranges multiply; `host:2222`
/// gives the hosts that port (ansible-core's `_expand_hostpattern` and `expand_hostname_range`).
enum HostPattern {
    struct Failure: Error, Equatable {
        var message: String
        /// Ansible reads the key, deployer does not (it stands for too many hosts): a warning.
        var tolerated = false
    }

    /// The host names and the port a key stands for; a key without ranges is one host.
    static func expand(_ key: String) throws(Failure) -> (hosts: [String], port: Int?) {
        var pattern = key
        var port: Int?
        // `name:port`, where the name holds no other colon outside a range (an IPv6 address holds several).
        var depth = 0
        var colons: [String.Index] = []
        for index in key.indices {
            switch key[index] {
            case "[": depth += 1
            case "]": depth -= 1
            case ":" where depth == 0: colons.append(index)
            default: break
            }
        }
        if colons.count == 1, let colon = colons.first {
            let digits = key[key.index(after: colon)...]
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(digits) {
                pattern = String(key[..<colon])
                port = number
            }
        }
        guard pattern.contains("[") else { return ([pattern], port) }
        let count = try size(pattern)
        guard count <= largest else {
            throw Failure(message: "it stands for \(count == Int.max ? "more than \(Int32.max)" : String(count)) hosts, more than the \(largest) deployer expands", tolerated: true)
        }
        return (try ranges(pattern), port)
    }

    /// The most hosts one key may stand for: Ansible expands any number, deployer stops here.
    static let largest = 10_000

    /// How many hosts a pattern stands for, counted without expanding it (`Int.max` when past it).
    private static func size(_ pattern: String) throws(Failure) -> Int {
        var total = 1
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]") else { break }
            let bounds = rest[rest.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false)
            rest = rest[rest.index(after: close)...]
            guard bounds.count >= 2 else { continue }
            let step = bounds.count == 3 ? max(1, Int(bounds[2]) ?? 1) : 1
            let low = Int(bounds[0].isEmpty ? "0" : bounds[0]) ?? 0
            guard let high = Int(bounds[1]) else { continue }
            let span = high >= low ? (high - low) / step + 1 : 0
            let (product, overflow) = total.multipliedReportingOverflow(by: span)
            total = overflow ? Int.max : product
        }
        return total
    }

    private static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    private static func ranges(_ pattern: String) throws(Failure) -> [String] {
        guard let open = pattern.firstIndex(of: "[") else { return [pattern] }
        guard let close = pattern[open...].firstIndex(of: "]") else {
            throw Failure(message: "`[` opens a host range that no `]` closes")
        }
        let head = pattern[..<open]
        let tail = pattern[pattern.index(after: close)...]
        let bounds = pattern[pattern.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 || bounds.count == 3 else { throw Failure(message: "a host range must be [begin:end] or [begin:end:step]") }
        let begin = bounds[0].isEmpty ? "0" : bounds[0]
        let end = bounds[1]
        guard !end.isEmpty else { throw Failure(message: "a host range must give its end value") }
        guard let step = bounds.count == 3 ? Int(bounds[2]) : 1, step != 0 else {
            throw Failure(message: "a host range's step must be a whole number other than 0")
        }
        // Ansible counts up only: a range that runs down, or a negative step, stands for no host.
        guard step > 0 else { return [] }
        var values: [String] = []
        if begin.count == 1, end.count == 1, let first = letters.firstIndex(of: Character(begin)), let last = letters.firstIndex(of: Character(end)) {
            guard first <= last else { throw Failure(message: "a host range must have begin <= end (`\(begin)` is after `\(end)`)") }
            values = stride(from: first, through: last, by: step).map { String(letters[$0]) }
        } else {
            guard let low = Int(begin), let high = Int(end), low >= 0, high >= 0 else {
                throw Failure(message: "a host range must count numbers (`[01:10]`) or single letters (`[a:f]`), not `\(begin):\(end)`")
            }
            let width = begin.hasPrefix("0") && begin.count > 1 ? begin.count : 0
            if width > 0, width != end.count {
                throw Failure(message: "a host range with leading zeros must give begin and end the same width (`[01:10]`)")
            }
            guard low <= high else { return [] }
            values = stride(from: low, through: high, by: step).map { number in
                let text = String(number)
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
        }
        var hosts: [String] = []
        for value in values {
            hosts += try ranges(head + value + tail)
        }
        return hosts
    }
}
