import MiniCPMModel

/// A multiple-choice answer given by generation: what the model wrote after the prompt and the
/// option it names (``OptionLetter``), the second way the paper scores multiple choice.
public struct GenerativeChoice: Sendable, Hashable {
    /// The generated text.
    public var text: String
    /// The index of the option the text names (`A` is 0), or `nil` when it names none.
    public var choice: Int?

    /// A choice with the given values.
    public init(text: String, choice: Int?) {
        self.text = text
        self.choice = choice
    }
}

extension MultipleChoiceScorer {
    /// Lets the model answer `prompt` (which lists the options as `A.`, `B.`, ... and ends where the
    /// answer begins) greedily and extracts the letter it gives.
    ///
    /// ```swift
    /// let answer = try scorer.chooseByGeneration(prompt: "...\nD. Madrid\nAnswer:", optionCount: 4)
    /// answer.choice   // 1 for "B"
    /// ```
    ///
    /// - Parameters:
    ///   - prompt: The question with its lettered options.
    ///   - optionCount: How many options there are (letters beyond them do not count).
    ///   - maxTokens: The most tokens to generate; a few suffice for a letter, more for reasoning.
    ///   - stopStrings: Text that ends the answer, by default a blank line (the next few-shot example).
    /// - Throws: The model's errors.
    public func chooseByGeneration(prompt: String, optionCount: Int, maxTokens: Int = 16,
                                   stopStrings: [String] = ["\n\n"]) throws(EvaluationError) -> GenerativeChoice {
        let ids = try model.contextTokens(for: prompt)
        let completion = try model.generate(after: ids, parameters: .greedy(maxTokens: maxTokens), stopStrings: stopStrings)
        return GenerativeChoice(text: completion.text, choice: OptionLetter.index(in: completion.text, optionCount: optionCount))
    }
}
