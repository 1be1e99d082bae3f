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
///
/// ## Half precision
///
/// `KVCache(configuration:maximumLength:storage: .float16)` stores keys and values as IEEE binary16
/// (``KVCacheStorage/float16``): every size above halves, plus a scratch of one layer's rows in
/// `Float` that multi-token appends widen the prefix into (`HalfRowScratch`; counted in
/// ``residentBytes`` and ``reservedBytes``, so a half cache may reserve up to `1 + 2 / layers` times
/// the 1 TiB cap below). Decoding one token reads the half rows directly.
public final class KVCache: @unchecked Sendable {
    /// One layer's keys and values, rows `[maximumLength, keyValueHeads, headDimension]` each,
    /// reserved up front (see ``KVCache``'s Memory section).
    public final class Layer {
        /// Rows cached: the position of the next token this layer sees.
        public fileprivate(set) var length = 0
        /// The most rows written since the last trim: what has committed pages.
        fileprivate var highWater = 0
        /// How the rows are stored.
        public let storage: KVCacheStorage
        private let keys: ReservedFloatBuffer
        private let values: ReservedFloatBuffer
        /// For ``KVCacheStorage/float16``: the float rows a multi-token append hands to attention,
        /// shared by all layers (see `HalfRowScratch`).
        private let scratch: HalfRowScratch?
        private let keyValueHeads: Int
        private let headDimension: Int
        private let maximumLength: Int
        private var rowWidth: Int { keyValueHeads * headDimension }
        /// Floats of the buffers that `elements` stored elements occupy (two halves a float).
        private func floats(_ elements: Int) -> Int {
            storage == .float32 ? elements : (elements + 1) / 2
        }

        init(keyValueHeads: Int, headDimension: Int, maximumLength: Int, storage: KVCacheStorage = .float32,
             scratch: HalfRowScratch? = nil) {
            self.keyValueHeads = keyValueHeads
            self.headDimension = headDimension
            self.maximumLength = maximumLength
            self.storage = storage
            self.scratch = storage == .float16 ? scratch : nil
            precondition(storage == .float32 || scratch != nil, "a half-precision layer needs its cache's scratch rows")
            let elements = maximumLength * keyValueHeads * headDimension
            let count = storage == .float32 ? elements : (elements + 1) / 2
            keys = ReservedFloatBuffer(count: count)
            values = ReservedFloatBuffer(count: count)
        }

        /// The half-precision rows (a ``KVCacheStorage/float16`` layer's buffers hold binary16 bit
        /// patterns, two to a float slot).
        private var halfKeys: UnsafeMutablePointer<UInt16> {
            UnsafeMutableRawPointer(keys.baseAddress).assumingMemoryBound(to: UInt16.self)
        }
        private var halfValues: UnsafeMutablePointer<UInt16> {
            UnsafeMutableRawPointer(values.baseAddress).assumingMemoryBound(to: UInt16.self)
        }

        /// Writes `[1, T, H_kv, D]` keys and values at the end, rounding them to binary16 for a
        /// ``KVCacheStorage/float16`` layer, and returns the new ``length``.
        private func store(keys newKeys: Tensor, values newValues: Tensor) -> Int {
            let t = newKeys.shape[newKeys.rank - 3]
            let total = length + t
            precondition(total <= maximumLength, "KV cache overflow: \(total) > \(maximumLength) tokens")
            let w = rowWidth
            switch storage {
            case .float32:
                newKeys.withUnsafeBufferPointer { (keys.baseAddress + length * w).update(from: $0.baseAddress!, count: t * w) }
                newValues.withUnsafeBufferPointer { (values.baseAddress + length * w).update(from: $0.baseAddress!, count: t * w) }
            case .float16:
                func narrow(_ source: Tensor, into destination: UnsafeMutablePointer<UInt16>) {
                    source.withUnsafeBufferPointer { rows in
                        let target = UnsafeMutableRawPointer(destination + length * w).assumingMemoryBound(to: Float16.self)
                        HalfPrecision.convert(UnsafeBufferPointer(rebasing: rows[0 ..< t * w]),
                                              to: UnsafeMutableBufferPointer(start: target, count: t * w))
                    }
                }
                narrow(newKeys, into: halfKeys)
                narrow(newValues, into: halfValues)
            }
            length = total
            highWater = max(highWater, total)
            return total
        }

        /// Writes the keys and values `[1, T, H_kv, D]` of the next `T` positions, advances
        /// ``length`` by `T`, and returns views of all cached rows `[1, length, H_kv, D]` in
        /// `Float`, valid until the next append or trim. A ``KVCacheStorage/float16`` layer returns
        /// the rows widened into its cache's scratch (its own new rows rounded too, so attention
        /// always sees what is cached), valid until the next append to **any** layer of the cache.
        func append(keys newKeys: Tensor, values newValues: Tensor) -> (keys: Tensor, values: Tensor) {
            let total = store(keys: newKeys, values: newValues)
            let shape = [1, total, keyValueHeads, headDimension]
            guard let scratch else {
                return (Tensor(shape: shape, borrowing: keys.baseAddress, owner: self),
                        Tensor(shape: shape, borrowing: values.baseAddress, owner: self))
            }
            let (k, v) = scratch.widen(keys: halfKeys, values: halfValues, count: total * rowWidth)
            return (Tensor(shape: shape, borrowing: k, owner: scratch), Tensor(shape: shape, borrowing: v, owner: scratch))
        }

