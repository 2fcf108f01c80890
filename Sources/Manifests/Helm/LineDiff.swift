/// A unified diff of two texts whose differences are few (a handful of edited lines).
enum LineDiff {
    private enum Line: Equatable {
        case same(String), removed(String), added(String)
    }

    /// `--- old` / `+++ new` and `@@ -l,n +l,n @@` hunks with three lines of context; empty when the
    /// texts are equal.
    static func unified(_ old: String, _ new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let lines = script(a, b)
        let changed = lines.indices.filter { if case .same = lines[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return "" }
        // Group changes whose contexts touch into hunks.
        var groups: [ClosedRange<Int>] = []
        for index in changed {
            let range = max(0, index - context)...min(lines.count - 1, index + context)
            if let last = groups.last, range.lowerBound <= last.upperBound + 1 {
                groups[groups.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                groups.append(range)
            }
        }
        var output = "--- \(oldName)\n+++ \(newName)\n"
        for group in groups {
            // Line numbers where the hunk starts in each text.
            var oldLine = 1
            var newLine = 1
            for line in lines[..<group.lowerBound] {
                switch line {
                case .same: oldLine += 1; newLine += 1
                case .removed: oldLine += 1
                case .added: newLine += 1
                }
            }
            var body = ""
            var oldCount = 0
            var newCount = 0
            for line in lines[group] {
                switch line {
                case .same(let text): body += " \(text)\n"; oldCount += 1; newCount += 1
                case .removed(let text): body += "-\(text)\n"; oldCount += 1
                case .added(let text): body += "+\(text)\n"; newCount += 1
                }
            }
            output += "@@ -\(oldLine),\(oldCount) +\(newLine),\(newCount) @@\n" + body
        }
        return output
    }

    /// Walks both texts, and where they differ looks ahead for the nearest line where they agree again.
    private static func script(_ a: [String], _ b: [String]) -> [Line] {
        var result: [Line] = []
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                result.append(.same(a[i]))
                i += 1
                j += 1
                continue
            }
            var resync: (Int, Int)?
            search: for distance in 1...max(1, (a.count - i) + (b.count - j)) {
                for skipA in 0...distance {
                    let skipB = distance - skipA
                    if i + skipA >= a.count || j + skipB >= b.count {
                        if i + skipA == a.count, j + skipB == b.count { resync = (skipA, skipB); break search }
                        continue
                    }
                    if a[i + skipA] == b[j + skipB] {
                        resync = (skipA, skipB)
                        break search
                    }
                }
            }
            let (skipA, skipB) = resync ?? (a.count - i, b.count - j)
            result += a[i..<(i + skipA)].map(Line.removed)
            result += b[j..<(j + skipB)].map(Line.added)
            i += skipA
            j += skipB
        }
        return result
    }
}
