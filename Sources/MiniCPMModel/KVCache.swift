import TensorCore

/// Keys and values of every layer for the tokens seen so far, so that decoding one more token costs
/// attention over the cache instead of a forward pass over the whole prefix.
///
/// Each decoder layer appends to its own ``Layer``, which knows its offset (the position of its next
/// row); the cache records the token ids once every layer has appended them. Keeping the cache
/// between calls continues a conversation without recomputing it; ``trim(to:)`` drops the newest
/// tokens (to regenerate or edit a turn).
///
/// ## Memory
///
/// Each layer reserves address space for ``maximumLength`` tokens when the cache is made, and the
/// system commits memory page by page as tokens are written: appending never moves or copies what
/// is cached, and a cache uses memory for the tokens it holds, not for its maximum.
/// ``bytesPerToken`` is the cost of one token over all layers (`layers · 2 · kv_heads · head_dim · 4`
/// bytes: 208 KiB for MiniCPM-1.2B, so 6.5 GiB at 32 K tokens), ``memoryBytes`` what the cached tokens
/// occupy, ``residentBytes`` the memory committed (whole pages, up to the longest length since the
/// last trim) and ``reservedBytes`` the address space held. ``trim(to:)`` and ``reset()`` return
/// the pages they free to the system.
public final class KVCache: @unchecked Sendable {
    /// One layer's keys and values, rows `[maximumLength, keyValueHeads, headDimension]` each,
    /// reserved up front (see ``KVCache``'s Memory section).
    public final class Layer {
        /// Rows cached: the position of the next token this layer sees.
        public fileprivate(set) var length = 0
        /// The most rows written since the last trim: what has committed pages.
        fileprivate var highWater = 0
        private let keys: ReservedFloatBuffer
        private let values: ReservedFloatBuffer
        private let keyValueHeads: Int
        private let headDimension: Int
        private let maximumLength: Int
        private var rowWidth: Int { keyValueHeads * headDimension }

        init(keyValueHeads: Int, headDimension: Int, maximumLength: Int) {
            self.keyValueHeads = keyValueHeads
            self.headDimension = headDimension
            self.maximumLength = maximumLength
            keys = ReservedFloatBuffer(count: maximumLength * keyValueHeads * headDimension)
            values = ReservedFloatBuffer(count: maximumLength * keyValueHeads * headDimension)
        }

        /// Writes the keys and values `[1, T, H_kv, D]` of the next `T` positions, advances
        /// ``length`` by `T`, and returns views of all cached rows `[1, length, H_kv, D]` (valid until
        /// the next append or trim).
        func append(keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor) {
            let t = newKeys.shape[newKeys.rank - 3]
            let total = length + t
            precondition(total <= maximumLength, "KV cache overflow: \(total) > \(maximumLength) tokens")
            let w = rowWidth
            newKeys.withUnsafeBufferPointer { (keys.baseAddress + length * w).update(from: $0.baseAddress!, count: t * w) }
            newValues.withUnsafeBufferPointer { (values.baseAddress + length * w).update(from: $0.baseAddress!, count: t * w) }
            length = total
            highWater = max(highWater, total)
            let shape = [1, total, keyValueHeads, headDimension]
            return (Tensor(shape: shape, borrowing: keys.baseAddress, owner: self),
                    Tensor(shape: shape, borrowing: values.baseAddress, owner: self))
        }

        /// Forgets the rows after the first `newLength`, for a caller that appended rows it does not
        /// keep (``MiniCPM/logits(forContinuations:of:)``); the cache's ``KVCache/tokens`` never
        /// included them. Their pages stay committed (the next append writes over them).
        func rollBack(to newLength: Int) {
            precondition(newLength >= 0 && newLength <= length, "cannot roll a layer of \(length) rows back to \(newLength)")
            length = newLength
        }

        /// Keeps the first `newLength` rows and gives the pages beyond them back.
        func trim(to newLength: Int) {
            length = newLength
            if highWater > newLength {
                keys.release(after: newLength * rowWidth)
                values.release(after: newLength * rowWidth)
                highWater = newLength
            }
        }

        /// Bytes of one cached row, keys and values.
        var bytesPerRow: Int { 2 * rowWidth * MemoryLayout<Float>.stride }
        /// Bytes of committed pages, keys and values.
        var residentBytes: Int { 2 * keys.committedBytes(forFirst: highWater * rowWidth) }
        /// Bytes of address space reserved, keys and values.
        var reservedBytes: Int { keys.byteCount + values.byteCount }
    }

