import TensorCore

/// The gated feed-forward block (SwiGLU): `down(silu(gate(x)) ⊙ up(x))`.
public struct MLP: FeedForward {
    public var gateProjection: any LinearLayer
    public var upProjection: any LinearLayer
    public var downProjection: any LinearLayer

    public init(gate: any LinearLayer, up: any LinearLayer, down: any LinearLayer) {
        gateProjection = gate
        upProjection = up
        downProjection = down
    }

    public static var parts: [any ModulePart<MLP>] {[
        LinearPart("gate_proj", gguf: "ffn_gate", \.gateProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
        LinearPart("up_proj", gguf: "ffn_up", \.upProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
        LinearPart("down_proj", gguf: "ffn_down", \.downProjection, outputs: \.hiddenSize, inputs: \.intermediateSize),
    ]}

    public func callAsFunction(_ x: Tensor) -> Tensor {
        downProjection(gateProjection(x).silu() * upProjection(x))
    }
}
