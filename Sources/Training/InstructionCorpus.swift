import Foundation
import Tokenizer

/// Instruction data as a token file, for the decay stage of two-stage pre-training (paper
/// Section 5: the decay mixes pre-training text with high-quality SFT data): each item is one
/// document, its conversation rendered through the chat template (BOS, `<用户>` prompt `<AI>`
/// reply) and ended by EOS, so a pre-training sampler reads it like any other corpus.
public enum InstructionCorpus {
    /// Writes `items` as a token file at `url`.
    public static func write(_ items: [TaskItem], template: some ChatTemplate, tokenizer: SentencePieceTokenizer,
                             identifier: String, to url: URL) throws {
        var writer = try TokenFileWriter(tokenizer: tokenizer, identifier: identifier)
        for item in items {
            let messages = item.chatExample.messages
            let ids = try template.encode(messages, addGenerationPrompt: false, tokenizer: tokenizer)
            let text = messages.map(\.content).joined()
            try writer.appendDocument(ids, byteCount: text.utf8.count)
        }
        try writer.write(to: url)
    }
}
