import MiniCPMModel
import TensorCore

/// Where a ``HessianRecordingLinear`` adds the inputs it sees. A class, so that the copies of the
/// layer a forward pass makes all feed the one Hessian.
final class HessianAccumulator: @unchecked Sendable {
    // Unchecked: written only by the forward passes GPTQ runs one after another on its own thread.
    var hessian: GPTQHessian

    init(inputFeatures: Int) {
        hessian = GPTQHessian(inputFeatures: inputFeatures)
    }
}

/// A linear layer that adds every input it is called with to a GPTQ Hessian and otherwise behaves
/// as the layer it wraps: put in a model through its `LinearLayer` seam, it captures what the layer
/// sees in a real forward pass (after the quantised layers before it).
struct HessianRecordingLinear: LinearLayer {
    let wrapped: any LinearLayer
    let accumulator: HessianAccumulator

    var inputFeatures: Int { wrapped.inputFeatures }
    var outputFeatures: Int { wrapped.outputFeatures }

    func callAsFunction(_ x: Tensor) -> Tensor {
        accumulator.hessian.add(x)
        return wrapped(x)
    }

    func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {}
    mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {}
    func visitParameterRoles(prefix: String, _ visit: (String, ParameterRole) throws -> Void) rethrows {}
}
