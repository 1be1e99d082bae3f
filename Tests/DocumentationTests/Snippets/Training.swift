import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import Training

/// The snippets of `Docs/Training.md`, verbatim (compiled; the behaviour they show is tested in
/// TrainingTests).
enum TrainingSnippets {
    static func composingATrainer(tokenFileURL: URL) throws
        -> (DocumentSplit, Trainer<PackedSequenceSampler, LanguageModelingObjective>) {
        let tokens = try TokenFile(contentsOf: tokenFileURL)                  // minicpm prepare-corpus writes these
        let split = try DocumentSplit(file: tokens, heldOutFraction: 0.01)
        let sampler = try PackedSequenceSampler(slice: split.training, sequenceLength: 128, seed: 1)
        let configuration = MiniCPMConfiguration.windTunnel(.size9M, vocabularySize: tokens.vocabularySize)
        let model = try MiniCPM(configuration: configuration, seed: 1)
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 9_000, decay: .exponential(halfLife: 300))
        let optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(configuration.widthMultiplier), weightDecay: 0.1),
                              schedule: wsd, beta2: 0.95, maxGradientNorm: 1)
        var trainer = Trainer(model: model, optimizer: optimizer, source: sampler, objective: LanguageModelingObjective(),
                              batchSize: .tokens(ConstantBatchSize(tokens: 4_096), sequenceLength: 128), microBatchSize: 8)
        let record = try trainer.step()            // draw, forward, backward per micro-batch, one AdamW update
        print(record.step, record.loss, record.learningRate)
        return (split, trainer)
    }

    static func aRunWithCheckpoints(split: DocumentSplit, trainer: Trainer<PackedSequenceSampler, LanguageModelingObjective>,
                                    runDirectory: URL) throws {
        let heldOut = try HeldOutEvaluation(slice: split.heldOut, sequenceLength: 128, maximumWindowCount: 64)
        var run = TrainingRun(trainer: trainer, directory: runDirectory,
                              options: TrainingRunOptions(totalSteps: 10_000, checkpointInterval: 500, evaluationInterval: 250),
                              heldOut: [heldOut])
        try run.resume()       // the newest valid checkpoint in runDirectory, if there is one
        try run.run()          // metrics.jsonl, checkpoints/step-…, loss.svg
    }
}
