import Evaluation
import Foundation
import XCTest

/// Task files: the committed `tasks/` all load, and a wrong file or field is named in the error.
final class TaskSpecificationTests: XCTestCase {
    /// The repository's `tasks/` folder.
    static var tasksDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tasks")
    }

    func testCommittedTaskFilesLoad() throws {
        let names = ["arc_easy", "arc_challenge", "hellaswag", "mmlu", "piqa", "winogrande", "gsm8k", "math", "math500", "humaneval", "mbpp",
                     "cmmlu", "ceval", "bbh"]
        for name in names {
            let task = try TaskSpecification.load(named: name, in: Self.tasksDirectory)
            XCTAssertEqual(task.name, name)
        }
        let mmlu = try TaskSpecification.load(named: "mmlu", in: Self.tasksDirectory)
        XCTAssertEqual(mmlu.fewShot, .init(count: 5, split: .dev, seed: 1234))
        XCTAssertNotNil(mmlu.choiceByGeneration)
        let gsm8k = try TaskSpecification.load(named: "gsm8k", in: Self.tasksDirectory)
        XCTAssertEqual(gsm8k.method, .generate)
        XCTAssertEqual(gsm8k.postProcessing, .gsm8k)
        XCTAssertTrue(gsm8k.isGenerative)
        XCTAssertFalse(try TaskSpecification.load(named: "hellaswag", in: Self.tasksDirectory).isGenerative)
        // The paper's Avg_chn counts CMMLU and C-Eval; BBH counts in Avg_gen.
        XCTAssertTrue(try TaskSpecification.load(named: "cmmlu", in: Self.tasksDirectory).isChinese)
        XCTAssertTrue(try TaskSpecification.load(named: "ceval", in: Self.tasksDirectory).isChinese)
        XCTAssertTrue(try TaskSpecification.load(named: "bbh", in: Self.tasksDirectory).isGenerative)
        XCTAssertFalse(try TaskSpecification.load(named: "bbh", in: Self.tasksDirectory).isChinese)
    }

    private func setting(_ json: String) -> (field: String, reason: String)? {
        do {
            _ = try TaskFixtures.task(json)
            XCTFail("accepted \(json)")
        } catch let .invalidSetting(task, field, reason) {
            XCTAssertTrue(task.contains("test.json"), task)
            return (field, reason)
        } catch {
            XCTFail("unexpected \(error)")
        }
        return nil
    }

    private let ppl = #"{"name": "t", "dataset": "arc_easy", "method": "ppl", "template": "{question}", "answer_template": " {choice}", "metric": "acc"}"#

    func testValidationNamesTheField() {
        XCTAssertNoThrow(try TaskFixtures.task(ppl))
        XCTAssertEqual(setting(ppl.replacingOccurrences(of: "\"acc\"", with: "\"f1\""))?.field, "metric")
        XCTAssertEqual(setting(ppl.replacingOccurrences(of: "\" {choice}\"", with: "\" x\""))?.field, "answer_template")
        XCTAssertEqual(setting(ppl.replacingOccurrences(of: "\"method\": \"ppl\"", with: "\"method\": \"ppl\", \"split\": \"dev\""))?.field, "split")
        XCTAssertEqual(setting(ppl.replacingOccurrences(of: "\"dataset\": \"arc_easy\"", with: "\"dataset\": \"gsm8k\""))?.field, "method")
        XCTAssertEqual(setting(ppl.replacingOccurrences(of: "\"method\": \"ppl\"", with: "\"method\": \"ppl\", \"few_shot\": {\"count\": -1, \"split\": \"test\", \"seed\": 1}"))?.field, "few_shot.count")
        let generate = #"{"name": "g", "dataset": "gsm8k", "method": "generate", "template": "{question}", "answer_template": " {answer}", "metric": "accuracy", "post_processing": "gsm8k"}"#
        XCTAssertEqual(setting(generate)?.field, "generation")
        let code = #"{"name": "c", "dataset": "mbpp", "method": "code", "template": "{prompt}", "answer_template": "{solution}", "generation": {"max_tokens": 8}, "code": {"samples": 1, "k": [5]}, "metric": "pass@5"}"#
        XCTAssertEqual(setting(code)?.field, "code.k")
    }

    func testDecodingErrorsNameFileAndField() {
        for (json, fragment) in [(#"{"name": "t"}"#, "method"), (#"{"name": "t", "dataset": "nope"}"#, "dataset"), ("{", "not JSON"), (#"{"name": "t", "dataset": "gsm8k", "method": "guess"}"#, "method")] {
            do {
                _ = try TaskFixtures.task(json)
                XCTFail("accepted \(json)")
            } catch let .invalidFile(path, reason) {
                XCTAssertEqual(path, "test.json")
                XCTAssertTrue(reason.contains(fragment), reason)
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
        XCTAssertThrowsError(try TaskSpecification.load(named: "no_such_task", in: Self.tasksDirectory)) { error in
            XCTAssertTrue("\(error)".contains("no_such_task.json"), "\(error)")
        }
    }
}
