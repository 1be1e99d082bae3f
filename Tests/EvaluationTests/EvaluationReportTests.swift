import Evaluation
import Foundation
import XCTest

/// The paper's averages on hand-made results, and the written report.
final class EvaluationReportTests: XCTestCase {
    private func result(_ task: String, _ score: Double?, generative: Bool = false, chinese: Bool = false) -> TaskResult {
        TaskResult(task: task, dataset: task, split: "test", count: 10, shots: 0, metrics: score.map { [.init(name: "acc", value: $0)] } ?? [],
                   score: score, scoreMetric: "acc", generative: generative, chinese: chinese,
                   notes: score == nil ? ["not scored: the code sandbox is unavailable"] : [])
    }

    func testAverages() throws {
        let report = EvaluationReport(model: "m", results: [
            result("mmlu", 0.5), result("ceval", 0.25, chinese: true), result("cmmlu", 0.75, chinese: true),
            result("gsm8k", 0.1, generative: true), result("humaneval", nil, generative: true), result("math", 0.3, generative: true),
        ])
        // Avg: (0.5 + 0.25 + 0.75 + 0.1 + 0.3) / 5 (humaneval has no score); Avg_gen: (0.1 + 0.3) / 2;
        // Avg_chn: (0.25 + 0.75) / 2; Avg_en: (0.5 + 0.1 + 0.3) / 3.
        XCTAssertEqual(try XCTUnwrap(report.average), 1.9 / 5, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(report.generationAverage), 0.2, accuracy: 1e-12)
        XCTAssertEqual(report.chineseAverage, 0.5)
        XCTAssertEqual(try XCTUnwrap(report.englishAverage), 0.3, accuracy: 1e-12)
        XCTAssertNil(EvaluationReport(model: "m", results: [result("mmlu", 0.5)]).chineseAverage)

        let markdown = report.markdown
        XCTAssertTrue(markdown.contains("| mmlu | acc | 50.00 | 10 |"), markdown)
        XCTAssertTrue(markdown.contains("| humaneval | acc | n/a | 10 |"), markdown)
        XCTAssertTrue(markdown.contains("| **Avg** | all tasks | 38.00 | 5 |"), markdown)
        XCTAssertTrue(markdown.contains("| **Avg_gen** | generation tasks | 20.00 | 2 |"), markdown)
        XCTAssertTrue(markdown.contains("| **Avg_chn** | Chinese tasks | 50.00 | 2 |"), markdown)
        XCTAssertTrue(markdown.contains("- humaneval: not scored"), markdown)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        try report.write(to: directory)
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("report.md"), encoding: .utf8), markdown)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as? [String: Any]
        let averages = try XCTUnwrap(json?["averages"] as? [String: Double])
        XCTAssertEqual(averages["Avg_chn"], 0.5)
        XCTAssertEqual((json?["results"] as? [Any])?.count, 6)
    }
}
