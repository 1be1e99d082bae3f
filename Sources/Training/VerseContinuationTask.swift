import TensorCore

/// Continuing a verse: "Continue the verse: In the beginning God created" → "the heaven and the".
///
/// The prompt is a verse's first ``promptWordCount`` words and the answer its next
/// ``answerWordCount``; the rejected reply is the continuation of a different verse (drawn at random
/// among those whose continuation differs). Verses too short to cut are skipped, and so are beginnings
/// shared by verses that go on differently (KJV has many "And the LORD spake unto Moses, saying"),
/// since no reply could be right for all of them.
public struct VerseContinuationTask: Sendable, Hashable {
    /// Words of the verse given in the prompt.
    public var promptWordCount: Int
    /// Words of the verse the answer holds (the k of "the first k words" in grading).
    public var answerWordCount: Int

    /// - Precondition: both counts are positive.
    public init(promptWordCount: Int = 6, answerWordCount: Int = 4) {
        precondition(promptWordCount > 0 && answerWordCount > 0, "VerseContinuationTask: word counts must be positive")
        self.promptWordCount = promptWordCount
        self.answerWordCount = answerWordCount
    }

    /// One item per usable verse, in the verses' order.
    /// - Throws: ``TrainingError/insufficientData(reason:)`` when fewer than two different
    ///   continuations remain (no wrong reply to pair with).
    public func items(from verses: [BibleVerse], using generator: inout SeededRandom) throws -> [TaskItem] {
        var cuts: [(prompt: String, answer: String)] = []
        var continuations: [String: Set<[String]>] = [:]
        for verse in verses {
            let words = verse.text.split(whereSeparator: \.isWhitespace).map(String.init)
            guard words.count >= promptWordCount + answerWordCount else { continue }
            let prompt = words[..<promptWordCount].joined(separator: " ")
            let answer = words[promptWordCount..<(promptWordCount + answerWordCount)].joined(separator: " ")
            cuts.append((prompt, answer))
            continuations[TaskItem.normalizedWords(prompt).joined(separator: " "), default: []]
                .insert(TaskItem.normalizedWords(answer))
        }
        cuts.removeAll { continuations[TaskItem.normalizedWords($0.prompt).joined(separator: " ")]!.count > 1 }
        let distinct = Set(cuts.map { TaskItem.normalizedWords($0.answer) })
        guard distinct.count >= 2 else {
            throw TrainingError.insufficientData(reason: "verse continuation needs two verses of at least \(promptWordCount + answerWordCount) words that continue differently")
        }
        return cuts.map { cut in
            let own = TaskItem.normalizedWords(cut.answer)
            var other: String
            repeat {
                other = cuts[generator.uniformIndex(below: cuts.count)].answer
            } while TaskItem.normalizedWords(other) == own
            return TaskItem(task: .verseContinuation, prompt: "Continue the verse: " + cut.prompt,
                            answer: cut.answer, rejected: other)
        }
    }
}
