import Foundation
import MiniCPMModel
import Optimizers
import TensorCore

/// What a ``TrainingRun`` does around its ``Trainer``.
public struct TrainingRunOptions: Sendable {
    /// The step count at which the run ends (a resumed or branched run counts from its checkpoint).
    public var totalSteps: Int
    /// A checkpoint every this many steps (and always at the end); 0 for the end only.
    public var checkpointInterval: Int
    /// The newest checkpoints kept (see ``CheckpointStore``).
    public var checkpointsKept: Int
    /// Checkpoints at multiples of this step are never pruned (branch points for WSD decays).
    public var milestoneInterval: Int?
    /// Steps at which a checkpoint is written and never pruned, besides the interval's.
    public var milestoneSteps: Set<Int> = []
    /// A held-out evaluation every this many steps (and at the end); `nil` for none.
    public var evaluationInterval: Int?
    /// Files copied into every checkpoint by name (the tokenizer and its configuration).
    public var bundledFiles: [String: Data]
    /// Facts saved in every checkpoint's `trainer.json` (e.g. `["stage": "decay"]`).
    public var notes: [String: String]
    /// Show a progress line on standard error.
    public var showsProgress: Bool

    public init(totalSteps: Int, checkpointInterval: Int = 0, checkpointsKept: Int = 3, milestoneInterval: Int? = nil,
                evaluationInterval: Int? = nil, bundledFiles: [String: Data] = [:], notes: [String: String] = [:],
                showsProgress: Bool = true) {
        self.totalSteps = totalSteps
        self.checkpointInterval = checkpointInterval
        self.checkpointsKept = checkpointsKept
        self.milestoneInterval = milestoneInterval
        self.evaluationInterval = evaluationInterval
        self.bundledFiles = bundledFiles
        self.notes = notes
        self.showsProgress = showsProgress
    }
}

