import MiniCPMModel
import TensorCore
import Tokenizer

/// How many held-out synthetic questions a model answers correctly, per task.
///
/// A reply is the model's greedy continuation of the item's prompt rendered through the chat
/// template, up to a few tokens and stopping at the template's stop ids (EOS); it is graded by
/// ``TaskItem/isCorrect(reply:)``.
public struct TaskAccuracy: Sendable, Hashable {
    /// Correct replies per task.
    public private(set) var correct: [SyntheticTask: Int] = [:]
    /// Graded replies per task.
    public private(set) var total: [SyntheticTask: Int] = [:]

    public init() {}

    /// Grades one reply.
    public mutating func record(_ item: TaskItem, reply: String) {
        record(item, isCorrect: item.isCorrect(reply: reply))
    }

    /// Counts one graded item.
    public mutating func record(_ item: TaskItem, isCorrect: Bool) {
        total[item.task, default: 0] += 1
        if isCorrect { correct[item.task, default: 0] += 1 }
    }

    /// The share of `task`'s replies that were right, or `nil` when none was graded.
    public func accuracy(of task: SyntheticTask) -> Double? {
        guard let n = total[task], n > 0 else { return nil }
        return Double(correct[task] ?? 0) / Double(n)
    }

    /// The share of all replies that were right, or `nil` when none was graded.
    public var overallAccuracy: Double? {
        let n = total.values.reduce(0, +)
        return n > 0 ? Double(correct.values.reduce(0, +)) / Double(n) : nil
    }

    /// Grades `reply(item)` for every item.
    public static func evaluate(_ items: [TaskItem], reply: (TaskItem) throws -> String) rethrows -> TaskAccuracy {
        var accuracy = TaskAccuracy()
        for item in items { accuracy.record(item, reply: try reply(item)) }
        return accuracy
    }

    /// Grades `model`'s greedy replies of at most `maxTokens` tokens.
    public static func evaluate(_ items: [TaskItem], model: MiniCPM, template: some ChatTemplate,
                                tokenizer: some TextTokenizer, maxTokens: Int = 12) throws -> TaskAccuracy {
        let stops = template.stopTokenIDs(tokenizer: tokenizer)
        let parameters = GenerateParameters(maxTokens: maxTokens, temperature: 0, stopTokenIDs: stops.isEmpty ? nil : stops)
        return try evaluate(items) { item in
            let prompt = try template.encode([.user(item.prompt)], addGenerationPrompt: true, tokenizer: tokenizer)
            let summary = try model.generate(promptTokens: prompt, parameters: parameters)
            return try tokenizer.decode(summary.tokens)
        }
    }

    /// Grades `model` by likelihood, as UltraEval and lm-evaluation-harness score multiple choice:
    /// an item counts as right when the model gives its answer a higher log-probability (summed
    /// over the reply's tokens and its EOS, after the prompt rendered as a user turn) than the
    /// item's plausible wrong answer. It measures what a model prefers even before it produces
    /// the exact answer greedily; chance is 50 %.
    public static func evaluateByLikelihood(_ items: [TaskItem], model: MiniCPM, template: some ChatTemplate,
                                            tokenizer: some TextTokenizer, batchSize: Int = 16) throws -> TaskAccuracy {
        var accuracy = TaskAccuracy()
        for start in stride(from: 0, to: items.count, by: max(1, batchSize)) {
            let batch = Array(items[start..<min(start + max(1, batchSize), items.count)])
            let pairs = try batch.map { try $0.preferencePair(template: template, tokenizer: tokenizer) }
            let sequences = pairs.map { ResponseLogProbabilities.sequence(prompt: $0.prompt, response: $0.chosen) }
                + pairs.map { ResponseLogProbabilities.sequence(prompt: $0.prompt, response: $0.rejected) }
            let (inputs, targets) = ResponseLogProbabilities.padded(sequences, paddingID: tokenizer.eosID ?? 0)
            let sums = try withoutGradients {
                ResponseLogProbabilities.sums(logits: try model.logits(forBatch: inputs), targets: targets).scalars
            }
            for (i, item) in batch.enumerated() { accuracy.record(item, isCorrect: sums[i] > sums[batch.count + i]) }
        }
        return accuracy
    }
}
