import Evaluation
import XCTest

final class EvaluationErrorTests: XCTestCase {
    func testMessagesNameWhatIsAtFault() {
        XCTAssertEqual(EvaluationError.invalidFile(path: "data/arc.jsonl", reason: "line 3: not JSON").description,
                       "data/arc.jsonl: line 3: not JSON")
        XCTAssertEqual(EvaluationError.invalidSetting(task: "gsm8k", field: "shots", reason: "-1 is negative").description,
                       "task gsm8k: shots: -1 is negative")
    }
}
