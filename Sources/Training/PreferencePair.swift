import Tokenizer

/// One DPO example: a prompt and two replies to it, the preferred (`chosen`, y_w) and the
/// dispreferred (`rejected`, y_l).
///
/// Prompt and replies are ids: the prompt is what the model is given (with MiniCPM's template, BOS
/// and the user turn through `<AI>`), each reply what it would generate (the reply's tokens and the
/// EOS that ends it). ``init(prompt:chosen:rejected:template:tokenizer:)`` makes them from text the
/// way ``ChatExample/trainingSequence(template:tokenizer:)`` does, so SFT and DPO score the same
/// tokens of a reply.
public struct PreferencePair: Sendable, Hashable, Codable {
    /// The context both replies answer.
    public var prompt: [Int]
    /// The preferred reply's ids.
    public var chosen: [Int]
    /// The dispreferred reply's ids.
    public var rejected: [Int]
    /// The frozen reference model's log-probabilities of the two replies, once computed
    /// (``DPOObjective/cachingReference(in:batchSize:)``): they never change during training, so a
    /// pair carries them instead of re-running the reference model every time it is drawn.
    public var reference: ReferenceLogProbabilities?

    /// A pair of id sequences.
    /// - Precondition: the prompt and both replies are non-empty (a reply holds at least its EOS).
    public init(prompt: [Int], chosen: [Int], rejected: [Int], reference: ReferenceLogProbabilities? = nil) {
        precondition(!prompt.isEmpty && !chosen.isEmpty && !rejected.isEmpty,
                     "PreferencePair: empty prompt or reply (\(prompt.count), \(chosen.count), \(rejected.count) ids)")
        self.prompt = prompt
        self.chosen = chosen
        self.rejected = rejected
        self.reference = reference
    }

    /// A pair from text: `messages` (ending with a user turn) rendered through `template`, and the
    /// two replies as the final assistant turn, each followed by EOS.
    ///
    /// The ids of prompt + reply are exactly those of the whole conversation encoded in one piece.
    /// - Throws: ``TrainingError/invalidExample(reason:)`` when the tokenizer has no EOS, merges a
    ///   reply with the prompt, or the two renderings disagree on the prompt's ids; a
    ///   `TokenizerError` from encoding.
    public init(prompt messages: [ChatMessage], chosen: String, rejected: String,
                template: some ChatTemplate, tokenizer: some TextTokenizer) throws {
        let good = try RenderedConversation(messages + [.assistant(chosen)], template: template, tokenizer: tokenizer)
        let bad = try RenderedConversation(messages + [.assistant(rejected)], template: template, tokenizer: tokenizer)
        let (goodStart, badStart) = (good.replySpans.last!.lowerBound, bad.replySpans.last!.lowerBound)
        guard good.ids[..<goodStart] == bad.ids[..<badStart], goodStart > 0 else {
            throw TrainingError.invalidExample(reason: "the chosen and rejected conversations do not share the prompt's ids")
        }
        self.init(prompt: Array(good.ids[..<goodStart]), chosen: Array(good.ids[goodStart...]),
                  rejected: Array(bad.ids[badStart...]))
    }
}

/// The reference model's log π_ref(y|x) of a pair's two replies: the sums of their tokens'
/// log-probabilities.
public struct ReferenceLogProbabilities: Sendable, Hashable, Codable {
    /// log π_ref(y_w|x).
    public var chosen: Double
    /// log π_ref(y_l|x).
    public var rejected: Double

    public init(chosen: Double, rejected: Double) {
        self.chosen = chosen
        self.rejected = rejected
    }
}