    /// The layers' caches, in decoder order.
    public let layers: [Layer]
    /// The most tokens the cache may hold: by default the model's `max_position_embeddings`, times
    /// the factor of a linear or dynamic `rope_scaling` (whose purpose is to go past it).
    public let maximumLength: Int
    /// The token ids whose keys and values are cached, in order.
    public private(set) var tokens: [Int] = []
    /// Tokens cached so far; the position of the next token.
    public var length: Int { tokens.count }

    /// An empty cache for `configuration` that holds up to `maximumLength` tokens (by default the
    /// trained context, ``MiniCPMConfiguration/trainedContextLength``).
    ///
    /// - Parameters:
    ///   - configuration: The model's configuration (layers, KV heads, head size).
    ///   - maximumLength: The most tokens the cache may hold; its address space is reserved now
    ///     (``reservedBytes``), its memory committed as tokens are written.
    ///   - reservedLength: Ignored: kept for source compatibility from when the cache grew by
    ///     doubling from this length. Every cache now reserves ``maximumLength`` up front.
    public init(configuration: MiniCPMConfiguration, maximumLength: Int? = nil, reservedLength: Int = 256) {
        let maximum = max(0, maximumLength ?? KVCache.defaultMaximumLength(configuration))
        self.maximumLength = maximum
        // Address space is plentiful but not endless (47 bits on x86-64 Linux): a cache reserves at
        // most 2⁴⁰ bytes (1 TiB, 5 million tokens of MiniCPM-1.2B), so that an unbounded maximum (`Int.max`, deliberate
        // extrapolation) reserves more than any machine could fill instead of overflowing.
        let bytesPerToken = max(1, configuration.layerCount * 2 * configuration.keyValueWidth * MemoryLayout<Float>.stride)
        let reserved = min(maximum, Self.addressSpaceLimit / bytesPerToken)
        layers = (0..<configuration.layerCount).map { _ in
            Layer(keyValueHeads: configuration.keyValueHeadCount, headDimension: configuration.headDimension,
                  maximumLength: reserved)
        }
    }

    /// The most address space one cache reserves, in bytes.
    static let addressSpaceLimit = 1 << 40

    static func defaultMaximumLength(_ c: MiniCPMConfiguration) -> Int {
        switch c.ropeScaling {
        case let .linear(factor), let .dynamic(factor): return Int((Double(c.maxPositionEmbeddings) * Double(factor)).rounded(.down))
        case .longRope, nil: return c.maxPositionEmbeddings
        }
    }

    /// Bytes one token takes in the cache, over all layers: `layers · 2 · kv_heads · head_dim · 4`
    /// (keys and values in `Float`).
    public var bytesPerToken: Int { layers.reduce(0) { $0 + $1.bytesPerRow } }

    /// Bytes the cached tokens occupy: ``length`` × ``bytesPerToken``.
    public var memoryBytes: Int { length * bytesPerToken }

    /// Bytes of memory the cache has committed: the whole pages written since the last
    /// ``trim(to:)`` or ``reset()``, at least ``memoryBytes``, and at most a page per layer's keys
    /// and values more unless rows were appended and rolled back since (scoring continuations with
    /// ``MiniCPM/logits(forContinuations:of:)``), whose pages stay committed for the next append.
    /// This, not ``reservedBytes``, is what the cache adds to the process's resident size.
    public var residentBytes: Int { layers.reduce(0) { $0 + $1.residentBytes } }

    /// Bytes of address space reserved for ``maximumLength`` tokens (page-rounded), which costs no
    /// memory until written.
    public var reservedBytes: Int { layers.reduce(0) { $0 + $1.reservedBytes } }

    /// Room left before ``maximumLength``.
    public var remainingCapacity: Int { maximumLength - length }

    /// Runs `forward`, in which every layer appends the keys and values of `newTokens` to its
    /// ``Layer``, then records the tokens. The caller has checked that they fit.
    func extend<R>(with newTokens: [Int], _ forward: () -> R) -> R {
        precondition(newTokens.count <= remainingCapacity, "KV cache overflow: \(length + newTokens.count) > \(maximumLength) tokens")
        let result = forward()
        tokens += newTokens
        precondition(layers.allSatisfy { $0.length == tokens.count }, "a layer did not append every new token")
        return result
    }

    /// Forgets every token after the first `newLength`, giving the memory of the pages past them
    /// back to the system.
    public func trim(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "cannot trim a cache of \(length) tokens to \(newLength)")
        tokens.removeLast(tokens.count - newLength)
        for layer in layers { layer.trim(to: newLength) }
    }

    /// Forgets every token.
    public func reset() { trim(to: 0) }
}
