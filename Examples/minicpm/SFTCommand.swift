import ArgumentParser
import Foundation
import TensorCore
import Training

/// `minicpm sft`: supervised fine-tuning on chat-formatted synthetic tasks with checkable answers,
/// the loss on the assistant's tokens only.
///
/// ```
/// minicpm sft --from runs/stable-decay-from-800/checkpoints/step-00000880 --kjv .data/corpora/kjv.txt \
///     --steps 200 --out runs/sft
/// ```
struct SFTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Supervised fine-tuning on synthetic chat tasks (arithmetic, verse continuation, book of a verse)."
    )

    @OptionGroup var options: FineTuningOptions

    func run() throws {
        if let threads = options.threads { Parallelism.threadCount = threads }
        let base = try FineTuningBase(checkpoint: URL(fileURLWithPath: options.from))
        let split = try options.taskSplit()
        print("SFT on \(split.training.count) items; \(split.heldOut.count) held out")
        var run = try FineTuning.sftRun(from: base, items: split.training, settings: options.settings,
                                        directory: URL(fileURLWithPath: options.out))
        try options.train(&run, base: base, evaluation: options.evaluationItems(split))
    }
}
