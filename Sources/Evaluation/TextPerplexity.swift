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
/// token). ``measure(text:model:contextLength:stride:)`` slides a window of `contextLength` tokens
/// over the text by `stride` tokens (Hugging Face's "perplexity of fixed-length models"): the first
/// window predicts its tokens after the prefix token, each later one predicts `stride` new tokens
/// after the `contextLength − stride` tokens before them. ``measure(text:model:windowLength:)`` is
/// the harness's disjoint rolling windows (a context of one token): cheaper, and higher, since a
/// window sees nothing of the text before it. Token counts depend on the tokenizer; bits per byte
/// and word perplexity do not, so they compare models.
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

    /// Measures `model` on `text` in disjoint windows of `windowLength` predicted tokens, each after
    /// the one token before it: `measure(text:model:contextLength: windowLength + 1, stride: windowLength)`.
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
        return try measure(text: text, model: model, contextLength: windowLength + 1, stride: windowLength)
    }

    /// Measures `model` on `text` with a window of `contextLength` tokens moved by `stride`.
    ///
    /// Each model call holds at most `contextLength` tokens, context and predicted together. The
    /// first predicts the text's first `contextLength − 1` tokens after the prefix token; each later
    /// call predicts the next `stride` tokens (fewer at the end) after the `contextLength − stride`
    /// tokens before them, so every token after the first window is predicted from at least
    /// `contextLength − stride` tokens of context. `stride = contextLength − 1` is the disjoint
    /// rolling windows.
    ///
    /// - Parameters:
    ///   - text: The text (at least one token after encoding).
    ///   - model: The model.
    ///   - contextLength: Tokens per model call (at least 2); at most the model's context.
    ///   - stride: Tokens newly predicted per window after the first, in `1..<contextLength`.
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` for a context length
    ///   below 2 or a stride outside `1..<contextLength`, a text with no token to predict, or a
    ///   tokenizer with neither BOS nor EOS for an encoding without BOS; the model's errors.
    public static func measure(text: String, model: some EvaluatedModel, contextLength: Int,
                               stride: Int) throws(EvaluationError) -> TextPerplexity {
        guard contextLength >= 2 else {
            throw .invalidArgument(name: "contextLength", value: "\(contextLength)", requirement: ">= 2")
        }
        guard (1..<contextLength).contains(stride) else {
            throw .invalidArgument(name: "stride", value: "\(stride)", requirement: "in 1..<\(contextLength) (contextLength)")
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
        // `sequence[i + 1]` is `ids[i]`: the prefix token then the text, so a window's context is a
        // plain slice of it.
        let sequence = [prefix] + ids
        var negativeLogLikelihood = 0.0
        var predicted = 0
        while predicted < ids.count {
            let end = min(ids.count, predicted == 0 ? contextLength - 1 : predicted + stride)
            let window = Array(ids[predicted..<end])
            // The first window's context is the prefix token; later ones see the `contextLength − stride`
            // tokens before them (a shorter last window too, so each window's context is the same).
            let contextStart = predicted == 0 ? 0 : max(0, predicted + 1 - (contextLength - stride))
            let context = Array(sequence[contextStart..<(predicted + 1)])
            let row = try model.logProbabilities(of: [window], after: context)[0]
            negativeLogLikelihood -= row.reduce(0.0) { $0 + Double($1) }
            predicted = end
        }
        return TextPerplexity(tokenCount: ids.count, byteCount: text.utf8.count,
                              wordCount: text.split(whereSeparator: \.isWhitespace).count,
                              negativeLogLikelihood: negativeLogLikelihood)
    }
}
