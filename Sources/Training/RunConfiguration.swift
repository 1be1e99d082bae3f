import Foundation
import MiniCPMModel

/// A pre-training run written as JSON (`minicpm train --config run.json`): the model's shape, the
/// tokenizer, the data mixture (and the decay stage's, for two-stage pre-training), the schedule,
/// the optimizer, the batch and the run's length and bookkeeping. Relative paths are relative to
/// the configuration file.
///
/// ```json
/// {
///   "model": {"preset": "9M"},
///   "tokenizer": "../.data/corpora/tokenizer.model",
///   "data": {"sequence_length": 128, "mixture": [{"file": "kjv.tokens", "weight": 2}, {"file": "shakespeare.tokens", "weight": 1}]},
///   "decay_data": {"sequence_length": 128, "mixture": [{"file": "kjv.tokens", "weight": 1}, {"file": "sft.tokens", "weight": 1}]},
///   "schedule": {"kind": "wsd", "peak": 0.01, "warmup": 50, "stable_end": 900, "decay": {"kind": "exponential", "half_life": 25}},
///   "optimizer": {"weight_decay": 0.1, "max_gradient_norm": 1},
///   "batch_tokens": 4096, "micro_batch": 8, "steps": 1000,
///   "checkpoint_every": 100, "keep_checkpoints": 3, "milestone_every": 200, "eval_every": 50,
///   "seed": 1, "output": "runs/stable"
/// }
/// ```
public struct RunConfiguration: Sendable, Hashable, Codable {
    public var model: ModelSpecification
    /// The SentencePiece model the token files were made with (copied into every checkpoint).
    public var tokenizer: String
    public var data: DataSpecification
    /// The decay stage's data (paper Section 5: pre-training text mixed with instruction data),
    /// used by a decay branched from a checkpoint; `nil` to keep ``data``.
    public var decayData: DataSpecification?
    public var schedule: ScheduleSpecification
    public var optimizer: OptimizerSpecification
    /// Tokens per optimizer step (rounded down to whole sequences).
    public var batchTokens: Int
    /// Later batch sizes: from each `step` on, `tokens` per step (a `SteppedBatchSize`, e.g. the
    /// batch growing as the loss falls, as the paper's batch-size law suggests).
    public var batchSchedule: [BatchChange]?
    /// Sequences per forward pass.
    public var microBatch: Int
    /// The step count at which the run ends.
    public var steps: Int
    public var checkpointEvery: Int?
    public var keepCheckpoints: Int?
    /// Checkpoints at multiples of this step are kept (decays branch from them).
    public var milestoneEvery: Int?
    public var evalEvery: Int?
    /// Seeds the initial weights and the data order.
    public var seed: UInt64
    /// The run directory.
    public var output: String

    enum CodingKeys: String, CodingKey {
        case model, tokenizer, data, decayData = "decay_data", schedule, optimizer, batchTokens = "batch_tokens"
        case batchSchedule = "batch_schedule"
        case microBatch = "micro_batch", steps, checkpointEvery = "checkpoint_every", keepCheckpoints = "keep_checkpoints"
        case milestoneEvery = "milestone_every", evalEvery = "eval_every", seed, output
    }

