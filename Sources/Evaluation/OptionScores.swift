/// How one option of a multiple-choice question scored: the log-probability of its tokens given the
/// question, and the lengths the normalised scores divide by.
public struct OptionScore: Sendable, Hashable {
    /// The sum of the natural-log probabilities of the option's tokens, each given the context and
    /// the option's tokens before it.
    public var logProbability: Double
    /// How many tokens the option has.
    public var tokenCount: Int
    /// How many characters (Unicode scalars, as Python's `len`) the option's text has.
    public var characterCount: Int

    /// A score with the given values.
    public init(logProbability: Double, tokenCount: Int, characterCount: Int) {
        self.logProbability = logProbability
        self.tokenCount = tokenCount
        self.characterCount = characterCount
    }

    /// ``logProbability`` per token: the mean token log-probability (0 for an empty option).
    public var logProbabilityPerToken: Double { tokenCount > 0 ? logProbability / Double(tokenCount) : 0 }
    /// ``logProbability`` per character, lm-evaluation-harness's `acc_norm` score (0 for empty text).
    public var logProbabilityPerCharacter: Double { characterCount > 0 ? logProbability / Double(characterCount) : 0 }
}

/// The scores of every option of one multiple-choice question and the option each criterion picks.
///
/// The three criteria are lm-evaluation-harness's: `acc` picks the highest sum of log-probabilities
/// (favouring short options), `acc_norm` the highest per character, and the per-token mean is the
/// third normalisation UltraEval and others report. Ties go to the first option, as `numpy.argmax`.
public struct MultipleChoiceScores: Sendable, Hashable {
    /// One score per option, in the question's order.
    public var options: [OptionScore]

    /// Scores for the given options.
    public init(options: [OptionScore]) { self.options = options }

    /// The option with the highest ``OptionScore/logProbability`` (`acc`); `nil` without options.
    public var choiceBySum: Int? { argmax(options.map(\.logProbability)) }
    /// The option with the highest ``OptionScore/logProbabilityPerCharacter`` (`acc_norm`).
    public var choiceByCharacter: Int? { argmax(options.map(\.logProbabilityPerCharacter)) }
    /// The option with the highest ``OptionScore/logProbabilityPerToken``.
    public var choiceByToken: Int? { argmax(options.map(\.logProbabilityPerToken)) }

    private func argmax(_ values: [Double]) -> Int? {
        guard var best = values.indices.first else { return nil }
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }
}

/// Accuracy of multiple-choice questions under each criterion, accumulated question by question.
///
/// ```swift
/// var accuracy = MultipleChoiceAccuracy()
/// accuracy.add(scores, correctIndex: 2)
/// print(accuracy.accuracyBySum, accuracy.accuracyByCharacter)   // acc, acc_norm
/// ```
public struct MultipleChoiceAccuracy: Sendable, Hashable {
    /// Questions added.
    public private(set) var questionCount = 0
    /// Questions whose ``MultipleChoiceScores/choiceBySum`` was right.
    public private(set) var correctBySum = 0
    /// Questions whose ``MultipleChoiceScores/choiceByCharacter`` was right.
    public private(set) var correctByCharacter = 0
    /// Questions whose ``MultipleChoiceScores/choiceByToken`` was right.
    public private(set) var correctByToken = 0

    /// No questions yet.
    public init() {}

    /// Counts one question whose right option is `correctIndex`.
    public mutating func add(_ scores: MultipleChoiceScores, correctIndex: Int) {
        questionCount += 1
        if scores.choiceBySum == correctIndex { correctBySum += 1 }
        if scores.choiceByCharacter == correctIndex { correctByCharacter += 1 }
        if scores.choiceByToken == correctIndex { correctByToken += 1 }
    }

    /// `acc`: the fraction right by the sum of log-probabilities (0 before any question).
    public var accuracyBySum: Double { fraction(correctBySum) }
    /// `acc_norm`: the fraction right by log-probability per character.
    public var accuracyByCharacter: Double { fraction(correctByCharacter) }
    /// The fraction right by log-probability per token.
    public var accuracyByToken: Double { fraction(correctByToken) }

    private func fraction(_ count: Int) -> Double { questionCount > 0 ? Double(count) / Double(questionCount) : 0 }
}
