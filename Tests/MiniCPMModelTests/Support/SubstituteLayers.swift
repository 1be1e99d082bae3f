import Foundation
import MiniCPMModel
import TensorCore

/// Counts calls by layer name (layers are values; the counts live in one shared object).
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func record(_ name: String) { lock.withLock { counts[name, default: 0] += 1 } }
    var snapshot: [String: Int] { lock.withLock { counts } }
}

/// A linear layer that records each call and then runs the layer it wraps; its parameters are the
/// wrapped layer's, under the same names.
struct CountingLinear: LinearLayer {
    let name: String
    var wrapped: any LinearLayer
    let counter: CallCounter

    var inputFeatures: Int { wrapped.inputFeatures }
    var outputFeatures: Int { wrapped.outputFeatures }

    func callAsFunction(_ x: Tensor) -> Tensor {
        counter.record(name)
        return wrapped(x)
    }

    func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try wrapped.visitParameters(prefix: prefix, visit)
    }

    mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try wrapped.updateParameters(prefix: prefix, update)
    }
}

/// A feed-forward block that adds nothing to the residual stream.
struct ZeroFeedForward: FeedForward {
    static var parts: [any ModulePart<ZeroFeedForward>] { [] }
    func callAsFunction(_ x: Tensor) -> Tensor { Tensor.zeros(x.shape) }
}

/// A non-gated block `down(tanh(up(x)))` with parts of its own, recording its calls.
struct TanhFeedForward: FeedForward {
    var upProjection: any LinearLayer
    var downProjection: any LinearLayer
    let counter: CallCounter

    static var parts: [any ModulePart<TanhFeedForward>] {[
        LinearPart("up_proj", gguf: nil, \.upProjection, outputs: \.intermediateSize, inputs: \.hiddenSize),
        LinearPart("down_proj", gguf: nil, \.downProjection, outputs: \.hiddenSize, inputs: \.intermediateSize),
    ]}

    func callAsFunction(_ x: Tensor) -> Tensor {
        counter.record("tanh")
        return downProjection(upProjection(x).tanh())
    }
}
