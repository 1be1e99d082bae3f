/// Which decoder layers a checkpoint's tensor names show, so that a layer count read from metadata
/// can be checked against the file before anything is built per layer.
///
/// A configuration's `num_hidden_layers` (or GGUF `block_count`) is an untrusted number: a file
/// claiming 3,000,000 layers would otherwise have the loader build millions of placeholder layers
/// and tensor declarations (seconds and gigabytes) before failing on the first missing tensor. The
/// tensor names, by contrast, are bounded by the file's size, so collecting their layer indices is
/// cheap; and since every claimed layer must have a tensor of its own, a forged count can only pass
/// with a file that has (at least) that many tensor entries.
struct StoredLayerCount {
    /// The distinct layer indices `N` of tensors named `prefix` + `N` + `.` + ….
    let indices: Set<Int>
    /// The prefix before the index, `blk.` or `model.layers.`.
    let prefix: String

    init(names: some Sequence<String>, prefix: String) {
        var indices = Set<Int>()
        for name in names where name.hasPrefix(prefix) {
            let rest = name.utf8.dropFirst(prefix.utf8.count)
            guard let dot = rest.firstIndex(of: UInt8(ascii: ".")),
                  let index = Int(Substring(rest[rest.startIndex ..< dot])), index >= 0 else { continue }
            indices.insert(index)
        }
        self.indices = indices
        self.prefix = prefix
    }

    /// Whether every layer `0 ..< count` has at least one tensor (checked without allocating by `count`).
    func covers(_ count: Int) -> Bool {
        count <= indices.count && indices.lazy.filter { $0 < count }.count == count
    }

    /// For example `4 layers have tensors (blk.0 to blk.3)` or `no layer has tensors (no blk.N names)`.
    var summary: String {
        guard let highest = indices.max() else { return "no layer has tensors (no \(prefix)N names)" }
        if indices.count == highest + 1 {
            return "\(indices.count) layer\(indices.count == 1 ? " has" : "s have") tensors (\(prefix)0 to \(prefix)\(highest))"
        }
        return "\(indices.count) layer\(indices.count == 1 ? " has" : "s have") tensors (\(prefix)N, N up to \(highest), with gaps)"
    }
}