        /// Appends one position's keys and values `[1, 1, H_kv, D]` and returns the attention of
        /// `query` `[1, 1, H_q, D]` over all cached rows: for a ``KVCacheStorage/float16`` layer,
        /// straight from the half-precision rows (widened tile by tile, no scratch); for a float
        /// layer, the float kernel over the views ``append(keys:values:)`` returns.
        func appendAndAttend(query: Tensor, keys newKeys: Tensor, values newValues: Tensor) -> Tensor {
            guard storage == .float16 else {
                let (k, v) = append(keys: newKeys, values: newValues)
                return scaledDotProductAttention(query: query, key: k, value: v, isCausal: true)
            }
            let total = store(keys: newKeys, values: newValues)
            return withExtendedLifetime(self) {
                scaledDotProductAttention(query: query, float16Keys: halfKeys, values: halfValues, keyCount: total,
                                          keyValueHeads: keyValueHeads)
            }
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
                keys.release(after: floats(newLength * rowWidth))
                values.release(after: floats(newLength * rowWidth))
                highWater = newLength
            }
        }

        /// Bytes of one cached row, keys and values.
        var bytesPerRow: Int { 2 * rowWidth * storage.bytesPerElement }
        /// Bytes of committed pages, keys and values.
        var residentBytes: Int { 2 * keys.committedBytes(forFirst: floats(highWater * rowWidth)) }
        /// Bytes of address space reserved, keys and values.
        var reservedBytes: Int { keys.byteCount + values.byteCount }
    }

    /// The layers' caches, in decoder order.
    public let layers: [Layer]
    /// The most tokens the cache may hold: by default the model's `max_position_embeddings`, times
    /// the factor of a linear or dynamic `rope_scaling` (whose purpose is to go past it).
    public let maximumLength: Int
    /// How keys and values are stored: `Float`, or IEEE binary16 at half the memory.
    public let storage: KVCacheStorage
    /// A ``KVCacheStorage/float16`` cache's float rows for multi-token appends (nil for float).
    let scratch: HalfRowScratch?
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
    ///   - storage: `Float` keys and values (the default), or ``KVCacheStorage/float16``, which
    ///     halves ``bytesPerToken`` and the bytes a decoding step reads (Docs/LongContext.md gives
    ///     the measured effect on logits).
    public init(configuration: MiniCPMConfiguration, maximumLength: Int? = nil, reservedLength: Int = 256,
                storage: KVCacheStorage = .float32) {
        let maximum = max(0, maximumLength ?? KVCache.defaultMaximumLength(configuration))
        self.maximumLength = maximum
        self.storage = storage
        // Address space is plentiful but not endless (47 bits on x86-64 Linux): a cache reserves at
        // most 2⁴⁰ bytes (1 TiB, 5 million tokens of MiniCPM-1.2B), so that an unbounded maximum (`Int.max`, deliberate
        // extrapolation) reserves more than any machine could fill instead of overflowing.
        let bytesPerToken = max(1, configuration.layerCount * 2 * configuration.keyValueWidth * storage.bytesPerElement)
        let reserved = min(maximum, Self.addressSpaceLimit / bytesPerToken)
        let scratch = storage == .float16 ? HalfRowScratch(rows: reserved, rowWidth: configuration.keyValueWidth) : nil
        self.scratch = scratch
        layers = (0..<configuration.layerCount).map { _ in
            Layer(keyValueHeads: configuration.keyValueHeadCount, headDimension: configuration.headDimension,
                  maximumLength: reserved, storage: storage, scratch: scratch)
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
    /// (keys and values in `Float`), or `· 2` for ``KVCacheStorage/float16``.
    public var bytesPerToken: Int { layers.reduce(0) { $0 + $1.bytesPerRow } }

    /// Bytes the cached tokens occupy: ``length`` × ``bytesPerToken``.
    public var memoryBytes: Int { length * bytesPerToken }

    /// Bytes of memory the cache has committed: the whole pages written since the last
    /// ``trim(to:)`` or ``reset()``, at least ``memoryBytes``, and at most a page per layer's keys
    /// and values more unless rows were appended and rolled back since (scoring continuations with
    /// ``MiniCPM/logits(forContinuations:of:)``), whose pages stay committed for the next append.
    /// This, not ``reservedBytes``, is what the cache adds to the process's resident size. A
    /// ``KVCacheStorage/float16`` cache adds its scratch's committed pages: one layer's rows in
    /// `Float`, up to the longest prefix a multi-token append widened (`HalfRowScratch`).
    public var residentBytes: Int { layers.reduce(0) { $0 + $1.residentBytes } + (scratch?.residentBytes ?? 0) }

    /// Bytes of address space reserved for ``maximumLength`` tokens (page-rounded), which costs no
    /// memory until written.
    public var reservedBytes: Int { layers.reduce(0) { $0 + $1.reservedBytes } + (scratch?.reservedBytes ?? 0) }

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
        scratch?.trim(toRows: newLength)
    }

    /// Forgets every token.
    public func reset() { trim(to: 0) }
}
