import Foundation

/// The version ranges Helm accepts for a dependency's `version` and a chart's `kubeVersion`
/// (Masterminds semver constraints): `^1.2.3`, `~1.2`, `>=1.25.0-0`, `1.2.x`, `1.2 - 1.4`,
/// `>=1.0, <2.0`, `^1 || ^2`.
enum VersionConstraint {
    /// Why `text` is not a constraint, or nil when it is one.
    static func problem(in text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return "it is empty" }
        for alternative in trimmed.components(separatedBy: "||") {
            var words: [String] = []
            for word in alternative.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) {
                // `>= 1.2`: an operator written apart from its version.
                if let last = words.last, operators.contains(last) {
                    words[words.count - 1] = last + word
                } else {
                    words.append(word)
                }
            }
            guard !words.isEmpty else { return "`||` has nothing on one side" }
            var index = 0
            while index < words.count {
                // A hyphen range: `1.2 - 1.4`.
                if index + 2 < words.count, words[index + 1] == "-" {
                    for bound in [words[index], words[index + 2]] where !isVersion(bound) {
                        return "`\(bound)` in the range `\(words[index]) - \(words[index + 2])` is not a version"
                    }
                    index += 3
                    continue
                }
                if let problem = termProblem(words[index]) { return problem }
                index += 1
            }
        }
        return nil
    }

    private static let operators = ["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"]

    private static func termProblem(_ term: String) -> String? {
        var rest = Substring(term)
        for op in operators where rest.hasPrefix(op) {
            rest = rest.dropFirst(op.count)
            break
        }
        rest = rest.drop(while: { $0 == " " })
        guard !rest.isEmpty else { return "`\(term)` has an operator but no version" }
        guard isVersion(String(rest)) else { return "`\(term)` is not a version or a version range" }
        return nil
    }

    /// A version in a constraint: like a lenient version, but each number may be `x`, `X` or `*`.
    private static func isVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        if rest.first == "v" { rest = rest.dropFirst() }
        if let plus = rest.firstIndex(of: "+") { rest = rest[..<plus] }
        if let dash = rest.firstIndex(of: "-") {
            let prerelease = rest[rest.index(after: dash)...]
            guard !prerelease.isEmpty,
                prerelease.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ part in
                    !part.isEmpty && part.allSatisfy { $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }
                })
            else { return false }
            rest = rest[..<dash]
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return false }
        return numbers.allSatisfy { number in
            number == "x" || number == "X" || number == "*" || (!number.isEmpty && number.allSatisfy(\.isASCIIDigit))
        }
    }
}
