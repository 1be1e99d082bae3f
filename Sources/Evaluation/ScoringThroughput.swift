/// How fast multiple-choice questions were scored: questions and tokens per second of wall time.
public struct ScoringThroughput: Sendable, Hashable {
    /// Questions scored.
    public var questionCount: Int
    /// Tokens given to the model: each question's context once plus every option's tokens (what
    /// shared-prefix scoring feeds through the network, give or take each option's last token).
    public var tokenCount: Int
    /// Wall time, tokenisation included.
    public var seconds: Double

    /// A measurement with the given values.
    public init(questionCount: Int, tokenCount: Int, seconds: Double) {
        self.questionCount = questionCount
        self.tokenCount = tokenCount
        self.seconds = seconds
    }

    /// Questions per second (0 for no time).
    public var questionsPerSecond: Double { seconds > 0 ? Double(questionCount) / seconds : 0 }
    /// Tokens per second (0 for no time).
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokenCount) / seconds : 0 }
}

extension MultipleChoiceScorer {
    /// Scores every question and measures the throughput: the hook for scoring benchmarks.
    ///
    /// ```swift
    /// let (scores, speed) = try scorer.scoreMeasuringThroughput(questions)
    /// print("\(speed.questionsPerSecond) questions/s, \(speed.tokensPerSecond) tokens/s")
    /// ```
    ///
    /// - Parameter questions: Each question's context and options, as ``score(context:options:)``
    ///   takes them.
    /// - Returns: The scores, in order, and the throughput.
    /// - Throws: The first question's error; nothing is measured then.
    public func scoreMeasuringThroughput(_ questions: [(context: String, options: [String])]) throws(EvaluationError)
        -> (scores: [MultipleChoiceScores], throughput: ScoringThroughput) {
        let clock = ContinuousClock()
        let start = clock.now
        var scores: [MultipleChoiceScores] = []
        var tokens = 0
        for question in questions {
            let (contextIDs, optionIDs) = try ContinuationTokenization.split(context: question.context,
                                                                             options: question.options, model: model)
            tokens += contextIDs.count + optionIDs.reduce(0) { $0 + $1.count }
            scores.append(try score(contextTokens: contextIDs, optionTokens: optionIDs,
                                    characterCounts: question.options.map(\.unicodeScalars.count)))
        }
        let elapsed = (clock.now - start).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
        return (scores, ScoringThroughput(questionCount: questions.count, tokenCount: tokens, seconds: seconds))
    }
}
