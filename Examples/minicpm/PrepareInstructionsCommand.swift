import ArgumentParser
import Foundation
import Tokenizer
import Training

/// `minicpm prepare-instructions`: the synthetic tasks' training items as a token file of chat
/// conversations, for the decay stage's mixture (two-stage pre-training, paper Section 5). The
/// held-out items of the same split (same --seed) are never written, so `minicpm sft`/`dpo` can
/// grade on them afterwards.
struct PrepareInstructionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-instructions",
        abstract: "Write the synthetic tasks' training conversations as a token file (instruction data for the decay stage)."
    )

    @Option(help: "The SentencePiece model of the pre-training token files.")
    var tokenizer: String

    @Option(help: "KJV text for the verse tasks; without it, arithmetic only.")
    var kjv: String?

    @Option(help: "Use at most this many items (a seeded sample).")
    var items: Int?

    @Option(help: "Arithmetic questions use operands 0...N (as minicpm sft/dpo --max-operand).")
    var maxOperand: Int = 99

    @Option(help: "The split's seed: use the same one for minicpm sft/dpo so their held-out items stay unseen.")
    var seed: UInt64 = 1

    @Option(help: "The token file to write.")
    var out: String

    func run() throws {
        let model = try Data(contentsOf: URL(fileURLWithPath: tokenizer))
        let spm = try SentencePieceTokenizer(data: model, source: tokenizer)
        let text = try kjv.map { try String(contentsOfFile: $0, encoding: .utf8) }
        var chosen = try SyntheticTaskSplit(kjv: text, seed: seed, arithmetic: ArithmeticTask(operands: 0...max(1, maxOperand))).training
        if let items { chosen = chosen.seededSample(items, seed: seed) }
        let identifier = TokenFileWriter.tokenizerIdentifier(name: URL(fileURLWithPath: tokenizer).lastPathComponent, model: model)
        try InstructionCorpus.write(chosen, template: MiniCPMChatTemplate(), tokenizer: spm, identifier: identifier,
                                    to: URL(fileURLWithPath: out))
        print("wrote \(chosen.count) conversations to \(out)")
    }
}
