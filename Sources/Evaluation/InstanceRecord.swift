/// What one evaluated item produced: one line of the task's JSON Lines log, and what a resumed
/// run reads back instead of asking the model again.
public struct InstanceRecord: Codable, Sendable, Equatable {
    /// The item's position among the evaluated items (the log's key with `id` and `prompt`).
    public var index: Int
    /// The data set's id.
    public var id: String
    /// The full prompt (few-shot examples included).
    public var prompt: String
    /// `ppl`: each option's summed log-probability, per character, per token.
    public var optionLogProbabilities: [Double]?
    public var optionLogProbabilitiesPerCharacter: [Double]?
    public var optionLogProbabilitiesPerToken: [Double]?
    /// The generated text (`generate`, generation-based choice) or the samples (`code`).
    public var output: String?
    public var samples: [String]?
    /// Each sample's sandbox outcome (`code`).
    public var sampleOutcomes: [String]?
    /// The answer extracted from `output` (a letter, a number, a boxed expression).
    public var extracted: String?
    /// The reference answer (a letter for multiple choice).
    public var reference: String
    /// Whether the answer is right: by summed log-probability for `ppl`, by extraction for
    /// `generate`, by the first sample for `code`.
    public var correct: Bool
    /// `ppl`: correct by per-character and per-token normalisation.
    public var correctNormalized: Bool?
    public var correctPerToken: Bool?
    /// `ppl` with generation-based choice: whether the generated letter is right.
    public var correctByGeneration: Bool?
    /// `code`: how many samples passed.
    public var passedCount: Int?
    /// `perplexity`: the document's predicted tokens, bytes, words and summed `−log P` (natural
    /// log), and the window and stride it was measured with (a resumed run with other windows
    /// measures it again).
    public var tokenCount: Int?
    public var byteCount: Int?
    public var wordCount: Int?
    public var negativeLogLikelihood: Double?
    public var window: Int?
    public var stride: Int?
    /// Long-context tasks: the item's context length, needle depth and prompt tokens.
    public var contextLength: Int?
    public var depth: Double?
    public var promptTokenCount: Int?

    public init(index: Int, id: String, prompt: String, reference: String, correct: Bool) {
        self.index = index
        self.id = id
        self.prompt = prompt
        self.reference = reference
        self.correct = correct
    }
}
