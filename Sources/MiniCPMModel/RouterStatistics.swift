import Foundation
import TensorCore

/// What one ``MixtureOfExperts`` block's router did in one forward pass: the router probabilities
/// of every token (differentiable while gradients are recorded) and how many token slots went to
/// each expert. Collected by ``MiniCPM/recordingRouting(_:)``; the input of the load-balancing loss.
public struct RouterStatistics: Sendable {
    /// `[tokens, experts]`: the softmax over all experts of each token's router logits.
    public let probabilities: Tensor
    /// Token slots routed to each expert (summing to tokens × experts per token).
    public let tokensPerExpert: [Int]

    /// Statistics of the given values.
    public init(probabilities: Tensor, tokensPerExpert: [Int]) {
        precondition(probabilities.rank == 2 && probabilities.shape[1] == tokensPerExpert.count,
                     "router probabilities \(probabilities.shape) do not match \(tokensPerExpert.count) experts")
        self.probabilities = probabilities
        self.tokensPerExpert = tokensPerExpert
    }

    /// The Switch Transformer's auxiliary load-balancing loss (Fedus et al. 2021, eq. 4),
    /// `E · Σₑ fₑ · Pₑ`: `fₑ` is the fraction of token slots routed to expert `e` (a count, so no
    /// gradient flows through it) and `Pₑ` the mean router probability of `e`. It is 1 when routing
    /// is uniform and grows towards `E` as the load concentrates on one expert; its gradient pushes
    /// probability away from the experts that receive more than their share.
    public var loadBalancingLoss: Tensor {
        let experts = tokensPerExpert.count
        let slots = Float(max(1, tokensPerExpert.reduce(0, +)))
        let fractions = Tensor(shape: [experts], scalars: tokensPerExpert.map { Float($0) / slots })
        let meanProbability = probabilities.mean(alongAxis: 0)
        return (meanProbability * fractions).sum() * Float(experts)
    }
}

/// Collects the ``RouterStatistics`` of the blocks that run while it is installed (a task-local
/// value, so concurrent forward passes of other tasks are not mixed in).
final class RoutingRecorder: @unchecked Sendable {
    @TaskLocal static var current: RoutingRecorder?

    private let lock = NSLock()
    private var records: [RouterStatistics] = []

    func append(_ record: RouterStatistics) { lock.withLock { records.append(record) } }
    var recorded: [RouterStatistics] { lock.withLock { records } }
}

extension MiniCPM {
    /// Runs `body` (a forward pass of this model, or of any model) and returns its result with the
    /// router statistics of every mixture-of-experts block that ran in it, in call order (one per
    /// layer per forward pass). Nothing is recorded outside such a call, so inference pays nothing.
    ///
    /// ```swift
    /// let (loss, routing) = try model.recordingRouting { try model.loss(inputs: x, targets: y) }
    /// let total = loss + MiniCPM.loadBalancingLoss(routing) * 0.01
    /// ```
    public func recordingRouting<R>(_ body: () throws -> R) rethrows -> (result: R, routing: [RouterStatistics]) {
        let recorder = RoutingRecorder()
        let result = try RoutingRecorder.$current.withValue(recorder) { try body() }
        return (result, recorder.recorded)
    }

    /// The mean over `routing`'s blocks of each block's
    /// ``RouterStatistics/loadBalancingLoss`` (1 for uniform routing whatever the depth), or 0
    /// when there is none (a dense model).
    public static func loadBalancingLoss(_ routing: [RouterStatistics]) -> Tensor {
        guard let first = routing.first else { return Tensor(0) }
        return routing.dropFirst().reduce(first.loadBalancingLoss) { $0 + $1.loadBalancingLoss } * (1 / Float(routing.count))
    }
}
