import TensorCore

/// One pre-norm MiniCPM block. Both residual increments are multiplied by
/// `scale_depth / sqrt(num_hidden_layers)` (muP depth scaling).
public struct DecoderLayer: Module {
    public var inputNorm: RMSNorm
    public var attention: Attention
    public var postAttentionNorm: RMSNorm
    /// The dense ``MLP`` of a MiniCPM checkpoint, or any other block put in its place.
    public var feedForward: any FeedForward
    public let residualScale: Float

    public init(inputNorm: RMSNorm, attention: Attention, postAttentionNorm: RMSNorm, feedForward: any FeedForward,
                residualScale: Float) {
        self.inputNorm = inputNorm
        self.attention = attention
        self.postAttentionNorm = postAttentionNorm
        self.feedForward = feedForward
        self.residualScale = residualScale
    }

    /// GGUF flattens the attention and feed-forward names into the layer's (`blk.N.attn_q`).
    public static var parts: [any ModulePart<DecoderLayer>] {[
        SubmodulePart("input_layernorm", gguf: "attn_norm", \.inputNorm),
        SubmodulePart("self_attn", gguf: "", \.attention),
        SubmodulePart("post_attention_layernorm", gguf: "ffn_norm", \.postAttentionNorm),
        FeedForwardPart("mlp", gguf: "", \.feedForward),
    ]}

    /// `h` is `[B, T, hidden]`; see ``Attention/callAsFunction(_:rotary:cache:)`` for the cache.
    public func callAsFunction(_ h: Tensor, rotary: RotaryFrequencies,
                               cache: KVCache.Layer?) -> Tensor {
        let a = attention(inputNorm(h), rotary: rotary, cache: cache)
        let h1 = h + a * residualScale
        return h1 + feedForward(postAttentionNorm(h1)) * residualScale
    }
}
