extension StringProtocol {
    /// The lines of a source text, as YAML counts them: split at `\n`, `\r\n` and a lone `\r`, the
    /// breaks removed (Swift keeps `\r\n` as one character, so splitting at "\n" alone misses it).
    var sourceLines: [SubSequence] {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }
}
