import Training
import XCTest

final class SyntheticTaskSplitTests: XCTestCase {
    /// No prompt, and no verse, is on both sides; the split is seeded; every task has held-out items.
    func testHeldOutItemsAreDisjointFromTraining() throws {
        let kjv = KJVSample.unwrapped + "\n" + KJVSample.wrapped
        let split = try SyntheticTaskSplit(kjv: kjv, seed: 11, heldOutFraction: 0.3,
                                           arithmetic: ArithmeticTask(operands: 0...15),
                                           continuation: VerseContinuationTask(promptWordCount: 4, answerWordCount: 2))
        let trainingPrompts = Set(split.training.map(\.prompt))
        XCTAssertTrue(split.heldOut.allSatisfy { !trainingPrompts.contains($0.prompt) })
        XCTAssertTrue(Set(split.heldOut.map(\.prompt)).isDisjoint(with: trainingPrompts))
        for task in SyntheticTask.allCases {
            XCTAssertTrue(split.heldOut.contains { $0.task == task }, "\(task) held out")
            XCTAssertTrue(split.training.contains { $0.task == task }, "\(task) in training")
        }
        // Verses: a held-out verse's text appears in no training prompt of either verse task.
        let heldOutVerseStarts = split.heldOut.filter { $0.task == .verseBook }
            .map { $0.prompt.dropFirst("Which book of the Bible is this verse from? ".count).prefix(25) }
        for start in heldOutVerseStarts {
            XCTAssertFalse(split.training.contains { $0.prompt.contains(start) }, String(start))
        }
        let arithmeticCount = split.training.filter { $0.task == .arithmetic }.count + split.heldOut.filter { $0.task == .arithmetic }.count
        XCTAssertEqual(arithmeticCount, 16 * 16 + 16 * 17 / 2)

        let again = try SyntheticTaskSplit(kjv: kjv, seed: 11, heldOutFraction: 0.3,
                                           arithmetic: ArithmeticTask(operands: 0...15),
                                           continuation: VerseContinuationTask(promptWordCount: 4, answerWordCount: 2))
        XCTAssertEqual(again, split)
        let other = try SyntheticTaskSplit(kjv: kjv, seed: 12, heldOutFraction: 0.3,
                                           arithmetic: ArithmeticTask(operands: 0...15),
                                           continuation: VerseContinuationTask(promptWordCount: 4, answerWordCount: 2))
        XCTAssertNotEqual(Set(other.heldOut.map(\.prompt)), Set(split.heldOut.map(\.prompt)))
    }

    func testArithmeticOnlyAndEmptyText() throws {
        let split = try SyntheticTaskSplit(kjv: nil, seed: 1, heldOutFraction: 0.5, arithmetic: ArithmeticTask(operands: 0...3))
        XCTAssertEqual(split.training.count + split.heldOut.count, 16 + 10)
        XCTAssertEqual(split.heldOut.count, 13)
        XCTAssertThrowsError(try SyntheticTaskSplit(kjv: "no verses here", seed: 1))
    }
}
