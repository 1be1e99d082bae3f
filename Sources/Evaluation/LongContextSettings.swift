/// A generated long-context task, as in ∞Bench (Zhang et al. 2024): a needle (a pass key, a
/// sequence of digits, or one key-value pair) hidden at a controlled depth in filler text of a
/// controlled length (`"synthetic"` in a task file):
///
/// ```json
/// {"name": "passkey", "method": "generate", "metric": "accuracy",
///  "synthetic": {"kind": "passkey", "context_lengths": [1024, 4096], "depths": [0, 0.25, 0.5, 0.75, 1],
///                "count": 2, "seed": 1234},
///  "generation": {"max_tokens": 8, "stop": ["\n"]}}
/// ```
///
/// Every (length, depth) pair gets `count` items, each from its own generator seeded by `seed`,
/// the length, the depth and the repetition, so an item does not change when other lengths or
/// depths are added. `minicpm eval` overrides the lengths, depths, count and seed
/// (`--context-length`, `--depths`, `--items-per-depth`, `--seed`).
public struct LongContextSettings: Codable, Sendable, Equatable {
    /// What is hidden and asked for.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A 5-digit pass key in repeated filler sentences; scored by the first integer of the answer.
        case passkey
        /// A 10-digit sequence in the same filler; scored by the first integer of the answer.
        case numberString = "number_string"
        /// One pair of random UUIDs among others in a JSON object; scored by the value, exactly.
        case kvRetrieval = "kv_retrieval"
    }

    /// The task.
    public var kind: Kind
    /// Context lengths in tokens of the evaluated model's tokenizer: the prompt (BOS included) and
    /// the `generation.max_tokens` answer fit in each.
    public var contextLengths: [Int]
    /// Where the needle lies, as the fraction of the filler before it (0: first, 1: last).
    public var depths: [Double]
    /// Items per (length, depth).
    public var count: Int
    /// Seeds every item's random needle (and key-value filler).
    public var seed: UInt64

    /// ∞Bench's five depths.
    public static let defaultDepths = [0, 0.25, 0.5, 0.75, 1]

    /// Settings with the given values.
    public init(kind: Kind, contextLengths: [Int], depths: [Double] = Self.defaultDepths, count: Int = 1, seed: UInt64 = 1234) {
        self.kind = kind
        self.contextLengths = contextLengths
        self.depths = depths
        self.count = count
        self.seed = seed
    }

    private enum CodingKeys: String, CodingKey { case kind, contextLengths, depths, count, seed }

    /// Decodes the settings; `depths` default to ∞Bench's five, `count` to 1 and `seed` to 1234.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(Kind.self, forKey: .kind)
        contextLengths = try c.decode([Int].self, forKey: .contextLengths)
        depths = try c.decodeIfPresent([Double].self, forKey: .depths) ?? Self.defaultDepths
        count = try c.decodeIfPresent(Int.self, forKey: .count) ?? 1
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1234
    }

    /// Checks the settings; `fail` makes the error naming the task file and field.
    func validate(_ fail: (String, String) -> EvaluationError) throws(EvaluationError) {
        if contextLengths.isEmpty { throw fail("synthetic.context_lengths", "must list at least one length") }
        for length in contextLengths where length < 1 { throw fail("synthetic.context_lengths", "\(length) must be >= 1") }
        if depths.isEmpty { throw fail("synthetic.depths", "must list at least one depth") }
        for depth in depths where !(0...1).contains(depth) { throw fail("synthetic.depths", "\(depth) must be in 0...1") }
        if count < 1 { throw fail("synthetic.count", "\(count) must be >= 1") }
    }
}

extension TaskSpecification {
    /// The task with its long-context settings replaced where a value is given (`minicpm eval`'s
    /// `--context-length`, `--depths`, `--items-per-depth`, `--seed`), validated again.
    ///
    /// - Throws: ``EvaluationError/invalidSetting(task:field:reason:)`` when the task is not a
    ///   synthetic one, or a new value is out of range (named with `source`, e.g. the option).
    public func overridingLongContext(contextLengths: [Int]? = nil, depths: [Double]? = nil, count: Int? = nil,
                                      seed: UInt64? = nil, source: String) throws(EvaluationError) -> TaskSpecification {
        guard var settings = synthetic else {
            throw .invalidSetting(task: "\(name) (\(source))", field: "synthetic", reason: "not a long-context task")
        }
        if let contextLengths { settings.contextLengths = contextLengths }
        if let depths { settings.depths = depths }
        if let count { settings.count = count }
        if let seed { settings.seed = seed }
        var task = self
        task.synthetic = settings
        try task.validate(path: source)
        return task
    }
}
