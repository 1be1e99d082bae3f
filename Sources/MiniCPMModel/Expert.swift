import TensorCore

/// One expert of a ``MixtureOfExperts`` block: the same gated feed-forward map as the dense ``MLP``,
/// `w2(silu(w1(x)) ⊙ w3(x))`, under MiniCPM-MoE's names (`experts.N.w1` is the gate projection,
/// `w3` the up projection, `w2` the down projection, as vLLM and llama.cpp's converter read them).
///
/// Its three projections are ``LinearLayer``s, so ``Module/mapLinearLayers(prefix:_:)`` reaches them
/// (`model.layers.0.mlp.experts.3.w1`) and a quantizer can replace them like any other.
public struct Expert: Module {
    /// `w1`, `[intermediate, hidden]`: the gate projection.
    public var gateProjection: any LinearLayer
    /// `w3`, `[intermediate, hidden]`: the up projection.
    public var upProjection: any LinearLayer
    /// `w2`, `[hidden, intermediate]`: the down projection.
    public var downProjection: any LinearLayer

    /// An expert with the given projections (`w1`, `w3`, `w2`).
    public init(gate: any LinearLayer, up: any LinearLayer, down: any LinearLayer) {
        gateProjection = gate
        upProjection = up
        downProjection = down
    }

    /// An expert computing exactly what `mlp` computes (its layers, copied): sparse upcycling.
    public init(copying mlp: MLP) {
        self.init(gate: mlp.gateProjection, up: mlp.upProjection, down: mlp.downProjection)
    }

    /// In checkpoint order (`w1`, `w2`, `w3`). Experts have no GGUF names: llama.cpp stacks all
    /// experts of a layer into one `ffn_*_exps` tensor, which this model does not read or write.
    public static var parts: [any ModulePart<Expert>] {[
        LinearPart("w1", gguf: nil, \.gateProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
        LinearPart("w2", gguf: nil, \.downProjection, outputs: \.hiddenSize, inputs: \.intermediateSize),
        LinearPart("w3", gguf: nil, \.upProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
    ]}

    /// `w2(silu(w1(x)) ⊙ w3(x))` for `x` of shape `[..., hidden]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        downProjection(gateProjection(x).silu() * upProjection(x))
    }
}
