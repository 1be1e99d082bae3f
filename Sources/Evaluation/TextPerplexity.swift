import Foundation

/// The perplexity of a model on a text: per token, per word and in bits per byte, as
/// lm-evaluation-harness's `loglikelihood_rolling` tasks (WikiText) report them.
///
/// ```swift
/// let result = try TextPerplexity.measure(text: try String(contentsOf: url, encoding: .utf8),
///                                         model: model, windowLength: 2048)
/// print(result.tokenPerplexity, result.bitsPerByte)
/// ```
///
/// Every token of the text is predicted exactly once. The text is encoded with
/// ``EvaluatedModel/contextTokens(for:)``; its first token is predicted from the BOS id the encoding
/// starts with or, when there is none, from the tokenizer's EOS id (lm-evaluation-harness's prefix
/// token). The tokens are cut into disjoint windows of `windowLength`, each predicted after the token
/// before it (the harness's rolling windows with a context of one token): a window sees nothing of
/// the text before it but that token, so a longer window gives a lower, truer perplexity. Token counts
/// depend on the tokenizer; bits per byte and word perplexity do not, so they compare models.
public struct TextPerplexity: Sendable, Hashable {
    /// Tokens predicted.
    public var tokenCount: Int
    /// UTF-8 bytes of the text.
    public var byteCount: Int
    /// Words of the text (runs of non-whitespace, as Python's `str.split()`).
    public var wordCount: Int
    /// The sum of `−log P` (natural log) over every predicted token.
    public var negativeLogLikelihood: Double

    /// A result with the given values.
    public init(tokenCount: Int, byteCount: Int, wordCount: Int, negativeLogLikelihood: Double) {
        self.tokenCount = tokenCount
        self.byteCount = byteCount
        self.wordCount = wordCount
        self.negativeLogLikelihood = negativeLogLikelihood
    }

    /// `exp(NLL / tokens)`.
    public var tokenPerplexity: Double { Foundation.exp(negativeLogLikelihood / Double(max(1, tokenCount))) }
    /// `exp(NLL / words)`.
    public var wordPerplexity: Double { Foundation.exp(negativeLogLikelihood / Double(max(1, wordCount))) }
    /// `NLL / (bytes · ln 2)`: the bits an ideal coder driven by the model spends per byte of text.
    public var bitsPerByte: Double { negativeLogLikelihood / (Double(max(1, byteCount)) * Foundation.log(2)) }

    /// Measures `model` on `text`.
    ///
    /// - Parameters:
    ///   - text: The text (at least one token after encoding).
    ///   - model: The model.
    ///   - windowLength: Tokens predicted per model call (at least 1); at most the model's context.
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` for a window below 1, a
    ///   text with no token to predict, or a tokenizer with neither BOS nor EOS for an encoding without
    ///   BOS; the model's errors.
    public static func measure(text: String, model: some EvaluatedModel, windowLength: Int) throws(EvaluationError) -> TextPerplexity {
        guard windowLength >= 1 else {
            throw .invalidArgument(name: "windowLength", value: "\(windowLength)", requirement: ">= 1")
        }
        var ids = try model.contextTokens(for: text)
        let prefix: Int
        if let bos = model.tokenizer.bosID, ids.first == bos {
            prefix = bos
            ids.removeFirst()
        } else if let start = model.tokenizer.eosID ?? model.tokenizer.bosID {
            prefix = start
        } else {
            throw .invalidArgument(name: "model", value: model.name,
                                   requirement: "a tokenizer with a BOS or EOS id to predict the first token from")
        }
        guard !ids.isEmpty else {
            throw .invalidArgument(name: "text", value: "\"\(text.prefix(40))\"", requirement: "at least one token")
        }
        var negativeLogLikelihood = 0.0
        for start in stride(from: 0, to: ids.count, by: windowLength) {
            let window = Array(ids[start..<min(ids.count, start + windowLength)])
            let context = start == 0 ? [prefix] : [ids[start - 1]]
            let row = try model.logProbabilities(of: [window], after: context)[0]
            negativeLogLikelihood -= row.reduce(0.0) { $0 + Double($1) }
        }
        return TextPerplexity(tokenCount: ids.count, byteCount: text.utf8.count,
                              wordCount: text.split(whereSeparator: \.isWhitespace).count,
                              negativeLogLikelihood: negativeLogLikelihood)
    }
}
