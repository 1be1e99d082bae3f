/// What one optimizer step did: one line of a run's `metrics.jsonl`.
public struct StepRecord: Sendable, Hashable, Codable {
    /// The step, counted from zero (the schedule was read here).
    public var step: Int
    /// The step's mean loss per unit (token, preference pair) before the update.
    public var loss: Double
    /// The schedule's learning rate at this step (before any group's muP multiplier).
    public var learningRate: Double
    /// The global gradient norm before clipping.
    public var gradientNorm: Double
    /// Input tokens this step processed.
    public var tokens: Int
    /// Input tokens processed from the run's first step through this one.
    public var tokensSeen: Int
    /// Input tokens per second of this step's wall time (forward, backward and update).
    public var tokensPerSecond: Double
    /// The step's objective metrics, each per unit (e.g. DPO's `reward_accuracy`).
    public var metrics: [String: Double]
    /// For a mixture-of-experts model, `expertTokens[layer][expert]`: the token slots the step's
    /// forward passes routed to each expert (a token goes to `num_experts_per_tok` experts), summed
    /// over its micro-batches; `nil` (absent from the log) for a dense model. A collapsing router
    /// shows here as one expert taking most slots.
    public var expertTokens: [[Int]]? = nil

    enum CodingKeys: String, CodingKey {
        case step, loss, learningRate = "lr", gradientNorm = "grad_norm", tokens, tokensSeen = "tokens_seen"
        case tokensPerSecond = "tokens_per_s", metrics, expertTokens = "expert_tokens"
    }
}

/// The held-out loss at one step: a `metrics.jsonl` line with `"eval": true`.
public struct EvaluationRecord: Sendable, Hashable, Codable {
    /// The number of completed steps when the model was evaluated.
    public var step: Int
    /// Mean next-token cross-entropy in nats per held-out token.
    public var lossPerToken: Double
    /// The same loss per UTF-8 byte of held-out text, in bits (comparable across tokenizers, as the
    /// paper compares models).
    public var bitsPerByte: Double?
    /// Held-out tokens scored.
    public var tokens: Int

    public init(step: Int, lossPerToken: Double, bitsPerByte: Double?, tokens: Int) {
        self.step = step
        self.lossPerToken = lossPerToken
        self.bitsPerByte = bitsPerByte
        self.tokens = tokens
    }

    enum CodingKeys: String, CodingKey {
        case step, lossPerToken = "eval_loss", bitsPerByte = "eval_bits_per_byte", tokens = "eval_tokens"
    }
}