    /// Reads a configuration file; relative paths in it are made absolute against its directory.
    public static func load(from url: URL) throws -> RunConfiguration {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TrainingError.io(path: url.path, reason: error.localizedDescription)
        }
        var configuration: RunConfiguration
        do { configuration = try JSONDecoder().decode(RunConfiguration.self, from: data) } catch let error as DecodingError {
            throw TrainingError.invalidConfiguration(field: url.path, reason: Self.describe(error))
        } catch {
            throw TrainingError.invalidConfiguration(field: url.path, reason: "\(error)")
        }
        configuration.resolvePaths(relativeTo: url.deletingLastPathComponent())
        try configuration.validate()
        return configuration
    }

    mutating func resolvePaths(relativeTo base: URL) {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        tokenizer = resolve(tokenizer)
        output = resolve(output)
        data.resolvePaths(resolve)
        decayData?.resolvePaths(resolve)
    }

    /// Checks every value a run depends on.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` naming the field.
    public func validate() throws {
        func require(_ condition: Bool, _ field: String, _ reason: String) throws {
            if !condition { throw TrainingError.invalidConfiguration(field: field, reason: reason) }
        }
        try require(batchTokens > 0, "batch_tokens", "must be positive, got \(batchTokens)")
        try require(microBatch > 0, "micro_batch", "must be positive, got \(microBatch)")
        try require(steps >= 0, "steps", "must be >= 0, got \(steps)")
        try require((checkpointEvery ?? 0) >= 0, "checkpoint_every", "must be >= 0")
        try require((keepCheckpoints ?? 1) >= 1, "keep_checkpoints", "must be >= 1")
        try require((milestoneEvery ?? 1) >= 1, "milestone_every", "must be >= 1")
        try require((evalEvery ?? 1) >= 1, "eval_every", "must be >= 1")
        try data.validate(field: "data")
        try decayData?.validate(field: "decay_data")
        try require(batchTokens >= data.sequenceLength, "batch_tokens",
                    "\(batchTokens) is less than one sequence of \(data.sequenceLength)")
        var previous = 0
        for (i, change) in (batchSchedule ?? []).enumerated() {
            try require(change.step > previous, "batch_schedule[\(i)].step", "steps must increase from 1, got \(change.step)")
            try require(change.tokens >= data.sequenceLength, "batch_schedule[\(i)].tokens",
                        "\(change.tokens) is less than one sequence of \(data.sequenceLength)")
            previous = change.step
        }
        _ = try schedule.makeSchedule()
        try optimizer.validate()
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context): return "missing field \(path(context).isEmpty ? "" : path(context) + ".")\(key.stringValue)"
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// A change of the batch size in a run configuration: `tokens` per step from `step` on.
public struct BatchChange: Sendable, Hashable, Codable {
    public var step: Int
    public var tokens: Int

    public init(step: Int, tokens: Int) {
        self.step = step
        self.tokens = tokens
    }
}

/// The model's shape: a wind-tunnel preset of the paper's Table 8 (`"9M"`, `"30M"`, …), with
/// optional overrides of its sizes; MiniCPM's muP settings (`scale_emb` 12, `scale_depth` 1.4,
/// `init_std` 0.1) stay. The vocabulary is the tokenizer's.
public struct ModelSpecification: Sendable, Hashable, Codable {
    public var preset: String?
    public var hiddenSize: Int?
    public var intermediateSize: Int?
    public var layers: Int?
    public var heads: Int?
    public var keyValueHeads: Int?
    /// `dim_model_base`: the width whose learning rate the muP multipliers are relative to.
    public var dimModelBase: Int?
    public var maxPositionEmbeddings: Int?
    /// `num_experts`: a mixture-of-experts model with this many experts per layer (each of
    /// `intermediate_size`); absent or 0 for a dense one.
    public var experts: Int?
    /// `num_experts_per_tok`: experts each token is routed to.
    public var expertsPerToken: Int?

    public init(preset: String? = nil, hiddenSize: Int? = nil, intermediateSize: Int? = nil, layers: Int? = nil,
                heads: Int? = nil, keyValueHeads: Int? = nil, dimModelBase: Int? = nil, maxPositionEmbeddings: Int? = nil,
                experts: Int? = nil, expertsPerToken: Int? = nil) {
        self.preset = preset
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layers = layers
        self.heads = heads
        self.keyValueHeads = keyValueHeads
        self.dimModelBase = dimModelBase
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.experts = experts
        self.expertsPerToken = expertsPerToken
    }

    enum CodingKeys: String, CodingKey {
        case preset, hiddenSize = "hidden_size", intermediateSize = "intermediate_size", layers = "num_hidden_layers"
        case heads = "num_attention_heads", keyValueHeads = "num_key_value_heads", dimModelBase = "dim_model_base"
        case maxPositionEmbeddings = "max_position_embeddings"
        case experts = "num_experts", expertsPerToken = "num_experts_per_tok"
    }

