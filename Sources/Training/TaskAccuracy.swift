import MiniCPMModel
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
        total[item.task, default: 0] += 1
        if item.isCorrect(reply: reply) { correct[item.task, default: 0] += 1 }
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
}
