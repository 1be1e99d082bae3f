/// A byte stream kept only up to a limit: either its first `limit` bytes or its last `limit` bytes,
/// with the total counted, so reading a program's output never costs more than `limit` bytes of memory.
struct BoundedOutput {
    enum Keep { case head, tail }

    let limit: Int
    let keep: Keep
    private(set) var bytes: [UInt8] = []
    private(set) var total = 0

    init(limit: Int, keep: Keep) {
        self.limit = limit
        self.keep = keep
        bytes.reserveCapacity(min(limit, 1 << 16))
    }

    var truncated: Bool { total > min(bytes.count, limit) }

    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += chunk.count
        switch keep {
        case .head:
            let room = limit - bytes.count
            if room > 0 { bytes.append(contentsOf: chunk.prefix(room)) }
        case .tail:
            if chunk.count >= limit {
                bytes = Array(chunk.suffix(limit))
            } else {
                // Drop the oldest bytes only once the buffer would pass twice the limit, so the
                // copying stays amortised O(1) per byte however small the chunks are.
                bytes.append(contentsOf: chunk)
                if bytes.count > 2 * limit { bytes.removeFirst(bytes.count - limit) }
            }
        }
    }

    /// The kept bytes as text (invalid UTF-8, such as a character cut at the limit, is replaced).
    var text: String {
        let kept = keep == .tail && bytes.count > limit ? Array(bytes.suffix(limit)) : bytes
        return String(decoding: kept, as: UTF8.self)
    }
}
