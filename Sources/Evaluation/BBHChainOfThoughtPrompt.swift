import Foundation

/// The 3-shot chain-of-thought prompt of one BIG-Bench Hard task (`cot-prompts/<task>.txt` of
/// suzgunmirac/BIG-Bench-Hard), as the paper prompts with it.
///
/// A file is a canary line, a line `-----`, then the task's one-line description, a blank line, and
/// the examples, each `Q: <question>` then `A: Let's think step by step.` and the reasoning, ending
/// with `So the answer is <answer>.`, separated by blank lines. Evaluations that use these files
/// (e.g. lm-evaluation-harness's BBH CoT tasks) drop the first two lines and prefix the rest to
/// `Q: <input>\nA: Let's think step by step.`.
public struct BBHChainOfThoughtPrompt: Sendable, Equatable {
    /// One worked example.
    public struct Example: Sendable, Equatable {
        /// The text after `Q: ` (may span lines: the options follow the question).
        public var question: String
        /// The text after `A: `: the reasoning and the final sentence.
        public var rationale: String
        /// What follows the last "So the answer is " (its final period dropped); nil without one.
        public var answer: String?
    }

    /// The line before the first example (e.g. "Evaluate the result of a random Boolean expression.").
    public var taskDescription: String
    public var examples: [Example]
    /// Everything after the `-----` line, trimmed: the prefix to put before each question.
    public var text: String

    /// Parses the prompt file at `path` (at most `maximumBytes`).
    public init(path: String, maximumBytes: Int = GzipReader.defaultMaximumBytes) throws {
        let data = try GzipReader.contents(ofFile: path, maximumBytes: maximumBytes)
        guard let text = String(data: data, encoding: .utf8) else {
            throw EvaluationError.invalidFile(path: path, reason: "not UTF-8 text")
        }
        try self.init(text: text, path: path)
    }

    /// Parses a prompt file's `text`; `path` only names the source in errors.
    public init(text: String, path: String) throws {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var firstLine = 1
        // The canary header ends at the separator line; a file without one is read whole.
        if let separator = lines.firstIndex(of: "-----") {
            firstLine = separator + 2
            lines.removeFirst(separator + 1)
        }
        self.text = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let firstQuestion = lines.firstIndex(where: { $0.hasPrefix("Q:") }) else {
            throw EvaluationError.invalidFile(path: path, reason: "no example: no line starts with \"Q:\"")
        }
        taskDescription = lines[..<firstQuestion].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        examples = []
        var index = firstQuestion
        while index < lines.count {
            let questionLine = firstLine + index
            // The question runs until the "A:" line.
            var question = [String(lines[index].dropFirst(2).drop(while: { $0 == " " }))]
            index += 1
            while index < lines.count && !lines[index].hasPrefix("A:") {
                if lines[index].hasPrefix("Q:") { break }
                question.append(lines[index])
                index += 1
            }
            guard index < lines.count, lines[index].hasPrefix("A:") else {
                throw EvaluationError.invalidFile(path: path, reason: "line \(questionLine): question without an \"A:\" line")
            }
            // The answer runs until the next "Q:" line.
            var rationale = [String(lines[index].dropFirst(2).drop(while: { $0 == " " }))]
            index += 1
            while index < lines.count && !lines[index].hasPrefix("Q:") {
                rationale.append(lines[index])
                index += 1
            }
            let reasoning = rationale.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            examples.append(Example(question: question.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines),
                                    rationale: reasoning, answer: Self.finalAnswer(reasoning)))
        }
    }

    /// The text after the last "So the answer is ", less a final period: BBH CoT's answer convention.
    public static func finalAnswer(_ text: String) -> String? {
        guard let marker = text.range(of: "So the answer is ", options: .backwards) else { return nil }
        var answer = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        if answer.hasSuffix(".") { answer.removeLast() }
        return answer.isEmpty ? nil : answer
    }
}
