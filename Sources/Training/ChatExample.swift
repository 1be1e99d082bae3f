import Tokenizer

/// A conversation to fine-tune on (supervised fine-tuning): the model learns to write its assistant
/// turns, given everything before them.
public struct ChatExample: Sendable, Hashable, Codable {
    /// The turns, ending with an assistant reply.
    public var messages: [ChatMessage]

    public init(messages: [ChatMessage]) {
        self.messages = messages
    }

    /// The next-token example of this conversation, scored on the assistant's tokens only.
    ///
    /// The ids are the conversation rendered by `template` and encoded in one piece by `tokenizer`
    /// (BOS first when the template adds it), then the tokenizer's EOS. `inputs` are all ids but the
    /// last and `targets[t]` is id `t + 1` when that id belongs to an assistant reply, or the final
    /// EOS; every other target is ``TrainingSequence/ignoredTarget``. So the loss counts exactly:
    ///
    /// - every token of every assistant reply (with MiniCPM's template, the reply text after `<AI>`;
    ///   the `<AI>` marker itself belongs to the user turn, which the model is given);
    /// - the EOS after the final reply, so the model learns to stop (generation stops at EOS).
    ///
    /// It does not count BOS, system and user turns (the model is not taught to write prompts), or
    /// the `<用户>` that follows an earlier reply in a multi-turn conversation (at inference the user,
    /// not the model, starts the next turn).
    ///
    /// - Throws: ``TrainingError/invalidExample(reason:)`` when the conversation does not end with an
    ///   assistant reply, the tokenizer has no EOS, or it merges a reply with its neighbours so that
    ///   the reply's tokens are not those of the whole conversation; a `TokenizerError` from encoding.
    public func trainingSequence(template: some ChatTemplate, tokenizer: some TextTokenizer) throws -> TrainingSequence {
        let rendered = try RenderedConversation(messages, template: template, tokenizer: tokenizer)
        var scored = [Bool](repeating: false, count: rendered.ids.count)
        for span in rendered.replySpans {
            for position in span { scored[position] = true }
        }
        let targets = (1..<rendered.ids.count).map { scored[$0] ? rendered.ids[$0] : TrainingSequence.ignoredTarget }
        return TrainingSequence(inputs: Array(rendered.ids.dropLast()), targets: targets)
    }
}
