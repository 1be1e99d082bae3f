/// One item of any family, as a task's prompt templates see it.
public enum TaskItem: Sendable, Equatable {
    case multipleChoice(MultipleChoiceItem)
    case generation(GenerationItem)
    case code(CodeItem)

    /// The data set's id.
    public var id: String {
        switch self {
        case let .multipleChoice(item): item.id
        case let .generation(item): item.id
        case let .code(item): item.id
        }
    }

    /// The subject or category the data set files the item under (MMLU's `abstract_algebra`, MATH's
    /// `Algebra`); nil for data sets without one.
    public var subject: String? {
        switch self {
        case let .multipleChoice(item): item.subject
        case let .generation(item): item.subject
        case .code: nil
        }
    }

    /// The reference answer as text (a multiple-choice item's correct letter).
    public var reference: String {
        switch self {
        case let .multipleChoice(item): String(OptionLetter.letters(count: item.choices.count)[item.answer])
        case let .generation(item): item.reference
        case let .code(item): item.canonicalSolution ?? ""
        }
    }

    /// `template` with the item's `{question}`, `{choices}`, `{subject}`, `{subject_zh}` and
    /// `{prompt}` filled in. `{subject_zh}` is the subject's Chinese name in `dataset`'s list
    /// (``ChineseSubjectName``), or `{subject}` for a subject it does not list.
    func question(_ template: String, dataset: EvaluationDataset? = nil) -> String {
        switch self {
        case let .multipleChoice(item):
            let letters = OptionLetter.letters(count: item.choices.count)
            let listed = zip(letters, item.choices).map { "\($0). \($1)" }.joined(separator: "\n")
            let subject = (item.subject ?? "").replacingOccurrences(of: "_", with: " ")
            let chinese = item.subject.flatMap { ChineseSubjectName.of($0, in: dataset) } ?? subject
            return Self.fill(template, ["question": item.question, "choices": listed, "subject": subject,
                                        "subject_zh": chinese])
        case let .generation(item):
            return Self.fill(template, ["question": item.question, "subject": item.subject ?? ""])
        case let .code(item):
            return Self.fill(template, ["prompt": item.prompt, "question": item.prompt, "tests": item.tests, "entry_point": item.entryPoint])
        }
    }

    /// `answerTemplate` filled with the item's correct answer (for a few-shot example).
    func answer(_ answerTemplate: String) -> String {
        switch self {
        case let .multipleChoice(item): Self.option(answerTemplate, item: item, index: item.answer)
        case let .generation(item):
            Self.fill(answerTemplate, ["answer": item.reference, "solution": item.solution ?? item.reference])
        case let .code(item):
            Self.fill(answerTemplate, ["answer": item.canonicalSolution ?? "", "solution": item.canonicalSolution ?? ""])
        }
    }

    /// `answerTemplate` filled with option `index` of `item`.
    static func option(_ answerTemplate: String, item: MultipleChoiceItem, index: Int) -> String {
        let letter = String(OptionLetter.letters(count: item.choices.count)[index])
        return fill(answerTemplate, ["choice": item.choices[index], "letter": letter, "answer": letter, "solution": item.choices[index]])
    }

    /// Replaces each `{key}` by its value in one pass, so a value containing braces (code, LaTeX)
    /// is never itself substituted.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            if let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] {
                result += value
                rest = rest[rest.index(after: close)...]
            } else {
                result.append("{")
                rest = rest[rest.index(after: open)...]
            }
        }
        return result + rest
    }
}
