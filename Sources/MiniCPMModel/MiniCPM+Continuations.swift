import TensorCore

extension MiniCPM {
    /// The logits of several continuations of the cached prefix, computed in one forward pass:
    /// `result[i]` is `[continuations[i].count, vocabularySize]`, equal (to float rounding) to
    /// `logits(for: continuations[i], cache: cache)` followed by `cache.trim(to: cache.length)`
    /// for each continuation in turn. The cache is left as it was.
    ///
    /// ```swift
    /// _ = try model.nextTokenLogits(for: context, cache: cache)
    /// let rows = try model.logits(forContinuations: [[5, 9], [7, 7, 2]], of: cache)
    /// ```
    ///
    /// The continuations' tokens go through every linear layer and the feed-forward blocks as one
    /// batch of rows; only attention runs per continuation, each seeing the cached prefix and its
    /// own earlier tokens at positions continuing the prefix. Scoring the options of a question
    /// this way reads (and for a quantised model, dequantises) each weight once for all options
    /// instead of once per option, which is what made HellaSwag's endings slower to score than a
    /// plain prefill of the same number of tokens.
    ///
    /// - Throws: ``MiniCPMError/tokenOutOfRange(id:vocabularySize:)`` for an id outside the
    ///   vocabulary; ``MiniCPMError/contextOverflow(requested:maximum:)`` when the prefix and a
    ///   continuation exceed the cache's ``KVCache/maximumLength``. Empty continuations get empty
    ///   results (`[0, vocabularySize]`).
    public func logits(forContinuations continuations: [[Int]], of cache: KVCache) throws(MiniCPMError) -> [Tensor] {
        let vocabularySize = configuration.vocabularySize
        for id in continuations.joined() where id < 0 || id >= vocabularySize {
            throw .tokenOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        let longest = continuations.map(\.count).max() ?? 0
        guard longest <= cache.remainingCapacity else {
            throw .contextOverflow(requested: cache.length + longest, maximum: cache.maximumLength)
        }
        var segments: [Range<Int>] = []
        var start = 0
        for continuation in continuations {
            segments.append(start ..< start + continuation.count)
            start += continuation.count
        }
        guard start > 0 else { return continuations.map { _ in Tensor.zeros([0, vocabularySize]) } }
        let ids = Array(continuations.joined())
        let prefix = cache.length
        // Each continuation's rotary frequencies as its own forward pass would compute them (a
        // dynamic scaling depends on the sequence's length).
        let frequencies = segments.map { rotary.frequencies(sequenceLength: prefix + Swift.max(1, $0.count)) }
        var h = embedding(ids).reshaped([1, ids.count, configuration.hiddenSize]) * configuration.embeddingScale
        for (i, layer) in layers.enumerated() {
            h = layer.continuations(h, segments: segments, rotary: frequencies, cache: cache.layers[i])
        }
        let all = project(finalNorm(h).reshaped([ids.count, configuration.hiddenSize]))
        return segments.map { all.sliced(alongAxis: 0, $0) }
    }
}

extension DecoderLayer {
    /// ``callAsFunction(_:rotary:cache:)`` for rows `[1, N, hidden]` made of independent
    /// continuations of the cached prefix (`segments` of the rows); the cache keeps its length.
    func continuations(_ h: Tensor, segments: [Range<Int>], rotary: [RotaryFrequencies], cache: KVCache.Layer) -> Tensor {
        let a = attention.continuations(inputNorm(h), segments: segments, rotary: rotary, cache: cache)
        let h1 = h + a * residualScale
        return h1 + feedForward(postAttentionNorm(h1)) * residualScale
    }
}

extension Attention {
    /// Projections over all rows at once; attention per segment, each appended to the cached
    /// prefix and rolled back after.
    func continuations(_ x: Tensor, segments: [Range<Int>], rotary: [RotaryFrequencies], cache: KVCache.Layer) -> Tensor {
        let n = x.shape[1]
        let prefix = cache.length
        let q = queryProjection(x).reshaped([1, n, headCount, headDimension])
        let k = keyProjection(x).reshaped([1, n, keyValueHeadCount, headDimension])
        let v = valueProjection(x).reshaped([1, n, keyValueHeadCount, headDimension])
        var outputs: [Tensor] = []
        outputs.reserveCapacity(segments.count)
        for (segment, frequencies) in zip(segments, rotary) where !segment.isEmpty {
            let qs = frequencies(q.sliced(alongAxis: 1, segment), positionOffset: prefix)
            let ks = frequencies(k.sliced(alongAxis: 1, segment), positionOffset: prefix)
            let (keys, values) = cache.append(keys: ks, values: v.sliced(alongAxis: 1, segment))
            outputs.append(scaledDotProductAttention(query: qs, key: keys, value: values, isCausal: true))
            cache.rollBack(to: prefix)
        }
        let attended = Tensor.concatenate(outputs, alongAxis: 1)
        return outputProjection(attended.reshaped([1, n, headCount * headDimension]))
    }
}
