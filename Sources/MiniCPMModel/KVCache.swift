import TensorCore

/// Keys and values of every layer for the tokens seen so far, so that decoding one more token costs
/// attention over the cache instead of a forward pass over the whole prefix.
///
/// Each decoder layer appends to its own ``Layer``, which knows its offset (the position of its next
/// row); the cache records the token ids once every layer has appended them. Memory grows in blocks
/// and is reused: appending never copies what is already cached (except when a block is outgrown),
/// and keeping the cache between calls continues a conversation without recomputing it.
/// ``trim(to:)`` drops the newest tokens (to regenerate or edit a turn).
public final class KVCache: @unchecked Sendable {
    /// One layer's keys and values, rows `[capacity, keyValueHeads, headDimension]` each.
    public final class Layer {
        /// Rows cached: the position of the next token this layer sees.
        public fileprivate(set) var length = 0
        private var keys: UnsafeMutablePointer<Float>
        private var values: UnsafeMutablePointer<Float>
        private var capacity: Int
        private let keyValueHeads: Int
        private let headDimension: Int
        private let maximumLength: Int
        private var rowWidth: Int { keyValueHeads * headDimension }

        init(capacity: Int, keyValueHeads: Int, headDimension: Int, maximumLength: Int) {
            self.capacity = capacity
            self.keyValueHeads = keyValueHeads
            self.headDimension = headDimension
            self.maximumLength = maximumLength
            keys = .allocate(capacity: max(1, capacity * keyValueHeads * headDimension))
            values = .allocate(capacity: max(1, capacity * keyValueHeads * headDimension))
        }

        deinit { keys.deallocate(); values.deallocate() }

        /// Writes the keys and values `[1, T, H_kv, D]` of the next `T` positions, advances
        /// ``length`` by `T`, and returns views of all cached rows `[1, length, H_kv, D]` (valid until
        /// the next append).
        func append(keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor) {
            let t = newKeys.shape[newKeys.rank - 3]
            let total = length + t
            precondition(total <= maximumLength, "KV cache overflow: \(total) > \(maximumLength) tokens")
            if total > capacity { grow(to: min(maximumLength, max(total, capacity * 2))) }
            let w = rowWidth
            newKeys.withUnsafeBufferPointer { (keys + length * w).update(from: $0.baseAddress!, count: t * w) }
            newValues.withUnsafeBufferPointer { (values + length * w).update(from: $0.baseAddress!, count: t * w) }
            length = total
            let shape = [1, total, keyValueHeads, headDimension]
            return (Tensor(shape: shape, borrowing: keys, owner: self), Tensor(shape: shape, borrowing: values, owner: self))
        }

        /// Forgets the rows after the first `newLength`, for a caller that appended rows it does not
        /// keep (``MiniCPM/logits(forContinuations:of:)``); the cache's ``KVCache/tokens`` never
        /// included them.
        func rollBack(to newLength: Int) {
            precondition(newLength >= 0 && newLength <= length, "cannot roll a layer of \(length) rows back to \(newLength)")
            length = newLength
        }

        private func grow(to newCapacity: Int) {
            let k = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * rowWidth)
            let v = UnsafeMutablePointer<Float>.allocate(capacity: newCapacity * rowWidth)
            k.update(from: keys, count: length * rowWidth)
            v.update(from: values, count: length * rowWidth)
            keys.deallocate(); values.deallocate()
            keys = k; values = v
            capacity = newCapacity
        }
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

    /// An empty cache for `configuration`, optionally reserving room for `reservedLength` tokens.
    public init(configuration: MiniCPMConfiguration, maximumLength: Int? = nil, reservedLength: Int = 256) {
        let maximum = maximumLength ?? KVCache.defaultMaximumLength(configuration)
        self.maximumLength = maximum
        let initial = max(1, min(maximum, reservedLength))
        layers = (0..<configuration.layerCount).map { _ in
            Layer(capacity: initial, keyValueHeads: configuration.keyValueHeadCount,
                  headDimension: configuration.headDimension, maximumLength: maximum)
        }
    }

    static func defaultMaximumLength(_ c: MiniCPMConfiguration) -> Int {
        switch c.ropeScaling {
        case let .linear(factor), let .dynamic(factor): return Int((Double(c.maxPositionEmbeddings) * Double(factor)).rounded(.down))
        case .longRope, nil: return c.maxPositionEmbeddings
        }
    }

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

    /// Forgets every token after the first `newLength`.
    public func trim(to newLength: Int) {
        precondition(newLength >= 0 && newLength <= length, "cannot trim a cache of \(length) tokens to \(newLength)")
        tokens.removeLast(tokens.count - newLength)
        for layer in layers { layer.length = newLength }
    }

    /// Forgets every token.
    public func reset() { trim(to: 0) }
}
