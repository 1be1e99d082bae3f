import TensorCore

/// Root-mean-square normalisation over the last axis with a learned gain: `x / sqrt(mean(x²) + ε) · w`.
public struct RMSNorm: Module {
    public var weight: Tensor
    public let epsilon: Float

    public init(weight: Tensor, epsilon: Float) {
        self.weight = weight
        self.epsilon = epsilon
    }

    public static var parts: [any ModulePart<RMSNorm>] {[
        TensorPart("weight", gguf: "weight", \.weight, role: .normGain, shape: [\.hiddenSize]),
    ]}

    public func callAsFunction(_ x: Tensor) -> Tensor { x.rmsNorm(weight: weight, epsilon: epsilon) }
}
