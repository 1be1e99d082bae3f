import TensorCore

/// The feed-forward block of a decoder layer, held by ``DecoderLayer`` as `any FeedForward` so that
/// another block can take the dense ``MLP``'s place (a mixture of experts, a test double).
///
/// A block declares its parts like every ``Module``; its linear layers are then reached by
/// ``MiniCPM/mapLinearLayers(prefix:_:)`` and its parameters by the optimizers and checkpoints.
public protocol FeedForward: Module {
    /// The block applied to `x` of shape `[..., hiddenSize]`, returning the same shape.
    func callAsFunction(_ x: Tensor) -> Tensor
}
