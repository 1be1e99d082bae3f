import Evaluation
import Foundation
import XCTest

/// Few-shot examples are seeded (same seed, same prompt) and never the evaluated item.
final class FewShotSelectorTests: XCTestCase {
    private let pool = (0..<20).map { TaskItem.generation(GenerationItem(id: "\($0)", question: "q\($0)", reference: "\($0)")) }

    func testSameSplitNeverIncludesTheItemAndIsSeeded() {
        let selector = FewShotSelector(pool: pool, isSameSplit: true, count: 5, seed: 42)
        for (index, item) in pool.enumerated() {
            let examples = selector.examples(for: index, item: item)
            XCTAssertEqual(examples.count, 5)
            XCTAssertFalse(examples.contains(item))
            XCTAssertEqual(Set(examples.map(\.id)).count, 5)
            XCTAssertEqual(FewShotSelector(pool: pool, isSameSplit: true, count: 5, seed: 42).examples(for: index, item: item), examples)
        }
        let other = FewShotSelector(pool: pool, isSameSplit: true, count: 5, seed: 43)
        XCTAssertNotEqual((0..<20).map { other.examples(for: $0, item: pool[$0]) }, (0..<20).map { selector.examples(for: $0, item: pool[$0]) })
    }

    func testOtherSplitGivesEveryItemTheSameExamplesOfItsSubject() {
        let dev = ["algebra", "biology"].flatMap { (subject: String) -> [TaskItem] in
            (0..<5).map { TaskItem.multipleChoice(MultipleChoiceItem(id: "\(subject)/\($0)", question: "d\($0)", choices: ["x", "y"], answer: 0, subject: subject)) }
        }
        let selector = FewShotSelector(pool: dev, isSameSplit: false, count: 3, seed: 1)
        let question = TaskItem.multipleChoice(MultipleChoiceItem(id: "t", question: "t", choices: ["x", "y"], answer: 1, subject: "biology"))
        let examples = selector.examples(for: 0, item: question)
        XCTAssertEqual(examples.count, 3)
        XCTAssertTrue(examples.allSatisfy { $0.id.hasPrefix("biology/") }, "\(examples.map(\.id))")
        XCTAssertEqual(selector.examples(for: 7, item: question), examples)
    }

    /// Through the runner: with one split, no prompt shows its own question.
    func testRunnerPromptsNeverShowTheirOwnQuestion() throws {
        let root = try TaskFixtures.packageRoot(self)
        try TaskFixtures.write((0..<6).map { TaskFixtures.gsm8k("question number \($0)?", rationale: "r", answer: "\($0)") },
                               at: TaskFixtures.gsm8kTest, under: root)
        let task = try TaskFixtures.task("""
        {"name": "g", "dataset": "gsm8k", "method": "generate", "few_shot": {"count": 3, "split": "test", "seed": 5},
         "template": "Q: {question}\\nA:", "answer_template": " {answer}", "generation": {"max_tokens": 1, "stop": ["\\n"]},
         "post_processing": "gsm8k", "metric": "accuracy"}
        """)
        let out = root.deletingLastPathComponent().appendingPathComponent("out")
        _ = try TaskRunner(model: BigramModel(trainingText: "x"), loader: DatasetLoader(packageRoot: root.path)).run(task, outputDirectory: out)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let records = try String(contentsOf: out.appendingPathComponent("g.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { try decoder.decode(InstanceRecord.self, from: Data($0.utf8)) }
        XCTAssertEqual(records.count, 6)
        for record in records {
            let own = "question number \(record.index)?"
            XCTAssertEqual(record.prompt.components(separatedBy: own).count, 2, record.prompt)
            XCTAssertTrue(record.prompt.hasSuffix("Q: \(own)\nA:"))
            XCTAssertEqual(record.prompt.components(separatedBy: "Q: ").count, 5)
        }
    }
}
