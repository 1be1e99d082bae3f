/// One free-answer problem (GSM8K, MATH, MATH-500): the model generates, an extractor pulls the
/// final answer out, and it is compared with `reference`.
public struct GenerationItem: Sendable, Equatable, Codable {
    /// The data set's own id, or the row number.
    public var id: String
    /// The problem statement (no prompt template).
    public var question: String
    /// The final answer alone: GSM8K's number after `####` (commas kept as written), MATH's
    /// `\boxed{}` content / the data set's `answer` field.
    public var reference: String
    /// The worked solution (GSM8K's rationale with `<<...>>` calculator marks, MATH's solution),
    /// for few-shot examples.
    public var solution: String?
    /// MATH's subject (e.g. `Algebra`) and difficulty level (1...5); nil elsewhere.
    public var subject: String?
    public var level: Int?

    public init(id: String, question: String, reference: String, solution: String? = nil,
                subject: String? = nil, level: Int? = nil) {
        self.id = id
        self.question = question
        self.reference = reference
        self.solution = solution
        self.subject = subject
        self.level = level
    }
}
