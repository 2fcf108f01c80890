/// Byte sizes as compose reads them (`mem_limit`, `shm_size`, `deploy.resources.*.memory`): a whole
/// number of bytes, or docker/go-units' `RAMInBytes` form, a number with an optional binary unit
/// (`k`, `m`, `g`, `t`, `p`, any case, with optional `i` and `b`): `512m`, `1.5g`, `512 MiB`, `100kb`.
enum ComposeByteSize {
    /// The size in bytes, or nil when compose cannot read the text (`invalid size: '512 megs'`).
    static func bytes(_ text: String) -> Int64? {
        if let whole = Int64(text) { return whole }
        guard let match = text.wholeMatch(of: /(?i)([0-9]+(?:\.[0-9]+)*) ?([kmgtp])?i?b?/),
            let number = Double(match.output.1)
        else { return nil }
        let units = ["k", "m", "g", "t", "p"]
        let exponent = match.output.2.flatMap { units.firstIndex(of: $0.lowercased()) }.map { $0 + 1 } ?? 0
        let bytes = (0..<exponent).reduce(number) { value, _ in value * 1024 }
        return bytes < 9.2e18 ? Int64(bytes) : nil
    }
}
