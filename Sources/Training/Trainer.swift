import MiniCPMModel
import Optimizers
import TensorCore

/// The training loop, one step at a time: draw a step's examples, run forward and backward per
/// micro-batch (gradients accumulate), then one optimizer update.
///
/// ```swift
/// var trainer = Trainer(model: model, optimizer: adamW, source: sampler,
///                       objective: LanguageModelingObjective(), batchSize: .examples(16),
///                       microBatchSize: 4)
/// for _ in 0..<1_000 {
///     let record = try trainer.step()
///     print(record.step, record.loss)
/// }
/// ```
///
/// The schedule and clipping live in the optimizer (`Optimizer/schedule`,
/// `Optimizer/maxGradientNorm`), the data order in the source, the loss in the
/// objective: each is a value a researcher swaps without touching this loop. ``TrainingRun`` adds
/// checkpoints, evaluation and logging around it.
public struct Trainer<Source: ExampleSource, Objective: TrainingObjective>: Sendable
where Source.Example == Objective.Example {
    /// The model being trained; its parameters are gradient leaves.
    public var model: MiniCPM
    /// The update rule, its learning-rate schedule and its state.
    public var optimizer: any Optimizer
    /// Where examples come from, in a reproducible order.
    public var source: Source
    /// What is minimised.
    public var objective: Objective
    /// How many examples each step draws.
    public var batchSize: BatchSize
    /// Examples per forward pass; a step of more examples accumulates gradients over several.
    public var microBatchSize: Int
    /// Input tokens processed by all completed steps.
    public internal(set) var tokensSeen: Int

    /// A trainer whose next step is the optimizer's `Optimizer/stepCount`.
    public init(model: MiniCPM, optimizer: any Optimizer, source: Source, objective: Objective,
                batchSize: BatchSize, microBatchSize: Int, tokensSeen: Int = 0) {
        precondition(microBatchSize > 0, "Trainer: microBatchSize must be positive, got \(microBatchSize)")
        self.model = model.requiringGradients()
        self.optimizer = optimizer
        self.source = source
        self.objective = objective
        self.batchSize = batchSize
        self.microBatchSize = microBatchSize
        self.tokensSeen = tokensSeen
    }

    /// The step the next call to ``step()`` performs (counted from zero).
    public var stepCount: Int { optimizer.stepCount }

    /// One optimizer step.
    ///
    /// - Throws: the source's and objective's errors, ``TrainingError/nonFiniteLoss(step:value:)``
    ///   (the model is then unchanged and the gradients discarded), and `OptimizerError`.
    @discardableResult
    public mutating func step() throws -> StepRecord {
        let clock = ContinuousClock()
        let started = clock.now
        let step = optimizer.stepCount

        // Data: the whole step is drawn first, so its total weight is known before any backward
        // pass and the accumulated gradient is exactly that of the step's mean loss.
        let count = batchSize.examples(atStep: step)
        var examples: [Source.Example] = []
        examples.reserveCapacity(count)
        for _ in 0..<count { examples.append(try source.next()) }
        let units = examples.reduce(0) { $0 + objective.weight(of: $1) }
        let seed = Tensor(1 / Float(max(units, 1)))

        // Forward and backward, one micro-batch at a time.
        model.clearGradients()
        var lossSum = 0.0
        var metrics: [String: Double] = [:]
        var expertTokens: [[Int]]?
        var tokens = 0
        for first in stride(from: 0, to: count, by: microBatchSize) {
            let microBatch = Array(examples[first..<min(first + microBatchSize, count)])
            let output = try objective.loss(of: model, on: microBatch)
            lossSum += Double(output.lossSum.scalar)
            output.lossSum.backward(seed: seed)
            metrics.merge(output.metrics, uniquingKeysWith: +)
            if let counts = output.expertTokens {
                expertTokens = expertTokens.map { zip($0, counts).map { zip($0, $1).map(+) } } ?? counts
            }
            tokens += objective.tokenCount(of: microBatch)
        }
        let loss = lossSum / Double(max(units, 1))
        guard loss.isFinite else {
            model.clearGradients()
            throw TrainingError.nonFiniteLoss(step: step, value: loss)
        }

        // Update: the optimizer reads the schedule at `step`, clips, steps and clears the gradients.
        let report = try optimizer.step(&model)

        tokensSeen += tokens
        let seconds = (clock.now - started).seconds
        return StepRecord(step: step, loss: loss, learningRate: report.learningRate, gradientNorm: report.gradientNorm,
                          tokens: tokens, tokensSeen: tokensSeen,
                          tokensPerSecond: seconds > 0 ? Double(tokens) / seconds : 0,
                          metrics: metrics.mapValues { $0 / Double(max(units, 1)) }, expertTokens: expertTokens)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
