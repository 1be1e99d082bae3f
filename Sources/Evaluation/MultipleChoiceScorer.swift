/// Perplexity-based multiple choice: each option is scored by the log-probability the model gives
/// its tokens after the question, and the scores are reported under every criterion at once
/// (``MultipleChoiceScores``: lm-evaluation-harness's `acc`, `acc_norm`, and per token).
///
/// ```swift
/// let scorer = MultipleChoiceScorer(model: try LanguageModel(ggufFile: url))
/// let scores = try scorer.score(context: "Question: What is the capital of France?\nAnswer:",
///                               options: [" Lyon", " Paris", " Nice"])
/// scores.choiceBySum          // 1, hopefully
/// ```
///
/// The context is tokenised once and shared by every option (``ContinuationTokenization``), and the
/// model scores all options of a question in one ``EvaluatedModel/logProbabilities(of:after:)`` call,
/// which a model with a KV cache serves by prefilling the context once.
///
/// The model is held as an existential so that a harness can score whatever model the user named
/// (checkpoint, GGUF, quantised, test double) without being generic itself; one dynamic call per
/// question is nothing next to a forward pass.
public struct MultipleChoiceScorer {
    /// The model scored.
    public var model: any EvaluatedModel

    /// A scorer of `model`.
    public init(model: any EvaluatedModel) { self.model = model }

    /// Scores the options of one question.
    ///
    /// - Parameters:
    ///   - context: The question as the model sees it (prompt, few-shot examples, "Answer:").
    ///   - options: The options' texts as they continue the context (usually with a leading space);
    ///     their characters (Unicode scalars, without whitespace moved from the context) are what
    ///     ``OptionScore/characterCount`` counts.
    /// - Throws: ``EvaluationError`` from tokenisation or the model.
    public func score(context: String, options: [String]) throws(EvaluationError) -> MultipleChoiceScores {
        let (contextIDs, optionIDs) = try ContinuationTokenization.split(context: context, options: options, model: model)
        return try score(contextTokens: contextIDs, optionTokens: optionIDs,
                         characterCounts: options.map(\.unicodeScalars.count))
    }

    /// Scores options given as ids.
    ///
    /// - Parameters:
    ///   - contextTokens: The ids shared by every option (at least one).
    ///   - optionTokens: Each option's ids.
    ///   - characterCounts: Each option's length in characters, for the per-character score.
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` when the counts do not
    ///   match the options; the model's errors.
    public func score(contextTokens: [Int], optionTokens: [[Int]], characterCounts: [Int]) throws(EvaluationError) -> MultipleChoiceScores {
        guard characterCounts.count == optionTokens.count else {
            throw .invalidArgument(name: "characterCounts", value: "\(characterCounts.count) counts",
                                   requirement: "one per option (\(optionTokens.count))")
        }
        let rows = try model.logProbabilities(of: optionTokens, after: contextTokens)
        return MultipleChoiceScores(options: zip(rows, zip(optionTokens, characterCounts)).map { row, option in
            OptionScore(logProbability: row.reduce(0) { $0 + Double($1) }, tokenCount: option.0.count,
                        characterCount: option.1)
        })
    }
}
