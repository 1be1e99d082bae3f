/// One multiple-choice question, whatever data set it came from (ARC, HellaSwag, MMLU, PIQA,
/// WinoGrande, CMMLU, C-Eval): the shape the `ppl` and letter-generation scorers consume.
public struct MultipleChoiceItem: Sendable, Equatable, Codable {
    /// The data set's own id (e.g. ARC's `Mercury_417466`, HellaSwag's `ind`), or the row number.
    public var id: String
    /// The question or context the choices continue, already cleaned (no prompt template).
    public var question: String
    /// The options, in the data set's order.
    public var choices: [String]
    /// Index into `choices` of the correct option.
    public var answer: Int
    /// The subject (MMLU's `abstract_algebra`, CMMLU's `agronomy`, C-Eval's `accountant`); nil elsewhere.
    public var subject: String?
    /// The worked explanation of the answer (C-Eval's dev split, for chain-of-thought few-shot
    /// examples); nil elsewhere.
    public var explanation: String?

    /// - Precondition: `answer` indexes `choices` (the loaders check this and throw otherwise).
    public init(id: String, question: String, choices: [String], answer: Int, subject: String? = nil,
                explanation: String? = nil) {
        precondition(choices.indices.contains(answer), "answer \(answer) is not one of \(choices.count) choices")
        self.id = id
        self.question = question
        self.choices = choices
        self.answer = answer
        self.subject = subject
        self.explanation = explanation
    }
}
