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
    /// For a mixture-of-experts model, the token slots routed to each expert of each layer
    /// (`[layer][expert]`) in this micro-batch; `nil` for a dense model.
    public var expertTokens: [[Int]]?

    /// An output with the given loss sum, metric sums and expert loads.
    public init(lossSum: Tensor, metrics: [String: Double] = [:], expertTokens: [[Int]]? = nil) {
        self.lossSum = lossSum
        self.metrics = metrics
        self.expertTokens = expertTokens
    }
}

/// Next-token cross-entropy over the scored targets of each ``TrainingSequence``: pre-training
/// (every position scored) and supervised fine-tuning (only the assistant's tokens scored).
///
/// Sequences of a micro-batch are padded to the longest with `paddingID` and unscored targets; a
/// causal model's padding at the end changes nothing before it.
///
/// For a mixture-of-experts model the Switch Transformer's load-balancing loss
/// (``MiniCPM/loadBalancingLoss(_:)``, the mean over layers) times ``loadBalancingCoefficient`` is
/// added to each unit's loss, and is reported as the metric `balance_loss` (unscaled) with the
/// tokens per expert (``ObjectiveOutput/expertTokens``). Its statistics cover every input
/// position, padding included, as Hugging Face's loss does without an attention mask.
public struct LanguageModelingObjective: TrainingObjective {
    /// The input id placed after a shorter sequence's end.
    public var paddingID: Int
    /// The weight of the load-balancing loss of a mixture-of-experts model (Switch Transformer:
    /// 0.01); ignored for a dense model.
    public var loadBalancingCoefficient: Float

    /// An objective padding with `paddingID` and weighting an MoE model's balance loss by
    /// `loadBalancingCoefficient`.
    public init(paddingID: Int = 0, loadBalancingCoefficient: Float = 0.01) {
        self.paddingID = paddingID
        self.loadBalancingCoefficient = loadBalancingCoefficient
    }

    public func weight(of example: TrainingSequence) -> Int { example.scoredTokenCount }

    public func loss(of model: MiniCPM, on examples: [TrainingSequence]) throws -> ObjectiveOutput {
        let length = examples.map(\.inputs.count).max() ?? 0
        let inputs = examples.map { $0.inputs + Array(repeating: paddingID, count: length - $0.inputs.count) }
        let targets = examples.map {
            $0.targets + Array(repeating: TrainingSequence.ignoredTarget, count: length - $0.targets.count)
        }
        let scored = examples.reduce(0) { $0 + weight(of: $1) }
        guard scored > 0 else { return ObjectiveOutput(lossSum: Tensor(0)) }
        guard model.configuration.hasExperts else {
            let mean = try model.loss(inputs: inputs, targets: targets, ignoreIndex: TrainingSequence.ignoredTarget)
            return ObjectiveOutput(lossSum: mean * Float(scored))
        }
        let (mean, routing) = try model.recordingRouting {
            try model.loss(inputs: inputs, targets: targets, ignoreIndex: TrainingSequence.ignoredTarget)
        }
        let balance = MiniCPM.loadBalancingLoss(routing)
        return ObjectiveOutput(lossSum: (mean + balance * loadBalancingCoefficient) * Float(scored),
                               metrics: ["balance_loss": Double(balance.scalar) * Double(scored)],
                               expertTokens: routing.map(\.tokensPerExpert))
    }
}
