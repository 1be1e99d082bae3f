import TensorCore
/// Picks each item's few-shot examples, deterministically from a seed, and never the item itself.
///
/// From another split (MMLU's dev split for its test split) every item gets the same examples: the
/// first `count` of the pool shuffled by the seed. When the examples come from the evaluated split
/// (data sets with one split: GSM8K, MATH, HumanEval, MBPP), each item's examples are drawn from the
/// other items, shuffled by the seed and the item's index, so the item never sees its own answer.
/// Items with a subject (MMLU) get examples of their subject when the pool has any.
public struct FewShotSelector: Sendable {
    /// The items examples are drawn from.
    public let pool: [TaskItem]
    /// Whether `pool` is the evaluated split (then the evaluated item is excluded by index).
    public let isSameSplit: Bool
    /// Examples per item.
    public let count: Int
    /// The selection's seed.
    public let seed: UInt64

    public init(pool: [TaskItem], isSameSplit: Bool, count: Int, seed: UInt64) {
        self.pool = pool
        self.isSameSplit = isSameSplit
        self.count = count
        self.seed = seed
    }

    /// The examples for the evaluated item at `index` (its position in the pool when `isSameSplit`).
    /// An example with the item's id and question is skipped too, for data sets whose splits overlap.
    public func examples(for index: Int, item: TaskItem) -> [TaskItem] {
        guard count > 0 else { return [] }
        var generator = SeededRandom(seed: isSameSplit ? seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15 : seed)
        var order = Array(pool.indices)
        // Fisher-Yates with the suite's seeded generator: the stdlib's shuffle may change between releases.
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        // MMLU shows examples of the question's own subject (its dev split has five per subject).
        let subject = Self.subject(of: item)
        let sameSubject = subject != nil && pool.contains { Self.subject(of: $0) == subject }
        return order.lazy
            .filter { !(isSameSplit && $0 == index) && pool[$0] != item }
            .filter { !sameSubject || Self.subject(of: pool[$0]) == subject }
            .prefix(count).map { pool[$0] }
    }

    private static func subject(of item: TaskItem) -> String? {
        if case let .multipleChoice(question) = item { return question.subject }
        return nil
    }
}
