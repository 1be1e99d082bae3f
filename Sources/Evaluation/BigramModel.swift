import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// A deterministic test double: a byte bigram model, `P(next | previous)` counted in a training text
/// with add-one smoothing, over ``ByteTokenizer``'s ids.
///
/// ```swift
/// let model = BigramModel(trainingText: "the cat sat on the mat")
/// let rows = try model.logProbabilities(of: [[97, 116]], after: [256, 99])   // "at" after "c"
/// ```
///
/// Every probability is a ratio of small integers, `(count(previous, next) + 1) / (count(previous) +
/// 258)`, so tests of the whole pipeline can expect exact scores. BOS is counted before the training
/// text and EOS after it.
public struct BigramModel: EvaluatedModel, Sendable {
    /// "bigram".
    public var name: String
    /// A ``ByteTokenizer``.
    public var tokenizer: any TextTokenizer { ByteTokenizer() }
    /// `counts[previous][next]`: how often `next` followed `previous` in the training text.
    public let counts: [[Int]]
    /// A context limit to test against (the bigram itself needs none); nil: none.
    public var contextLength: Int?

    /// The model of `trainingText` (BOS before it, EOS after it), optionally with a context limit.
    public init(trainingText: String, name: String = "bigram", contextLength: Int? = nil) {
        self.contextLength = contextLength
        let ids = [256] + trainingText.utf8.map(Int.init) + [257]
        var counts = [[Int]](repeating: [Int](repeating: 0, count: 258), count: 258)
        for (previous, next) in zip(ids, ids.dropFirst()) { counts[previous][next] += 1 }
        self.counts = counts
        self.name = name
    }

    /// `log P(next | previous)`, in `Double`.
    public func logProbability(of next: Int, after previous: Int) -> Double {
        let row = counts[previous]
        return Foundation.log(Double(row[next] + 1)) - Foundation.log(Double(row.reduce(0, +) + 258))
    }

    /// The text's bytes after BOS.
    public func contextTokens(for text: String) throws(EvaluationError) -> [Int] {
        [256] + text.utf8.map(Int.init)
    }

    public func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        guard let last = context.last else {
            throw .invalidArgument(name: "context", value: "[]", requirement: "at least one token")
        }
        for id in context + continuations.joined() where !(0..<258).contains(id) {
            throw .model(model: name, reason: "token id \(id) is outside the vocabulary 0..<258")
        }
        // As a transformer: the context and each continuation but its last token are fed.
        let fed = context.count + max(0, (continuations.map(\.count).max() ?? 0) - 1)
        if let contextLength, fed > contextLength {
            throw .model(model: name, reason: "\(fed) tokens exceed the context length \(contextLength)")
        }
        return continuations.map { continuation in
            zip([last] + continuation.dropLast(), continuation).map { Float(logProbability(of: $1, after: $0)) }
        }
    }

    /// Samples with the parameters' sampler (greedy: the most frequent next byte, ties to the lower
    /// id) until a stop token, `maxTokens` or a stop string.
    public func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        guard var previous = prompt.last else {
            throw .invalidArgument(name: "prompt", value: "[]", requirement: "at least one token")
        }
        do { try parameters.validate(vocabularySize: 258) } catch { throw .invalidArgument(name: "parameters", value: "\(parameters)", requirement: error.description) }
        if let contextLength, prompt.count + parameters.maxTokens > contextLength {
            throw .model(model: name, reason: "\(prompt.count) prompt tokens and \(parameters.maxTokens) to generate exceed the context length \(contextLength)")
        }
        let stopTokens = parameters.stopTokenIDs ?? [257]
        let sampler = parameters.sampler
        var generator = SeededRandom(seed: parameters.seed)
        var history = prompt
        var generated: [Int] = []
        var bytes: [UInt8] = []
        while generated.count < parameters.maxTokens {
            var logits = (0..<258).map { Float(logProbability(of: $0, after: previous)) }
            let next = sampler.nextToken(logits: &logits, history: history, using: &generator)
            if stopTokens.contains(next) { break }
            generated.append(next)
            history.append(next)
            previous = next
            if next < 256 { bytes.append(UInt8(next)) }
            let text = String(decoding: bytes, as: UTF8.self)
            if let stop = stopStrings.compactMap({ text.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
                return GeneratedCompletion(text: String(text[..<stop.lowerBound]), tokens: generated)
            }
        }
        return GeneratedCompletion(text: String(decoding: bytes, as: UTF8.self), tokens: generated)
    }
}
