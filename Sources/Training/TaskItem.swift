import Tokenizer

/// The kinds of synthetic instruction with a checkable answer (no chat corpus ships with this
/// package, so fine-tuning is measured on tasks whose replies can be graded by program).
public enum SyntheticTask: String, Sendable, Hashable, Codable, CaseIterable {
    /// "What is 37 + 48?" → "85".
    case arithmetic
    /// The start of a KJV verse → its next few words.
    case verseContinuation
    /// A KJV verse → the name of its book.
    case verseBook
}

/// One question of a ``SyntheticTask``: the user's prompt, the correct answer, and a plausible wrong
/// one for preference training.
public struct TaskItem: Sendable, Hashable, Codable {
    /// Which task the item belongs to (and so how a reply is graded).
    public var task: SyntheticTask
    /// The user turn.
    public var prompt: String
    /// The correct reply (the chosen reply of a preference pair).
    public var answer: String
    /// A plausible wrong reply (the rejected reply of a preference pair); never equal to
    /// ``answer`` once normalised.
    public var rejected: String

    public init(task: SyntheticTask, prompt: String, answer: String, rejected: String) {
        self.task = task
        self.prompt = prompt
        self.answer = answer
        self.rejected = rejected
    }

    /// The supervised fine-tuning example: the prompt as a user turn, the answer as the reply.
    public var chatExample: ChatExample {
        ChatExample(messages: [.user(prompt), .assistant(answer)])
    }

    /// The DPO example: ``answer`` chosen over ``rejected`` after the prompt as a user turn.
    public func preferencePair(template: some ChatTemplate, tokenizer: some TextTokenizer) throws -> PreferencePair {
        try PreferencePair(prompt: [.user(prompt)], chosen: answer, rejected: rejected,
                           template: template, tokenizer: tokenizer)
    }

    /// Whether a model's `reply` answers the item, compared word by word after normalising both
    /// (lower case, punctuation at word ends dropped, white space collapsed):
    ///
    /// - arithmetic and book names: the reply's words are exactly the answer's (`"85."` and
    ///   `" 85"` are right, `"85 or 86"` is not);
    /// - verse continuation: the reply's first k words are the answer's k words (a reply that goes
    ///   on with the rest of the verse is still right).
    public func isCorrect(reply: String) -> Bool {
        let expected = Self.normalizedWords(answer)
        let got = Self.normalizedWords(reply)
        switch task {
        case .arithmetic, .verseBook: return got == expected
        case .verseContinuation: return !expected.isEmpty && Array(got.prefix(expected.count)) == expected
        }
    }

    /// Lower-cased words with leading and trailing punctuation removed; empty words dropped.
    static func normalizedWords(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: \.isWhitespace).compactMap { word in
            var trimmed = word
            while trimmed.first?.isPunctuation == true { trimmed.removeFirst() }
            while trimmed.last?.isPunctuation == true { trimmed.removeLast() }
            return trimmed.isEmpty ? nil : String(trimmed)
        }
    }
}
