import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import Tokenizer

/// The hyper-parameters of a fine-tuning run (SFT or DPO).
public struct FineTuningSettings: Sendable {
    /// Optimizer steps.
    public var steps: Int
    /// Examples (SFT conversations, DPO pairs) per step.
    public var examplesPerStep: Int
    /// Examples per forward pass.
    public var microBatchSize: Int
    /// The peak learning rate before the muP multipliers; warmup over the first tenth of the steps,
    /// then a cosine to a tenth of it.
    public var learningRate: Double
    /// AdamW's decoupled weight decay.
    public var weightDecay: Double
    /// Seeds the example order.
    public var seed: UInt64
    /// A checkpoint every this many steps (and at the end); 0 for the end only.
    public var checkpointInterval: Int
    public var showsProgress: Bool

    public init(steps: Int, examplesPerStep: Int = 16, microBatchSize: Int = 16, learningRate: Double = 1e-3,
                weightDecay: Double = 0, seed: UInt64 = 1, checkpointInterval: Int = 0, showsProgress: Bool = true) {
        self.steps = steps
        self.examplesPerStep = examplesPerStep
        self.microBatchSize = microBatchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.seed = seed
        self.checkpointInterval = checkpointInterval
        self.showsProgress = showsProgress
    }
}

/// A trained checkpoint opened for fine-tuning or evaluation: the model, its tokenizer (from the
/// checkpoint's `tokenizer.model`) and MiniCPM's chat template.
public struct FineTuningBase: Sendable {
    public var model: MiniCPM
    public var tokenizer: SentencePieceTokenizer
    public var template: MiniCPMChatTemplate
    /// The tokenizer files to copy into the fine-tuned checkpoints.
    public var bundledFiles: [String: Data]

    /// Opens the checkpoint directory `url`.
    public init(checkpoint url: URL) throws {
        model = try MiniCPM(directory: url)
        let tokenizerURL = url.appendingPathComponent("tokenizer.model")
        guard let data = try? Data(contentsOf: tokenizerURL) else {
            throw TrainingError.io(path: tokenizerURL.path, reason: "the checkpoint has no tokenizer.model")
        }
        tokenizer = try SentencePieceTokenizer(data: data, source: tokenizerURL.path)
        template = MiniCPMChatTemplate()
        bundledFiles = ["tokenizer.model": data]
        let configuration = url.appendingPathComponent("tokenizer_config.json")
        bundledFiles["tokenizer_config.json"] = (try? Data(contentsOf: configuration)) ?? Pretraining.tokenizerConfiguration(tokenizer)
    }

    /// Held-out accuracy of the greedy replies to `items`.
    public func accuracy(on items: [TaskItem]) throws -> TaskAccuracy {
        try TaskAccuracy.evaluate(items, model: model, template: template, tokenizer: tokenizer)
    }

    /// Held-out accuracy by likelihood: the answer more probable than the plausible wrong one.
    public func likelihoodAccuracy(on items: [TaskItem]) throws -> TaskAccuracy {
        try TaskAccuracy.evaluateByLikelihood(items, model: model, template: template, tokenizer: tokenizer)
    }
}

/// Builds the runs of the paper's fine-tuning stages from a checkpoint and task items: SFT on the
/// chat-formatted items with the loss on the assistant's tokens only, and DPO on their preference
/// pairs against the starting model as the frozen reference. Each starts a fresh AdamW.
public enum FineTuning {
    /// Supervised fine-tuning on `items` (each prompt as a user turn, its answer as the reply).
    public static func sftRun(from base: FineTuningBase, items: [TaskItem], settings: FineTuningSettings,
                              directory: URL) throws -> TrainingRun<ShuffledExampleSource<TrainingSequence>, LanguageModelingObjective> {
        let sequences = try items.map { try $0.chatExample.trainingSequence(template: base.template, tokenizer: base.tokenizer) }
        let source = try ShuffledExampleSource(sequences, seed: settings.seed)
        let trainer = Trainer(model: base.model, optimizer: optimizer(for: base.model, settings), source: source,
                              objective: LanguageModelingObjective(paddingID: base.tokenizer.eosID ?? 0),
                              batchSize: .examples(settings.examplesPerStep), microBatchSize: settings.microBatchSize)
        return TrainingRun(trainer: trainer, directory: directory, options: options(settings, base, stage: "sft"))
    }

    /// DPO on the preference pairs of `items` (answer chosen over the rejected reply), with the
    /// starting model as the frozen reference; its log-probabilities are computed once, here.
    public static func dpoRun(from base: FineTuningBase, items: [TaskItem], beta: Float, settings: FineTuningSettings,
                              directory: URL) throws -> TrainingRun<ShuffledExampleSource<PreferencePair>, DPOObjective> {
        let objective = DPOObjective(reference: base.model, beta: beta, paddingID: base.tokenizer.eosID ?? 0)
        let pairs = try withoutGradients {
            try objective.cachingReference(in: items.map { try $0.preferencePair(template: base.template, tokenizer: base.tokenizer) })
        }
        let source = try ShuffledExampleSource(pairs, seed: settings.seed)
        let trainer = Trainer(model: base.model, optimizer: optimizer(for: base.model, settings), source: source,
                              objective: objective, batchSize: .examples(settings.examplesPerStep),
                              microBatchSize: settings.microBatchSize)
        return TrainingRun(trainer: trainer, directory: directory, options: options(settings, base, stage: "dpo"))
    }

    static func optimizer(for model: MiniCPM, _ settings: FineTuningSettings) -> AdamW {
        let warmup = max(1, settings.steps / 10)
        let schedule = CosineSchedule(peak: settings.learningRate, warmupSteps: warmup,
                                      endStep: max(settings.steps, warmup + 1), minimumFraction: 0.1)
        return AdamW(groups: .miniCPM(model, widthMultiplier: Double(model.configuration.widthMultiplier),
                                      weightDecay: settings.weightDecay),
                     schedule: schedule, beta1: 0.9, beta2: 0.95, maxGradientNorm: 1)
    }

    static func options(_ settings: FineTuningSettings, _ base: FineTuningBase, stage: String) -> TrainingRunOptions {
        TrainingRunOptions(totalSteps: settings.steps, checkpointInterval: settings.checkpointInterval, checkpointsKept: 2,
                           bundledFiles: base.bundledFiles, notes: ["stage": stage], showsProgress: settings.showsProgress)
    }
}
