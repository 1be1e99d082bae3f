import MiniCPMModel
import Tokenizer

/// What the harness needs from a model: its tokenizer, the log-probabilities of continuations, and
/// generation. MiniCPM checkpoints, GGUF files and quantised models (all loaded as a
/// `LanguageModel`) conform, and so does the ``BigramModel`` test double.
///
/// ```swift
/// let model = try LanguageModel(ggufFile: url)
/// let context = try model.contextTokens(for: "Question: 2 + 2 =")
/// let options = try [" 4", " 5"].map { try model.tokenizer.encode($0) }
/// let logProbabilities = try model.logProbabilities(of: options, after: context)
/// ```
///
/// Conformers score every continuation from the same context, so a model with a KV cache prefills the
/// context once per call (see `LanguageModel`'s conformance).
public protocol EvaluatedModel {
    /// A short name for reports and messages.
    var name: String { get }
    /// Text to ids and back, with the model's vocabulary.
    var tokenizer: any TextTokenizer { get }
    /// The most tokens one sequence may hold (prompt and generated tokens together), or nil when
    /// the model has no limit; long-context items and perplexity windows are kept within it.
    var contextLength: Int? { get }

    /// The ids a text prompt or context is fed as: encoded with the BOS id first when the model
    /// expects one.
    ///
    /// - Throws: ``EvaluationError/model(model:reason:)`` when the text cannot be encoded.
    func contextTokens(for text: String) throws(EvaluationError) -> [Int]

    /// The natural-log probability of each token of each continuation, given `context` and the
    /// continuation's earlier tokens: `result[i][j] = log P(continuations[i][j] | context,
    /// continuations[i][0..<j])`.
    ///
    /// - Parameters:
    ///   - continuations: The token ids of each continuation (an empty one gets an empty row).
    ///   - context: The ids every continuation follows (at least one).
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` for an empty context;
    ///   ``EvaluationError/model(model:reason:)`` when the model refuses the ids (out of the
    ///   vocabulary, longer than its context).
    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]]

    /// Generates text after `prompt`.
    ///
    /// - Parameters:
    ///   - prompt: The ids to continue (with BOS when the model expects it; see ``contextTokens(for:)``).
    ///   - parameters: Length, sampling and seed; evaluation is greedy by default
    ///     (`GenerateParameters.greedy(maxTokens:)`). `stopTokenIDs == nil` means the model's EOS.
    ///   - stopStrings: Text that ends generation; the completion's text stops where the first begins.
    /// - Throws: ``EvaluationError/model(model:reason:)`` when generation fails.
    func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion
}

extension EvaluatedModel {
    /// No limit, unless a conformer says otherwise.
    public var contextLength: Int? { nil }
}

/// Generated text and its token ids.
public struct GeneratedCompletion: Sendable, Hashable {
    /// The text, cut before a stop string.
    public var text: String
    /// The generated ids (a stop token excluded).
    public var tokens: [Int]

    /// A completion with the given values.
    public init(text: String, tokens: [Int]) {
        self.text = text
        self.tokens = tokens
    }
}
