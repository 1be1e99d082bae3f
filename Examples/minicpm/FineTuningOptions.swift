import ArgumentParser
import Foundation
import Training

/// What `minicpm sft` and `minicpm dpo` share: the starting checkpoint, the synthetic task data,
/// the run's length and batch, and the held-out accuracy report.
struct FineTuningOptions: ParsableArguments {
    @Option(help: "The checkpoint to start from (a directory with config.json, model.safetensors and tokenizer.model).")
    var from: String

    @Option(help: "The run directory.")
    var out: String

    @Option(help: "Optimizer steps.")
    var steps: Int

    @Option(help: "KJV text (Debian bible-kjv; scripts/fetch-corpora.sh writes it) for the verse tasks; without it, arithmetic only.")
    var kjv: String?

    @Option(help: "Use at most this many training items (a seeded sample).")
    var items: Int?

    @Option(help: "Arithmetic questions use operands 0...N.")
    var maxOperand: Int = 99

    @Option(help: "Examples per step.")
    var batch: Int = 16

    @Option(help: "Examples per forward pass.")
    var microBatch: Int = 16

    @Option(help: "Peak learning rate before the muP multipliers (warmup over a tenth of the steps, then cosine to a tenth).")
    var lr: Double = 1e-3

    @Option(help: "Seeds the task split and the example order.")
    var seed: UInt64 = 1

    @Option(help: "Held-out items whose greedy replies are graded before and after training (0: none).")
    var evalItems: Int = 200

    @Option(help: "A checkpoint every this many steps (and at the end).")
    var checkpointEvery: Int = 0

    @Flag(help: "Continue from the newest valid checkpoint in the run directory.")
    var resume = false

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard steps > 0 else { throw ValidationError("--steps must be > 0.") }
        guard batch > 0, microBatch > 0 else { throw ValidationError("--batch and --micro-batch must be > 0.") }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be > 0.") }
        guard evalItems >= 0 else { throw ValidationError("--eval-items must be >= 0.") }
        if let items, items < 1 { throw ValidationError("--items must be >= 1.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1.") }
        guard maxOperand >= 1 else { throw ValidationError("--max-operand must be >= 1.") }
    }

    var settings: FineTuningSettings {
        FineTuningSettings(steps: steps, examplesPerStep: batch, microBatchSize: microBatch, learningRate: lr,
                           seed: seed, checkpointInterval: checkpointEvery)
    }

    /// The split of the synthetic tasks, the training side cut to `--items` by a seeded sample.
    func taskSplit() throws -> SyntheticTaskSplit {
        let text = try kjv.map { path -> String in
            do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ValidationError("cannot read --kjv \(path): \(error.localizedDescription)")
            }
        }
        var split = try SyntheticTaskSplit(kjv: text, seed: seed, arithmetic: ArithmeticTask(operands: 0...maxOperand))
        if let items { split.training = split.training.seededSample(items, seed: seed) }
        return split
    }

    /// The first `--eval-items` held-out items, spread over the tasks.
    func evaluationItems(_ split: SyntheticTaskSplit) -> [TaskItem] {
        let byTask = Dictionary(grouping: split.heldOut, by: \.task)
        let perTask = max(1, evalItems / max(1, byTask.count))
        return SyntheticTask.allCases.flatMap { (byTask[$0] ?? []).prefix(perTask) }
    }

    static func report(_ label: String, _ accuracy: TaskAccuracy) -> String {
        let parts = SyntheticTask.allCases.compactMap { task in
            accuracy.accuracy(of: task).map { String(format: "%@ %.1f %%", task.rawValue, 100 * $0) }
        }
        let overall = accuracy.overallAccuracy.map { String(format: "%.1f %%", 100 * $0) } ?? "–"
        return "\(label): \(overall) (\(parts.joined(separator: ", ")))"
    }

    /// Trains `run` (resuming when asked), with held-out accuracy before and after.
    func train<S, O>(_ run: inout TrainingRun<S, O>, base: FineTuningBase, evaluation: [TaskItem]) throws {
        if !resume, !run.checkpoints.checkpoints().isEmpty {
            throw ValidationError("\(run.checkpoints.directory.path) already holds checkpoints: pass --resume, or another --out.")
        }
        if resume { try run.resume() } else { try run.metrics.truncate(toCompletedSteps: 0) }
        if !evaluation.isEmpty, run.trainer.stepCount == 0 {
            print(Self.report("held-out accuracy before (\(evaluation.count) items), greedy reply", try base.accuracy(on: evaluation)))
            print(Self.report("held-out accuracy before, answer more likely than the wrong one", try base.likelihoodAccuracy(on: evaluation)))
        }
        let records = try run.run()
        if let last = records.last { print(String(format: "step %d: loss %.4f", last.step, last.loss)) }
        if !evaluation.isEmpty {
            var trained = base
            trained.model = run.trainer.model
            print(Self.report("held-out accuracy after, greedy reply", try trained.accuracy(on: evaluation)))
            print(Self.report("held-out accuracy after, answer more likely than the wrong one", try trained.likelihoodAccuracy(on: evaluation)))
        }
        print("checkpoint: \(run.checkpoints.url(forStep: run.trainer.stepCount).path)")
    }
}
