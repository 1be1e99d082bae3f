import ArgumentParser
import Foundation
import TensorCore
import Training

/// `minicpm dpo`: direct preference optimisation on the synthetic tasks' pairs (the correct answer
/// chosen over a plausible wrong one), the starting checkpoint (usually the SFT model) as the
/// frozen reference.
///
/// ```
/// minicpm dpo --from runs/sft/checkpoints/step-00000200 --kjv .data/corpora/kjv.txt --steps 100 \
///     --beta 0.1 --out runs/dpo
/// ```
struct DPOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dpo",
        abstract: "Direct preference optimisation on synthetic preference pairs against a frozen reference."
    )

    @OptionGroup var options: FineTuningOptions

    @Option(help: "β: the scale of the implicit reward (how far the policy may move from the reference).")
    var beta: Float = 0.1

    func validate() throws {
        guard beta.isFinite, beta > 0 else { throw ValidationError("--beta must be > 0.") }
    }

    func run() throws {
        if let threads = options.threads { Parallelism.threadCount = threads }
        let base = try FineTuningBase(checkpoint: URL(fileURLWithPath: options.from))
        let split = try options.taskSplit()
        print("DPO on \(split.training.count) pairs (β = \(beta)); \(split.heldOut.count) held out")
        var run = try FineTuning.dpoRun(from: base, items: split.training, beta: beta, settings: options.settings,
                                        directory: URL(fileURLWithPath: options.out))
        try options.train(&run, base: base, evaluation: options.evaluationItems(split))
        if let last = run.metrics.steps().last {
            print(String(format: "last step: reward accuracy %.3f, margin %.4f", last.metrics["reward_accuracy"] ?? .nan,
                         last.metrics["reward_margin"] ?? .nan))
        }
    }
}
