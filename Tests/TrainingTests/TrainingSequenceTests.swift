import Training
import XCTest

final class TrainingSequenceTests: XCTestCase {
    func testWindowShiftsTargetsByOne() {
        let s = TrainingSequence(window: [5, 6, 7, 8])
        XCTAssertEqual(s.inputs, [5, 6, 7])
        XCTAssertEqual(s.targets, [6, 7, 8])
        XCTAssertEqual(s.scoredTokenCount, 3)
        XCTAssertEqual(TrainingSequence(inputs: [1, 2], targets: [-100, 3]).scoredTokenCount, 1)
    }
}
