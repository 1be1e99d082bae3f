import TensorCore

/// The MiniCPM decoder-only language model (Hugging Face `MiniCPMForCausalLM`).
///
/// ```swift
/// let model = try MiniCPM(directory: url)                 // config.json + safetensors
/// let logits = try model.logits(for: [1, 5, 9])            // [3, vocab]
/// ```
///
/// Forward pass: `h = embed(ids) · scale_emb`; pre-norm decoder layers whose residual increments are
/// scaled by `scale_depth / √L`; a final RMSNorm; logits from `h / (hidden_size / dim_model_base)`
/// through the LM head (the embedding table when tied). The same value is differentiable through
/// TensorCore's autograd for training.
///
/// The model and each of its modules list their parts once (``Module/parts``); see
/// ``mapLinearLayers(prefix:_:)`` to substitute linear layers and ``DecoderLayer/feedForward`` for
/// the feed-forward block.
public struct MiniCPM: Module {
    public let configuration: MiniCPMConfiguration
    public var embedding: Embedding
    public var layers: [DecoderLayer]
    public var finalNorm: RMSNorm
    /// The untied LM head (`lm_head.weight`); `nil` when the embedding table is reused.
    public var outputHead: (any LinearLayer)?
    /// The rotary embedding every layer uses, its frequencies computed once.
    public let rotary: RotaryEmbedding
    /// The longest sequence a forward pass without a cache accepts, and the size of the cache that
    /// ``generate(promptTokens:parameters:sampler:cache:onToken:)`` makes when given none.
    ///
    /// By default the trained context: `max_position_embeddings`, times the factor of a linear or
    /// dynamic `rope_scaling` (whose purpose is to go past it), the same as a default
    /// ``KVCache/maximumLength``. Beyond it positions were never trained and the logits degrade
    /// without any error, so every entry point refuses longer input with
    /// ``MiniCPMError/contextOverflow(requested:maximum:)`` (with a cache, its ``KVCache/maximumLength``
    /// is the limit). Raise this value to extrapolate deliberately.
    public var maximumContextLength: Int
    /// The most prompt tokens one forward pass takes when ``nextTokenLogits(for:cache:)`` prefills a
    /// cache (and so when generation prefills its prompt); a longer prompt goes through in
    /// consecutive chunks of this many tokens, like llama.cpp's `n_batch`. Values below 1 count as 1.
    ///
    /// A forward pass over `T` tokens holds activations of `T` rows (queries, keys, values and the
    /// three `[T, intermediate]` feed-forward products): 46 MB per 1,000 tokens for MiniCPM-1.2B's
    /// feed-forward block alone, 1.5 GB at 32 K. In chunks only the KV cache grows with the prompt;
    /// the logits are the same (up to float rounding), because every chunk attends over the cached
    /// rows of the ones before it, and with a dynamic `rope_scaling` every chunk is rotated with
    /// the frequencies of the whole prompt's length, as one pass would be. 512 tokens keep the
    /// matrix products as efficient as for a whole prompt.
    public var prefillChunkLength: Int = 512

    /// A model with the given parts (checked against `configuration` by the loaders).
    public init(configuration: MiniCPMConfiguration, embedding: Embedding, layers: [DecoderLayer],
                finalNorm: RMSNorm, outputHead: (any LinearLayer)?) {
        self.configuration = configuration
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputHead = outputHead
        self.rotary = RotaryEmbedding(configuration: configuration)
        self.maximumContextLength = configuration.trainedContextLength
    }

    public static var parts: [any ModulePart<MiniCPM>] {[
        SubmodulePart("model.embed_tokens", gguf: "token_embd", \.embedding),
        SubmoduleListPart("model.layers", gguf: "blk", \.layers),
        SubmodulePart("model.norm", gguf: "output_norm", \.finalNorm),
        LinearPart("lm_head", gguf: "output", \.outputHead, outputs: \.vocabularySize, inputs: \.hiddenSize),
    ]}

    // MARK: Forward

    /// Logits `[T, vocabularySize]` for one sequence. With a cache, `tokens` continue the cached
    /// prefix (positions start at `cache.length`) and the cache is extended by them.
    public func logits(for tokens: [Int], cache: KVCache? = nil) throws(MiniCPMError) -> Tensor {
        try validate([tokens], cache: cache)
        let hidden = hiddenStates([tokens], cache: cache)
        return project(hidden.reshaped([tokens.count, configuration.hiddenSize]))
    }

    /// Logits of the last position only `[vocabularySize]`: what generation needs, without
    /// computing the LM head for every prompt position. With a cache, a prompt longer than
    /// ``prefillChunkLength`` runs in chunks of that many tokens, so that only the cache grows with
    /// its length.
    public func nextTokenLogits(for tokens: [Int], cache: KVCache? = nil) throws(MiniCPMError) -> Tensor {
        try validate([tokens], cache: cache)
        let chunk = max(1, prefillChunkLength)
        var hidden: Tensor
        if let cache, tokens.count > chunk {
            let totalLength = cache.length + tokens.count
            var start = 0
            repeat {
                let end = min(tokens.count, start + chunk)
                hidden = hiddenStates([Array(tokens[start..<end])], cache: cache, ropeSequenceLength: totalLength)
                start = end
            } while start < tokens.count
        } else {
            hidden = hiddenStates([tokens], cache: cache)
        }
        let rows = hidden.shape[1]
        let last = hidden.reshaped([rows, configuration.hiddenSize]).sliced(alongAxis: 0, (rows - 1)..<rows)
        return project(last).reshaped([configuration.vocabularySize])
    }

