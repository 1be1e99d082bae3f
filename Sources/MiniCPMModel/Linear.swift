import TensorCore

/// A linear map `y = x Wᵀ` (no bias, as in MiniCPM) seen through a protocol, so that the
/// Quantization module can substitute an int4 layer without the model knowing how it is stored
/// (see ``Module/mapLinearLayers(prefix:_:)`` and ``ParameterFactory/makeLinear``).
public protocol LinearLayer: ParameterContainer, Sendable {
    /// Input features (columns of W).
    var inputFeatures: Int { get }
    /// Output features (rows of W).
    var outputFeatures: Int { get }
    /// `x Wᵀ` for `x` of shape `[..., inputFeatures]`.
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// A dense float linear layer with weight `[outputFeatures, inputFeatures]` (Hugging Face layout).
public struct Linear: LinearLayer {
    public var weight: Tensor

    public init(weight: Tensor) {
        precondition(weight.rank == 2, "a linear weight must be 2-D, got \(weight.shape)")
        self.weight = weight
    }

    /// A layer with no weight yet, standing in until a model is built.
    static let unbuilt = Linear(weight: Tensor.zeros([0, 0]))

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    /// BLAS reads W transposed in place; one input row (batch-1 decoding) is a gemv.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        matmul(x, weight, transposeB: true)
    }

    public func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try visit(ParameterName.joining(prefix, "weight"), weight)
    }

    public mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try update(ParameterName.joining(prefix, "weight"), &weight)
    }

    public func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {
        try visit(ParameterName.joining(prefix, "weight"), .linearWeight)
    }
}