    /// The model configuration for a vocabulary of `vocabularySize` ids.
    public func makeConfiguration(vocabularySize: Int) throws -> MiniCPMConfiguration {
        let name = preset ?? WindTunnelSize.size9M.rawValue
        guard let size = WindTunnelSize(rawValue: name) else {
            throw TrainingError.invalidConfiguration(
                field: "model.preset", reason: "\(name) is not one of \(WindTunnelSize.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var c = MiniCPMConfiguration.windTunnel(size, vocabularySize: vocabularySize)
        if let hiddenSize { c.hiddenSize = hiddenSize }
        if let intermediateSize { c.intermediateSize = intermediateSize }
        if let layers { c.layerCount = layers }
        if let heads {
            c.attentionHeadCount = heads
            c.keyValueHeadCount = heads
        }
        if let keyValueHeads { c.keyValueHeadCount = keyValueHeads }
        if let dimModelBase { c.baseModelDimension = Float(dimModelBase) }
        if let maxPositionEmbeddings { c.maxPositionEmbeddings = maxPositionEmbeddings }
        if let experts { c.expertCount = experts }
        if let expertsPerToken { c.expertsPerToken = expertsPerToken }
        do { try c.validate() } catch {
            throw TrainingError.invalidConfiguration(field: "model", reason: "\(error)")
        }
        return c
    }
}

/// Where a stage's sequences come from: token files mixed by weight.
public struct DataSpecification: Sendable, Hashable, Codable {
    public struct Component: Sendable, Hashable, Codable {
        /// A token file (`minicpm prepare-corpus` writes them).
        public var file: String
        /// The relative share of sequences drawn from this file.
        public var weight: Double

        public init(file: String, weight: Double) {
            self.file = file
            self.weight = weight
        }
    }

    /// Tokens per training sequence.
    public var sequenceLength: Int
    public var mixture: [Component]
    /// The share of each file's documents held out for evaluation (default 0.01).
    public var heldOutFraction: Double?
    /// The most held-out windows an evaluation scores (default 64).
    public var evaluationWindows: Int?

    public init(sequenceLength: Int, mixture: [Component], heldOutFraction: Double? = nil, evaluationWindows: Int? = nil) {
        self.sequenceLength = sequenceLength
        self.mixture = mixture
        self.heldOutFraction = heldOutFraction
        self.evaluationWindows = evaluationWindows
    }

    enum CodingKeys: String, CodingKey {
        case sequenceLength = "sequence_length", mixture, heldOutFraction = "held_out_fraction"
        case evaluationWindows = "evaluation_windows"
    }

    mutating func resolvePaths(_ resolve: (String) -> String) {
        for i in mixture.indices { mixture[i].file = resolve(mixture[i].file) }
    }

    func validate(field: String) throws {
        func require(_ condition: Bool, _ name: String, _ reason: String) throws {
            if !condition { throw TrainingError.invalidConfiguration(field: "\(field).\(name)", reason: reason) }
        }
        try require(sequenceLength >= 1, "sequence_length", "must be positive, got \(sequenceLength)")
        try require(!mixture.isEmpty, "mixture", "needs at least one token file")
        for (i, component) in mixture.enumerated() {
            try require(component.weight.isFinite && component.weight > 0, "mixture[\(i)].weight",
                        "must be finite and positive, got \(component.weight)")
        }
        let fraction = heldOutFraction ?? 0.01
        try require(fraction >= 0 && fraction < 1, "held_out_fraction", "must be in [0, 1), got \(fraction)")
        try require((evaluationWindows ?? 1) >= 1, "evaluation_windows", "must be >= 1")
    }
}

/// AdamW's settings in a run configuration; defaults are MiniCPM's (weight decay 0.1, β = (0.9,
/// 0.95), clipping at 1).
public struct OptimizerSpecification: Sendable, Hashable, Codable {
    public var weightDecay: Double?
    public var beta1: Double?
    public var beta2: Double?
    public var epsilon: Double?
    public var maxGradientNorm: Double?

    public init(weightDecay: Double? = nil, beta1: Double? = nil, beta2: Double? = nil, epsilon: Double? = nil,
                maxGradientNorm: Double? = nil) {
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxGradientNorm = maxGradientNorm
    }

    enum CodingKeys: String, CodingKey {
        case weightDecay = "weight_decay", beta1, beta2, epsilon, maxGradientNorm = "max_gradient_norm"
    }

    func validate() throws {
        func require(_ condition: Bool, _ name: String, _ value: Double) throws {
            if !condition { throw TrainingError.invalidConfiguration(field: "optimizer.\(name)", reason: "out of range: \(value)") }
        }
        try require((weightDecay ?? 0.1) >= 0, "weight_decay", weightDecay ?? 0)
        try require((0..<1).contains(beta1 ?? 0.9), "beta1", beta1 ?? 0)
        try require((0..<1).contains(beta2 ?? 0.95), "beta2", beta2 ?? 0)
        try require((epsilon ?? 1e-8) >= 0, "epsilon", epsilon ?? 0)
        try require((maxGradientNorm ?? 1) > 0, "max_gradient_norm", maxGradientNorm ?? 0)
    }
}
