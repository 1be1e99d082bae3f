/// One training example for next-token prediction: `targets[t]` is the id expected after
/// `inputs[0...t]`, or ``TrainingSequence/ignoredTarget`` where the position does not count
/// (padding, or a prompt in supervised fine-tuning).
public struct TrainingSequence: Sendable, Hashable, Codable {
    /// The target of a position that takes no part in the loss (PyTorch's `ignore_index`).
    public static let ignoredTarget = -100

    public var inputs: [Int]
    public var targets: [Int]

    /// An example; `inputs` and `targets` have the same length.
    public init(inputs: [Int], targets: [Int]) {
        precondition(inputs.count == targets.count,
                     "TrainingSequence: \(inputs.count) inputs but \(targets.count) targets")
        self.inputs = inputs
        self.targets = targets
    }

    /// The usual language-modelling example cut from a run of `n + 1` tokens: inputs are the first
    /// `n`, targets the last `n`.
    public init(window tokens: some Collection<Int>) {
        let all = Array(tokens)
        precondition(all.count >= 2, "TrainingSequence: a window needs at least 2 tokens, got \(all.count)")
        self.init(inputs: Array(all.dropLast()), targets: Array(all.dropFirst()))
    }

    /// The number of positions that count in the loss.
    public var scoredTokenCount: Int { targets.reduce(0) { $0 + ($1 == Self.ignoredTarget ? 0 : 1) } }
}
