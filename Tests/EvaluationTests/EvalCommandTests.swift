import Evaluation
import Foundation
import MiniCPMModel
import TestSupport
import Tokenizer
import XCTest

/// `minicpm eval` on a tiny random model, the committed task files and the committed fixture data
/// (`Fixtures/eval-data`, passed with `--data`): the table, the logs, the reports, and a rerun that
/// resumes from the logs.
final class EvalCommandTests: XCTestCase {
    /// A random float checkpoint with a SentencePiece tokenizer trained on a few sentences (also used by `EvalLongContextCommandTests`).
    static func tinyModel(in root: URL) throws -> URL {
        let directory = root.appendingPathComponent("model")
        var c = MiniCPMConfiguration(vocabularySize: 320, hiddenSize: 32, intermediateSize: 64, layerCount: 1,
                                     attentionHeadCount: 2, keyValueHeadCount: 1)
        c.tieWordEmbeddings = false
        try MiniCPM(configuration: c, seed: 3).save(to: directory)
        let sentences = ["Question: which gas do plants take in? Answer: carbon dioxide.",
                         "The answer is 18 dollars because 9 times 2 is 18.",
                         "Photosynthesis is the foundation of most food webs."]
        var options = TokenizerTrainingOptions(vocabularySize: 300)
        options.addDummyPrefix = false
        let tokenizer = try TokenizerTrainer.train(sentences: Array(repeating: sentences, count: 30).flatMap { $0 }, options: options)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.model"))
        return directory
    }

    func testEvalPrintsTheTableAndResumes() throws {
        let root = try makeTemporaryDirectory(prefix: "eval-cli")
        let model = try Self.tinyModel(in: root)
        let out = root.appendingPathComponent("out")
        let data = EvaluationFixtures.path("eval-data")
        let arguments = ["eval", "--model", model.path, "--tasks", "arc_easy,gsm8k", "--tasks-dir", TaskSpecificationTests.tasksDirectory.path,
                         "--data", data, "--limit", "2", "--shots", "1", "--out", out.path, "--threads", "1"]
        let run = try CommandLineTool.run(arguments)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("| arc_easy | max(acc_norm, acc_gen) ("), run.output)
        XCTAssertTrue(run.output.contains("| gsm8k | accuracy |"), run.output)
        XCTAssertTrue(run.output.contains("| **Avg_gen** | generation tasks |"), run.output)
        XCTAssertTrue(run.output.contains("arc_easy: 2/2"), run.output)
        for task in ["arc_easy", "gsm8k"] {
            let log = try String(contentsOf: out.appendingPathComponent("\(task).jsonl"), encoding: .utf8)
            XCTAssertEqual(log.split(separator: "\n").count, 2, task)
        }
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("| arc_easy |") && report.contains("| 2 |"), report)
        let json = try Data(contentsOf: out.appendingPathComponent("report.json"))
        XCTAssertEqual((try JSONSerialization.jsonObject(with: json) as? [String: Any])?["model"] as? String, model.path)

        // The rerun finds every instance logged: the same report, and it starts at 2/2.
        let rerun = try CommandLineTool.run(arguments)
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8), report)
        XCTAssertTrue(rerun.output.contains("gsm8k: 2/2 (0.00 items/s"), rerun.output)
    }

    func testUnknownTaskNamesTheFile() throws {
        let run = try CommandLineTool.run(["eval", "--model", "/nonexistent", "--tasks", "no_such_task",
                                           "--tasks-dir", TaskSpecificationTests.tasksDirectory.path, "--out", "/tmp/unused"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.output.contains("no_such_task.json"), run.output)
    }
}
