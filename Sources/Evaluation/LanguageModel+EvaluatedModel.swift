import MiniCPMModel
import Tokenizer

/// A loaded model (checkpoint directory, GGUF file, quantised weights) evaluated through its
/// network's shared-prefix scoring, `MiniCPM.continuationLogProbabilities(_:after:)`.
extension LanguageModel: EvaluatedModel {
    /// The network's `maximumContextLength` (`max_position_embeddings`, scaled by a linear or
    /// dynamic RoPE scaling).
    public var contextLength: Int? { model.maximumContextLength }

    /// The text encoded as `promptTokens(for: .text(text))` does: BOS first when the model expects it.
    public func contextTokens(for text: String) throws(EvaluationError) -> [Int] {
        do { return try promptTokens(for: .text(text)) } catch {
            throw .model(model: name, reason: "cannot encode the text: \(error)")
        }
    }

    /// Scores the continuations with the context prefilled once (see
    /// `MiniCPM.continuationLogProbabilities(_:after:)`).
    public func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        guard !context.isEmpty else {
            throw .invalidArgument(name: "context", value: "[]", requirement: "at least one token")
        }
        do { return try model.continuationLogProbabilities(continuations, after: context) } catch {
            throw .model(model: name, reason: error.description)
        }
    }

    /// Generates with `generate(_:parameters:chatTemplate:stopStrings:cache:onText:)` from the ids.
    public func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        do {
            let result = try generate(.tokens(prompt), parameters: parameters, stopStrings: stopStrings)
            return GeneratedCompletion(text: result.text, tokens: result.summary.tokens)
        } catch {
            throw .model(model: name, reason: "\(error)")
        }
    }
}
