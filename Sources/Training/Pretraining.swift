import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import Tokenizer

/// Which part of the paper's recipe a pre-training run is.
public enum PretrainingStage: Sendable {
    /// The run of the configuration: warmup, stable and (for a WSD schedule) decay, from random
    /// initial weights, or continued from its own newest checkpoint.
    case main
    /// A decay branched from a checkpoint of the main run after `S` steps: the schedule follows the
    /// main one to `S`, then `decay` for `steps` more steps (WSD(S, D)); parameters, optimizer
    /// state and step count come from the checkpoint. With a `decay_data` mixture in the
    /// configuration the branch draws from it (the paper's two-stage pre-training), otherwise it
    /// continues the main run's data order.
    case decay(from: URL, steps: Int, decay: DecaySpecification)
}

/// Builds a ``TrainingRun`` from a ``RunConfiguration``: the tokenizer, the model, the data
/// mixture with its held-out split, AdamW with muP groups and the schedule.
public enum Pretraining {
    /// The run for `stage`, in the configuration's output directory (a decay branch: `output`
    /// with `-decay-from-<S>` appended, unless `directory` is given).
    public static func makeRun(_ configuration: RunConfiguration, stage: PretrainingStage = .main,
                               directory: URL? = nil,
                               showsProgress: Bool = true) throws -> TrainingRun<DataMixture, LanguageModelingObjective> {
        let tokenizerURL = URL(fileURLWithPath: configuration.tokenizer)
        let tokenizerData: Data
        do { tokenizerData = try Data(contentsOf: tokenizerURL) } catch {
            throw TrainingError.io(path: tokenizerURL.path, reason: error.localizedDescription)
        }
        let tokenizer = try SentencePieceTokenizer(data: tokenizerData, source: tokenizerURL.path)
        let modelConfiguration = try configuration.model.makeConfiguration(vocabularySize: tokenizer.vocabularySize)

        var schedule = try configuration.schedule.makeSchedule()
        var data = configuration.data
        var totalSteps = configuration.steps
        var runDirectory = URL(fileURLWithPath: configuration.output)
        var notes = ["stage": "main"]
        if case let .decay(checkpoint, steps, decay) = stage {
            let branchStep = try TrainingCheckpoint.readState(from: checkpoint).step
            schedule = try decay.branching(schedule, at: branchStep)
            totalSteps = branchStep + steps
            if let decayData = configuration.decayData { data = decayData }
            runDirectory = URL(fileURLWithPath: configuration.output + "-decay-from-\(branchStep)")
            notes = ["stage": "decay", "branched_from": checkpoint.path]
        }
        if let directory { runDirectory = directory }

        let (source, heldOut) = try makeData(data, vocabularySize: tokenizer.vocabularySize, seed: configuration.seed)
        let model = try MiniCPM(configuration: modelConfiguration, seed: configuration.seed)
        let o = configuration.optimizer
        let optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(modelConfiguration.widthMultiplier),
                                               weightDecay: o.weightDecay ?? 0.1),
                              schedule: schedule, beta1: o.beta1 ?? 0.9, beta2: o.beta2 ?? 0.95,
                              epsilon: o.epsilon ?? 1e-8, maxGradientNorm: o.maxGradientNorm ?? 1)
        let trainer = Trainer(model: model, optimizer: optimizer, source: source, objective: LanguageModelingObjective(),
                              batchSize: .tokens(batchSchedule(configuration), sequenceLength: data.sequenceLength),
                              microBatchSize: configuration.microBatch)
        let options = TrainingRunOptions(
            totalSteps: totalSteps, checkpointInterval: configuration.checkpointEvery ?? 0,
            checkpointsKept: configuration.keepCheckpoints ?? 3, milestoneInterval: configuration.milestoneEvery,
            evaluationInterval: configuration.evalEvery,
            bundledFiles: ["tokenizer.model": tokenizerData, "tokenizer_config.json": tokenizerConfiguration(tokenizer)],
            notes: notes, showsProgress: showsProgress)
        let evaluation: (@Sendable (MiniCPM) throws -> (lossPerToken: Double, bitsPerByte: Double?, tokens: Int))? =
            heldOut.isEmpty ? nil : { @Sendable model in try HeldOutEvaluation.evaluate(heldOut, model: model) }
        return TrainingRun(trainer: trainer, directory: runDirectory, options: options, evaluate: evaluation)
    }

    /// The configuration's batch size per step, in tokens.
    static func batchSchedule(_ configuration: RunConfiguration) -> any BatchSizeSchedule {
        guard let changes = configuration.batchSchedule, !changes.isEmpty else {
            return ConstantBatchSize(tokens: configuration.batchTokens)
        }
        return SteppedBatchSize(initialTokens: configuration.batchTokens,
                                changes: changes.map { SteppedBatchSize.Change(step: $0.step, tokens: $0.tokens) })
    }

    /// The mixture of the training parts of the token files, and the held-out windows of all of them.
    static func makeData(_ data: DataSpecification, vocabularySize: Int, seed: UInt64) throws -> (DataMixture, [HeldOutEvaluation]) {
        var components: [DataMixture.Component] = []
        var heldOutSlices: [TokenSlice] = []
        let fraction = data.heldOutFraction ?? 0.01
        for (i, component) in data.mixture.enumerated() {
            let file = try TokenFile(contentsOf: URL(fileURLWithPath: component.file))
            guard file.vocabularySize <= vocabularySize else {
                throw TrainingError.invalidConfiguration(
                    field: "mixture[\(i)].file",
                    reason: "\(component.file) has a vocabulary of \(file.vocabularySize), the tokenizer \(vocabularySize)")
            }
            let split = try DocumentSplit(file: file, heldOutFraction: fraction)
            let name = URL(fileURLWithPath: component.file).deletingPathExtension().lastPathComponent
            components.append(.init(name: components.contains { $0.name == name } ? "\(name)#\(i)" : name,
                                    slice: split.training, weight: component.weight))
            if fraction > 0 { heldOutSlices.append(split.heldOut) }
        }
        let mixture = try DataMixture(components: components, sequenceLength: data.sequenceLength, seed: seed)
        // The window budget is shared evenly by the files, so each corpus counts.
        let perFile = max(1, (data.evaluationWindows ?? 64) / max(1, heldOutSlices.count))
        let heldOut = try heldOutSlices.map {
            try HeldOutEvaluation(slice: $0, sequenceLength: data.sequenceLength, maximumWindowCount: perFile)
        }
        return (mixture, heldOut)
    }

    /// `tokenizer_config.json` for a checkpoint: MiniCPM's chat template (so `minicpm chat` formats
    /// prompts as the model was fine-tuned) and the special tokens.
    static func tokenizerConfiguration(_ tokenizer: SentencePieceTokenizer) -> Data {
        let template = "{% for message in messages %}{% if message['role'] == 'user' %}{{'<用户>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}{% endif %}{% endfor %}"
        var object: [String: Any] = ["chat_template": template, "add_bos_token": true, "add_eos_token": false,
                                     "tokenizer_class": "LlamaTokenizer"]
        if let bos = tokenizer.bosID, let piece = try? tokenizer.piece(for: bos) { object["bos_token"] = piece }
        if let eos = tokenizer.eosID, let piece = try? tokenizer.piece(for: eos) { object["eos_token"] = piece }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}
