import Evaluation
import Foundation
import XCTest

/// The committed `tasks/cmmlu.json` and `tasks/ceval.json` run end to end on the committed samples
/// in their released formats: CMMLU's and C-Eval's own Chinese templates, few-shot examples from
/// the subject's `dev` file, and letter continuations scored by perplexity.
final class ChineseTaskFileTests: XCTestCase {
    private func run(_ name: String, shots: Int) throws -> (TaskResult, [InstanceRecord]) {
        let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("chinese-tasks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let runner = TaskRunner(model: BigramModel(trainingText: "答案是： A\n答案： B\n"),
                                loader: DatasetLoader(packageRoot: fixtures.path, dataRoot: fixtures.path))
        let task = try TaskSpecification.load(named: name, in: TaskSpecificationTests.tasksDirectory)
        let result = try runner.run(task, shots: shots, outputDirectory: out)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let records = try String(contentsOf: out.appendingPathComponent("\(name).jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try decoder.decode(InstanceRecord.self, from: Data($0.utf8)) }
        return (result, records)
    }

    func testCMMLUTaskRunsOnTheSample() throws {
        let (result, records) = try run("cmmlu", shots: 1)
        XCTAssertEqual(result.count, 3)
        XCTAssertEqual(records.count, 3)
        for record in records {
            XCTAssertTrue(record.prompt.hasPrefix("以下是关于农学的单项选择题"), record.prompt)
            XCTAssertTrue(record.prompt.hasSuffix("答案是："), record.prompt)
            XCTAssertTrue(record.prompt.contains("\nA. "), record.prompt)
            XCTAssertEqual(record.optionLogProbabilities?.count, 4)
        }
        XCTAssertNotNil(result.metric("acc"))
        XCTAssertNotNil(result.metric("acc_norm"))
    }

    func testCEvalTaskRunsOnTheValidationSample() throws {
        let (result, records) = try run("ceval", shots: 1)
        XCTAssertEqual(result.count, 3)
        for record in records {
            XCTAssertTrue(record.prompt.hasPrefix("以下是中国关于计算机网络考试的单项选择题"), record.prompt)
            XCTAssertTrue(record.prompt.hasSuffix("答案："), record.prompt)
        }
    }
}

/// The subject names the Chinese prompts show, from each data set's own list.
final class ChineseSubjectNameTests: XCTestCase {
    func testEachDataSetUsesItsOwnList() {
        XCTAssertEqual(ChineseSubjectName.of("agronomy", in: .cmmlu), "农学")
        XCTAssertEqual(ChineseSubjectName.of("accountant", in: .ceval), "注册会计师")
        XCTAssertEqual(ChineseSubjectName.of("high_school_physics", in: .ceval), "高中物理")
        XCTAssertEqual(ChineseSubjectName.of("high_school_physics", in: .cmmlu), "高中物理学")
        XCTAssertEqual(ChineseSubjectName.of("mao_zedong_thought", in: .ceval), "毛泽东思想和中国特色社会主义理论体系概论")
        XCTAssertNil(ChineseSubjectName.of("agronomy", in: .ceval))
        XCTAssertEqual(ChineseSubjectName.of("agronomy"), "农学")
        XCTAssertNil(ChineseSubjectName.of("abstract_algebra"))
    }
}
