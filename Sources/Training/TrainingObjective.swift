import MiniCPMModel
import TensorCore

/// What a training step minimises: next-token cross-entropy (pre-training, SFT), DPO's preference
/// loss, or a researcher's own.
///
/// The trainer draws a step's examples, splits them into micro-batches, and back-propagates each
/// micro-batch's ``ObjectiveOutput/lossSum`` scaled by one over the step's total ``weight(of:)``, so
/// that the accumulated gradient is that of the mean over the whole step, however it was split.
public protocol TrainingObjective: Sendable {
    associatedtype Example: Sendable
    /// How many units (scored tokens, preference pairs) `example` adds to the step's mean.
    func weight(of example: Example) -> Int
    /// The loss of `examples` summed over their units, recorded for gradients, with metrics
    /// summed over the micro-batch (the trainer adds them up over the step).
    func loss(of model: MiniCPM, on examples: [Example]) throws -> ObjectiveOutput
    /// The input tokens a forward pass over `examples` processes (for throughput figures).
    func tokenCount(of examples: [Example]) -> Int
}

extension TrainingObjective {
    /// By default, the units of the examples.
    public func tokenCount(of examples: [Example]) -> Int { examples.reduce(0) { $0 + weight(of: $1) } }
}

extension TrainingObjective where Example == TrainingSequence {
    /// Every input position of every sequence.
    public func tokenCount(of examples: [TrainingSequence]) -> Int { examples.reduce(0) { $0 + $1.inputs.count } }
}

/// One micro-batch's loss and metrics.
public struct ObjectiveOutput {
    /// A scalar: the loss summed over the micro-batch's units, differentiable.
    public var lossSum: Tensor
    /// Named sums over the micro-batch (e.g. `"reward_accuracy"` for DPO); reported per unit.
    public var metrics: [String: Double]

    public init(lossSum: Tensor, metrics: [String: Double] = [:]) {
        self.lossSum = lossSum
        self.metrics = metrics
    }
}

/// Next-token cross-entropy over the scored targets of each ``TrainingSequence``: pre-training
/// (every position scored) and supervised fine-tuning (only the assistant's tokens scored).
///
/// Sequences of a micro-batch are padded to the longest with `paddingID` and unscored targets; a
/// causal model's padding at the end changes nothing before it.
public struct LanguageModelingObjective: TrainingObjective {
    /// The input id placed after a shorter sequence's end.
    public var paddingID: Int

    public init(paddingID: Int = 0) { self.paddingID = paddingID }

    public func weight(of example: TrainingSequence) -> Int { example.scoredTokenCount }

    public func loss(of model: MiniCPM, on examples: [TrainingSequence]) throws -> ObjectiveOutput {
        let length = examples.map(\.inputs.count).max() ?? 0
        let inputs = examples.map { $0.inputs + Array(repeating: paddingID, count: length - $0.inputs.count) }
        let targets = examples.map {
            $0.targets + Array(repeating: TrainingSequence.ignoredTarget, count: length - $0.targets.count)
        }
        let scored = examples.reduce(0) { $0 + weight(of: $1) }
        guard scored > 0 else { return ObjectiveOutput(lossSum: Tensor(0)) }
        let mean = try model.loss(inputs: inputs, targets: targets, ignoreIndex: TrainingSequence.ignoredTarget)
        return ObjectiveOutput(lossSum: mean * Float(scored))
    }
}
