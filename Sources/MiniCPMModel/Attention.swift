import TensorCore

/// Multi-head self-attention with grouped key/value heads and rotary positions.
public struct Attention: Module {
    public var queryProjection: any LinearLayer
    public var keyProjection: any LinearLayer
    public var valueProjection: any LinearLayer
    public var outputProjection: any LinearLayer
    public let headCount: Int
    public let keyValueHeadCount: Int
    public let headDimension: Int

    public init(configuration c: MiniCPMConfiguration, query: any LinearLayer, key: any LinearLayer,
                value: any LinearLayer, output: any LinearLayer) {
        queryProjection = query
        keyProjection = key
        valueProjection = value
        outputProjection = output
        headCount = c.attentionHeadCount
        keyValueHeadCount = c.keyValueHeadCount
        headDimension = c.headDimension
    }

    /// llama.cpp's converter permutes the query and key rows of each head for its RoPE; the GGUF
    /// loader undoes that for the tensors that name their head count here.
    public static var parts: [any ModulePart<Attention>] {[
        LinearPart("q_proj", gguf: "attn_q", \.queryProjection, outputs: \.hiddenSize, inputs: \.hiddenSize,
                   ggufPermutedHeads: \.attentionHeadCount),
        LinearPart("k_proj", gguf: "attn_k", \.keyProjection, outputs: \.keyValueWidth, inputs: \.hiddenSize,
                   ggufPermutedHeads: \.keyValueHeadCount),
        LinearPart("v_proj", gguf: "attn_v", \.valueProjection, outputs: \.keyValueWidth, inputs: \.hiddenSize),
        LinearPart("o_proj", gguf: "attn_output", \.outputProjection, outputs: \.hiddenSize, inputs: \.hiddenSize),
    ]}

    /// `x` is `[B, T, hidden]`. With a cache (batch 1), the rows continue the layer's cached ones:
    /// positions start at its ``KVCache/Layer/length``, the new keys and values are appended to it,
    /// and attention covers the whole cached prefix.
    public func callAsFunction(_ x: Tensor, rotary: RotaryFrequencies,
                               cache: KVCache.Layer?) -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let offset = cache?.length ?? 0
        var q = queryProjection(x).reshaped([b, t, headCount, headDimension])
        var k = keyProjection(x).reshaped([b, t, keyValueHeadCount, headDimension])
        var v = valueProjection(x).reshaped([b, t, keyValueHeadCount, headDimension])
        q = rotary(q, positionOffset: offset)
        k = rotary(k, positionOffset: offset)
        if let cache {
            // One new position over a half-precision cache: attention reads the half rows as they
            // are, without widening the whole prefix (HalfRowScratch) first.
            if t == 1 && cache.storage == .float16 {
                let attended = cache.appendAndAttend(query: q, keys: k, values: v)
                return outputProjection(attended.reshaped([b, t, headCount * headDimension]))
            }
            (k, v) = cache.append(keys: k, values: v)
        }
        let attended = scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)
        return outputProjection(attended.reshaped([b, t, headCount * headDimension]))
    }
}