    /// Logits `[B, T, vocabularySize]` for a batch of equally long sequences (training, scoring).
    public func logits(forBatch batch: [[Int]]) throws(MiniCPMError) -> Tensor {
        try validate(batch, cache: nil)
        let (b, t) = (batch.count, batch[0].count)
        let hidden = hiddenStates(batch, cache: nil)
        return project(hidden.reshaped([b * t, configuration.hiddenSize])).reshaped([b, t, configuration.vocabularySize])
    }

    /// Mean next-token cross-entropy of a batch: `targets[b][t]` is the token expected after
    /// `inputs[b][0...t]`, or `ignoreIndex` for positions that do not count (padding, prompts).
    public func loss(inputs: [[Int]], targets: [[Int]], ignoreIndex: Int = -100) throws(MiniCPMError) -> Tensor {
        guard inputs.map(\.count) == targets.map(\.count) else {
            throw .raggedBatch(lengths: inputs.map(\.count) + targets.map(\.count))
        }
        let flatTargets = targets.flatMap { $0 }
        for id in flatTargets where id != ignoreIndex && !(0..<configuration.vocabularySize).contains(id) {
            throw .tokenOutOfRange(id: id, vocabularySize: configuration.vocabularySize)
        }
        try validate(inputs, cache: nil)
        let (b, t) = (inputs.count, inputs[0].count)
        let hidden = hiddenStates(inputs, cache: nil).reshaped([b * t, configuration.hiddenSize])
        // A dense head (tied or not) goes through the fused output layer and loss, which never holds
        // the [B·T, vocabulary] logits (2 GB and its gradient for the 36M wind-tunnel model at 8,192
        // tokens); any other head (a quantised one) through its own forward.
        let headWeight = outputHead == nil ? embedding.weight : (outputHead as? Linear)?.weight
        guard let headWeight else {
            return crossEntropy(logits: project(hidden), targets: flatTargets, ignoreIndex: ignoreIndex)
        }
        return linearCrossEntropy(input: hidden * (1 / configuration.widthMultiplier), weight: headWeight,
                                  targets: flatTargets, ignoreIndex: ignoreIndex)
    }

    /// The check every forward entry point makes: equally long, non-empty sequences of ids in the
    /// vocabulary, which fit in what is left of the cache or, without one, in
    /// ``maximumContextLength``.
    func validate(_ batch: [[Int]], cache: KVCache?) throws(MiniCPMError) {
        guard let t = batch.first?.count, batch.allSatisfy({ $0.count == t }) else {
            throw .raggedBatch(lengths: batch.map(\.count))
        }
        guard t > 0 else { throw .emptyInput }
        let v = configuration.vocabularySize
        for sequence in batch {
            for id in sequence where id < 0 || id >= v { throw .tokenOutOfRange(id: id, vocabularySize: v) }
        }
        if let cache {
            precondition(batch.count == 1, "a KV cache holds one sequence, not a batch of \(batch.count)")
            guard t <= cache.remainingCapacity else {
                throw .contextOverflow(requested: cache.length + t, maximum: cache.maximumLength)
            }
        } else if t > maximumContextLength {
            throw .contextOverflow(requested: t, maximum: maximumContextLength)
        }
    }

    /// The final-normalised hidden states `[B, T, hidden]` of a validated batch. With a cache (batch
    /// 1), the tokens continue it and it is extended by them. `ropeSequenceLength` is the total
    /// length whose rotary frequencies apply (a chunked prefill passes the whole prompt's); by
    /// default the cached tokens and these.
    func hiddenStates(_ batch: [[Int]], cache: KVCache?, ropeSequenceLength: Int? = nil) -> Tensor {
        let (b, t) = (batch.count, batch[0].count)
        let ids = b == 1 ? batch[0] : batch.flatMap { $0 }
        func forward() -> Tensor {
            let frequencies = rotary.frequencies(sequenceLength: ropeSequenceLength ?? (cache?.length ?? 0) + t)
            var h = embedding(ids).reshaped([b, t, configuration.hiddenSize]) * configuration.embeddingScale
            for (i, layer) in layers.enumerated() {
                h = layer(h, rotary: frequencies, cache: cache?.layers[i])
            }
            return finalNorm(h)
        }
        guard let cache else { return forward() }
        return cache.extend(with: ids, forward)
    }

    /// LM head on normalised hidden rows `[N, hidden]` → `[N, vocab]`.
    func project(_ h: Tensor) -> Tensor {
        let scaled = h * (1 / configuration.widthMultiplier)
        if let outputHead { return outputHead(scaled) }
        return matmul(scaled, embedding.weight, transposeB: true)
    }
}

/// A problem with the input to a MiniCPM forward pass.
public enum MiniCPMError: Error, Sendable, Equatable, CustomStringConvertible {
    case tokenOutOfRange(id: Int, vocabularySize: Int)
    case emptyInput
    case raggedBatch(lengths: [Int])
    case contextOverflow(requested: Int, maximum: Int)

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, v): return "token id \(id) is outside the vocabulary 0..<\(v)"
        case .emptyInput: return "no input tokens"
        case let .raggedBatch(lengths): return "batch sequences differ in length: \(lengths)"
        case let .contextOverflow(requested, maximum):
            return "\(requested) tokens exceed the context of \(maximum)" +
                " (MiniCPM.maximumContextLength or a larger KVCache allows extrapolation)"
        }
    }
}
