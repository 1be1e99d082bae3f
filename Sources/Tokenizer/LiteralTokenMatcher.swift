/// Finds special tokens (control, user-defined and unknown entries) written literally in the input,
/// the step before pre-tokenising that lets `<|im_start|>` in a chat prompt become one id.
///
/// At each position the longest token that starts there wins, and positions are tried left to
/// right: Hugging Face's leftmost-longest matching of added tokens. (llama.cpp tries tokens longest
/// first over the whole text instead; the two differ only for special tokens that overlap one
/// another in the text, which no vocabulary in use has.)
///
/// A byte trie keeps a miss cheap: most bytes are not the first byte of any special token and cost
/// one table load.
struct LiteralTokenMatcher: Sendable {
    /// Whether some token starts with this byte.
    private let isFirstByte: [Bool]
    /// Trie edges: `node << 8 | byte` to the child node.
    private let edges: [Int: Int32]
    /// The token id that ends at each node, or -1.
    private let terminals: [Int32]

    /// Whether there is nothing to match.
    let isEmpty: Bool

    /// A matcher for `tokens` (string, id); empty strings are ignored (they would match everywhere).
    init(_ tokens: [(text: String, id: Int)]) {
        var isFirstByte = [Bool](repeating: false, count: 256)
        var edges: [Int: Int32] = [:]
        var terminals: [Int32] = [-1]
        for (text, id) in tokens where !text.isEmpty {
            var node = 0
            for byte in text.utf8 {
                if node == 0 { isFirstByte[Int(byte)] = true }
                let key = node << 8 | Int(byte)
                if let child = edges[key] {
                    node = Int(child)
                } else {
                    terminals.append(-1)
                    edges[key] = Int32(terminals.count - 1)
                    node = terminals.count - 1
                }
            }
            terminals[node] = Int32(id)
        }
        self.isFirstByte = isFirstByte
        self.edges = edges
        self.terminals = terminals
        isEmpty = edges.isEmpty
    }

    /// The longest token at `utf8[start...]`: its id and byte length.
    @inline(__always)
    func match(in utf8: UnsafeBufferPointer<UInt8>, at start: Int) -> (id: Int32, length: Int)? {
        guard isFirstByte[Int(utf8[start])] else { return nil }
        var node = 0
        var best: (id: Int32, length: Int)?
        var i = start
        while i < utf8.count, let child = edges[node << 8 | Int(utf8[i])] {
            node = Int(child)
            i += 1
            if terminals[node] >= 0 { best = (terminals[node], i - start) }
        }
        return best
    }
}
