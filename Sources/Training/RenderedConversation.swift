import Tokenizer

/// A conversation's ids as a chat template renders and a tokenizer encodes them, with where each
/// assistant reply lies: the common ground of supervised fine-tuning (score the replies) and DPO
/// (score one reply against another).
///
/// The ids are exactly `template.encode(messages, addGenerationPrompt: false, tokenizer:)` followed by
/// the tokenizer's EOS: the whole conversation is encoded in one piece, as at inference, never as
/// separately encoded turns glued together (SentencePiece may merge across a seam, and a model
/// fine-tuned on glued ids would see sequences it never meets when chatting).
///
/// A reply's span runs from the length of the encoded conversation before it (with the generation
/// prompt, so it starts where generation starts) to the length of the encoded conversation through
/// it. Each of those encodings must be a prefix of the whole; when the tokenizer merges a reply's
/// first or last characters with its neighbours no span boundary exists, and the conversation is
/// refused rather than scored on a guess. The final reply's span also covers the appended EOS.
struct RenderedConversation: Sendable, Hashable {
    /// BOS (when the template adds it), the rendered conversation, and EOS.
    var ids: [Int]
    /// The positions in ``ids`` of each assistant reply's tokens, in order.
    var replySpans: [Range<Int>]

    init(_ messages: [ChatMessage], template: some ChatTemplate, tokenizer: some TextTokenizer) throws {
        guard messages.last?.role == .assistant else {
            throw TrainingError.invalidExample(reason: "a conversation to learn from ends with an assistant reply")
        }
        guard let eos = tokenizer.eosID else {
            throw TrainingError.invalidExample(reason: "the tokenizer has no EOS id to end the reply with")
        }
        var ids = try template.encode(messages, addGenerationPrompt: false, tokenizer: tokenizer)
        var spans: [Range<Int>] = []
        for (turn, message) in messages.enumerated() where message.role == .assistant {
            let before = try template.encode(Array(messages[..<turn]), addGenerationPrompt: true, tokenizer: tokenizer)
            let through = try template.encode(Array(messages[...turn]), addGenerationPrompt: false, tokenizer: tokenizer)
            guard ids.starts(with: before), ids.starts(with: through), before.count <= through.count else {
                throw TrainingError.invalidExample(
                    reason: "turn \(turn): the tokenizer merges the assistant reply with the text around it, so its tokens cannot be told apart")
            }
            spans.append(before.count..<through.count)
        }
        ids.append(eos)
        spans[spans.count - 1] = spans[spans.count - 1].lowerBound..<ids.count
        self.ids = ids
        self.replySpans = spans
    }
}