/// A training run in a directory: the ``Trainer`` loop with checkpoints, exact resumption,
/// held-out evaluation, a metrics log and a loss chart.
///
/// ```
/// run/
///   metrics.jsonl             a StepRecord per step, an EvaluationRecord per evaluation
///   loss.svg                  the loss curves, drawn at the end
///   checkpoints/step-00000200 model, optimizer, trainer state, tokenizer, manifest
/// ```
///
/// A run killed at any moment (even by `SIGKILL`) and started again with ``resume(log:)`` continues from
/// its newest valid checkpoint and computes, bit for bit, the losses the uninterrupted run would
/// have: the checkpoint holds everything a step depends on (parameters, optimizer moments and step
/// count, the data source's generator state), and every kernel reduces in a fixed order.
public struct TrainingRun<Source: ExampleSource, Objective: TrainingObjective>: Sendable
where Source.Example == Objective.Example {
    public var trainer: Trainer<Source, Objective>
    public let directory: URL
    public var options: TrainingRunOptions
    /// Computes the held-out loss of a model (see ``HeldOutEvaluation``); `nil` for no evaluation.
    public var evaluate: (@Sendable (MiniCPM) throws -> (lossPerToken: Double, bitsPerByte: Double?, tokens: Int))?

    public init(trainer: Trainer<Source, Objective>, directory: URL, options: TrainingRunOptions,
                evaluate: (@Sendable (MiniCPM) throws -> (lossPerToken: Double, bitsPerByte: Double?, tokens: Int))? = nil) {
        self.trainer = trainer
        self.directory = directory
        self.options = options
        self.evaluate = evaluate
    }

    /// A run that evaluates on `heldOut` (several sets count together, e.g. one per corpus).
    public init(trainer: Trainer<Source, Objective>, directory: URL, options: TrainingRunOptions, heldOut: [HeldOutEvaluation]) {
        self.init(trainer: trainer, directory: directory, options: options,
                  evaluate: heldOut.isEmpty ? nil : { @Sendable model in try HeldOutEvaluation.evaluate(heldOut, model: model) })
    }

    /// The run's checkpoints.
    public var checkpoints: CheckpointStore {
        CheckpointStore(directory: directory.appendingPathComponent("checkpoints"), keptCount: options.checkpointsKept,
                        milestoneInterval: options.milestoneInterval, milestoneSteps: options.milestoneSteps)
    }

    /// The run's metrics log.
    public var metrics: MetricsLog { MetricsLog(url: directory.appendingPathComponent("metrics.jsonl")) }

    /// Continues from the newest valid checkpoint of this run, if there is one; checkpoints that do
    /// not verify are skipped and reported to `log`. Without a checkpoint the run starts afresh
    /// (and an old metrics log is cleared).
    ///
    /// - Returns: the step resumed from, or `nil` when starting afresh.
    @discardableResult
    public mutating func resume(log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> Int? {
        let latest = checkpoints.latestValid { url, error in
            log("skipping checkpoint \(url.lastPathComponent): \(error)")
        }
        guard let latest else {
            try metrics.truncate(toCompletedSteps: 0)
            return nil
        }
        try load(checkpoint: latest.url, restoringSourcePosition: true)
        try metrics.truncate(toCompletedSteps: latest.step)
        log("resuming from \(latest.url.path) (step \(latest.step))")
        return latest.step
    }

    /// Starts this run from another run's checkpoint: its parameters, optimizer state and step count
    /// (so a branched schedule continues at the checkpoint's step). The data position is taken over
    /// only when `restoringSourcePosition` (a decay stage on a different mixture starts its own).
    public mutating func start(fromCheckpoint url: URL, restoringSourcePosition: Bool) throws {
        try TrainingCheckpoint.verify(url)
        try load(checkpoint: url, restoringSourcePosition: restoringSourcePosition)
        try metrics.truncate(toCompletedSteps: 0)
    }

    mutating func load(checkpoint url: URL, restoringSourcePosition: Bool) throws {
        let state = try TrainingCheckpoint.readState(from: url)
        var model = try MiniCPM(directory: url)
        model.maximumContextLength = trainer.model.maximumContextLength
        var optimizer = trainer.optimizer
        try optimizer.load(from: url, matching: model)
        guard optimizer.stepCount == state.step else {
            throw TrainingError.invalidCheckpoint(path: url.path,
                                                  reason: "optimizer step \(optimizer.stepCount) but trainer step \(state.step)")
        }
        if restoringSourcePosition { try trainer.source.restore(state.sourcePosition) }
        trainer.model = model.requiringGradients()
        trainer.optimizer = optimizer
        trainer.tokensSeen = state.tokensSeen
    }

    /// Writes a checkpoint of the current state and prunes old ones.
    public func saveCheckpoint() throws {
        let state = TrainerState(step: trainer.stepCount, tokensSeen: trainer.tokensSeen,
                                 sourcePosition: trainer.source.position, notes: options.notes)
        try TrainingCheckpoint.write(to: checkpoints.url(forStep: trainer.stepCount), model: trainer.model,
                                     optimizer: trainer.optimizer, state: state, bundledFiles: options.bundledFiles)
        checkpoints.prune()
    }

    /// Trains until ``TrainingRunOptions/totalSteps``, checkpointing, evaluating and logging on the
    /// way, then draws `loss.svg`.
    ///
    /// - Returns: the records of the steps this call made.
    @discardableResult
    public mutating func run() throws -> [StepRecord] {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TrainingError.io(path: directory.path, reason: error.localizedDescription)
        }
        let total = options.totalSteps
        var progress = ProgressLine()
        var records: [StepRecord] = []
        let clock = ContinuousClock()
        while trainer.stepCount < total {
            let started = clock.now
            let record = try trainer.step()
            records.append(record)
            try metrics.append(record)
            let done = trainer.stepCount
            if let interval = options.evaluationInterval, interval > 0, done % interval == 0 || done == total {
                try evaluateNow()
            }
            if (options.checkpointInterval > 0 && done % options.checkpointInterval == 0) || done == total
                || options.milestoneSteps.contains(done) {
                try saveCheckpoint()
            }
            if options.showsProgress {
                progress.show(record, totalSteps: total, stepSeconds: (clock.now - started).seconds)
            }
        }
        if options.showsProgress, progress.isTerminal { progress.message("") }
        let chart = lossCurveChart(steps: metrics.steps(), evaluations: metrics.evaluations(),
                                   title: "\(directory.lastPathComponent): loss")
        try? chart.write(to: directory.appendingPathComponent("loss.svg"))
        return records
    }

    /// Evaluates the current model on the held-out set and logs the result.
    public func evaluateNow() throws {
        guard let evaluate else { return }
        let model = trainer.model
        let result = try withoutGradients { try evaluate(model) }
        try metrics.append(EvaluationRecord(step: trainer.stepCount, lossPerToken: result.lossPerToken,
                                            bitsPerByte: result.bitsPerByte, tokens: result.tokens))
    }
}
