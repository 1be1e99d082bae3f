/// The settings of one ``MiniCPM/generate(promptTokens:parameters:sampler:cache:onToken:)`` call:
/// how many tokens, how they are sampled, with which seed, and where to stop.
///
/// ```swift
/// var parameters = GenerateParameters(maxTokens: 128, temperature: 0.7, topP: 0.9, seed: 42)
/// parameters.repetitionPenalty = 1.1
/// let summary = try model.generate(promptTokens: prompt, parameters: parameters) { token in
///     print(tokenizer.decode([token]), terminator: ""); return .continue
/// }
/// ```
///
/// ``sampler`` builds the standard chain from these values: repetition penalty → temperature →
/// top-k → top-p → min-p → categorical sampling, where every step at its neutral value is left out
/// and temperature 0 means greedy decoding (argmax after the repetition penalty). Call ``validate(vocabularySize:)``
/// (generation does) to get a ``GenerationError`` for values out of range instead of a trap.
public struct GenerateParameters: Sendable, Hashable {
    /// The most tokens to generate (not counting a stop token); 0 only prefills the prompt.
    public var maxTokens: Int
    /// Softmax temperature, finite and `>= 0`; 0 selects the most likely token (greedy decoding).
    public var temperature: Float
    /// Keep only the `topK` most likely tokens (ties to the lower id); 0 disables.
    public var topK: Int
    /// Keep the smallest set of most likely tokens with probability mass `>= topP`, in `(0, 1]`;
    /// 1 disables.
    public var topP: Double
    /// Keep tokens with probability `>= minP · p_max`, in `[0, 1]`; 0 disables.
    public var minP: Double
    /// Hugging Face repetition penalty, finite and `> 0`: positive logits of recent tokens are divided
    /// by it and negative ones multiplied; 1 disables.
    public var repetitionPenalty: Float
    /// How many of the most recent tokens (cached, prompt and generated) the penalty applies to;
    /// `nil` for all of them. Must not be negative.
    public var repetitionContextSize: Int?
    /// Seed of the `SeededRandom` that drives sampling: the same seed, model, prompt and parameters
    /// produce the same tokens.
    public var seed: UInt64
    /// Tokens that end generation when sampled (they are not reported as generated tokens);
    /// `nil` for the model's `eos_token_id`s, empty to never stop on a token.
    public var stopTokenIDs: Set<Int>?

    /// Parameters with the given values; the defaults sample at temperature 0.6 with no filters.
    public init(maxTokens: Int = 256, temperature: Float = 0.6, topK: Int = 0, topP: Double = 1,
                minP: Double = 0, repetitionPenalty: Float = 1, repetitionContextSize: Int? = 20,
                seed: UInt64 = 0, stopTokenIDs: Set<Int>? = nil) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
        self.repetitionContextSize = repetitionContextSize
        self.seed = seed
        self.stopTokenIDs = stopTokenIDs
    }

    /// Greedy decoding of up to `maxTokens` tokens.
    public static func greedy(maxTokens: Int = 256) -> GenerateParameters {
        GenerateParameters(maxTokens: maxTokens, temperature: 0)
    }

    /// Throws the first value out of range.
    ///
    /// - Parameter vocabularySize: When given, stop token ids must lie in `0..<vocabularySize`.
    public func validate(vocabularySize: Int? = nil) throws(GenerationError) {
        func invalid(_ name: String, _ value: Any, _ requirement: String) -> GenerationError {
            .invalidParameter(name: name, value: "\(value)", requirement: requirement)
        }
        guard maxTokens >= 0 else { throw invalid("maxTokens", maxTokens, ">= 0") }
        guard temperature.isFinite && temperature >= 0 else {
            throw invalid("temperature", temperature, "finite and >= 0")
        }
        guard topK >= 0 else { throw invalid("topK", topK, ">= 0 (0 disables)") }
        guard topP > 0 && topP <= 1 else { throw invalid("topP", topP, "in (0, 1]") }
        guard minP >= 0 && minP <= 1 else { throw invalid("minP", minP, "in [0, 1]") }
        guard repetitionPenalty.isFinite && repetitionPenalty > 0 else {
            throw invalid("repetitionPenalty", repetitionPenalty, "finite and > 0 (1 disables)")
        }
        if let size = repetitionContextSize, size < 0 {
            throw invalid("repetitionContextSize", size, ">= 0 or nil")
        }
        if let vocabularySize, let ids = stopTokenIDs {
            for id in ids.sorted() where id < 0 || id >= vocabularySize {
                throw .stopTokenOutOfRange(id: id, vocabularySize: vocabularySize)
            }
        }
    }

    /// The standard sampling chain for these parameters (call ``validate(vocabularySize:)`` first: out-of-range
    /// values trap in the processors' initialisers).
    ///
    /// Repetition penalty (unless 1) → temperature (unless 0 or 1) → top-k (unless 0) → top-p (unless
    /// 1) → min-p (unless 0) → ``CategoricalSelector``; with temperature 0 the chain is the penalty
    /// followed by ``ArgmaxSelector`` (filters never remove the most likely token, so they are left out).
    public var sampler: Sampler {
        var processors: [any LogitProcessor] = []
        if repetitionPenalty != 1 {
            processors.append(RepetitionPenalty(repetitionPenalty, contextSize: repetitionContextSize))
        }
        if temperature == 0 {
            return Sampler(processors: processors, selector: ArgmaxSelector())
        }
        if temperature != 1 { processors.append(Temperature(temperature)) }
        if topK > 0 { processors.append(TopK(topK)) }
        if topP < 1 { processors.append(TopP(topP)) }
        if minP > 0 { processors.append(MinP(minP)) }
        return Sampler(processors: processors, selector: CategoricalSelector())
    }
}

/// Why generation could not start, or could not go on.
public enum GenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A ``GenerateParameters`` value is out of range.
    case invalidParameter(name: String, value: String, requirement: String)
    /// A stop token id is not in the vocabulary.
    case stopTokenOutOfRange(id: Int, vocabularySize: Int)
    /// The model rejected the input: an empty prompt (``MiniCPMError/emptyInput``), a token id out
    /// of range, or a prompt longer than the room left in the cache.
    case model(MiniCPMError)
    /// The model produced a NaN or infinite logit, so no token can be chosen from it: `step` 0 is the
    /// prefill (the logits after the prompt), step `n` the `n`-th one-token decode step; `tokenID` is
    /// the first vocabulary entry at fault. Usually a corrupt weight (``MiniCPM/checkFinite()`` names
    /// it) or activations that overflow.
    case nonFiniteLogits(step: Int, tokenID: Int)

    /// A readable explanation of the problem.
    public var description: String {
        switch self {
        case let .invalidParameter(name, value, requirement):
            return "invalid generation parameter \(name) = \(value): must be \(requirement)"
        case let .stopTokenOutOfRange(id, v):
            return "stop token id \(id) is outside the vocabulary 0..<\(v)"
        case let .model(error):
            return error.description
        case let .nonFiniteLogits(step, tokenID):
            let when = step == 0 ? "the prefill" : "decode step \(step)"
            return "the logits of \(when) are not finite (token \(tokenID) is NaN or infinite); " +
                "the model's weights may be corrupt (MiniCPM.checkFinite() names the tensor)"
        }
    }
}
