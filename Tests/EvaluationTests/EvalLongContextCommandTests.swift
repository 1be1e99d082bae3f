import Evaluation
import Foundation
import TestSupport
import XCTest

/// `minicpm eval` with the perplexity and long-context task files on a tiny random model: the
/// overriding options, the tables, the report, and the errors naming the option's value.
final class EvalLongContextCommandTests: XCTestCase {
    func testPasskeyAndPerplexityFromTheCommandLine() throws {
        let root = try makeTemporaryDirectory(prefix: "eval-long")
        let model = try EvalCommandTests.tinyModel(in: root)
        let out = root.appendingPathComponent("out")
        // The tiny model's context is the configuration's default 2048 tokens: 4096 is skipped.
        let arguments = ["eval", "--model", model.path, "--tasks", "passkey,text_perplexity", "--tasks-dir", TaskSpecificationTests.tasksDirectory.path,
                         "--context-length", "400,4096", "--depths", "0,1", "--items-per-depth", "1", "--seed", "5",
                         "--out", out.path, "--threads", "1"]
        let run = try CommandLineTool.run(arguments)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("| passkey | accuracy (accuracy@400 "), run.output)
        XCTAssertTrue(run.output.contains("| 4096 | too long | too long | n/a |"), run.output)
        XCTAssertTrue(run.output.contains("| text_perplexity | bits_per_byte (token_perplexity "), run.output)
        XCTAssertTrue(run.output.contains("| **Avg** | all tasks | n/a | 0 |"), run.output)
        XCTAssertTrue(run.output.contains("context length 4096: 2 items skipped, too long for the model's context of 2048 tokens"), run.output)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("passkey: correct answers by context length (tokens) and needle depth"), report)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
        let results = try XCTUnwrap(json?["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["counts_in_averages"] as? Bool }, [false, false])
        XCTAssertEqual((results[0]["cells"] as? [[String: Any]])?.count, 4)
        let log = try String(contentsOf: out.appendingPathComponent("passkey.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 2)
        XCTAssertTrue(log.contains(#""id":"passkey-L400-D0-0""#), log.prefix(200) + "")
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("text_perplexity.jsonl"), encoding: .utf8).split(separator: "\n").count, 1)

        // Resumed from the logs: the same report.
        let rerun = try CommandLineTool.run(arguments)
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8), report)
    }

    func testBadOverridesAreNamed() throws {
        let tasks = TaskSpecificationTests.tasksDirectory.path
        let negative = try CommandLineTool.run(["eval", "--model", "/nonexistent", "--tasks", "passkey", "--tasks-dir", tasks,
                                                "--context-length", "512,-5", "--out", "/tmp/unused"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.output.contains("synthetic.context_lengths: -5 must be >= 1"), negative.output)
        let word = try CommandLineTool.run(["eval", "--model", "/nonexistent", "--tasks", "passkey", "--tasks-dir", tasks,
                                            "--context-length", "4k", "--out", "/tmp/unused"])
        XCTAssertNotEqual(word.status, 0)
        XCTAssertTrue(word.output.contains("--context-length: \"4k\" is not a whole number of tokens."), word.output)
        let other = try CommandLineTool.run(["eval", "--model", "/nonexistent", "--tasks", "arc_easy", "--tasks-dir", tasks,
                                             "--depths", "0.5", "--out", "/tmp/unused"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.output.contains("apply to long-context tasks"), other.output)
    }
}
