import Evaluation
import XCTest

final class ExactMatchTests: XCTestCase {
    func testNormalisations() {
        XCTAssertTrue(ExactMatch().matches(" Paris\n", "Paris"))
        XCTAssertFalse(ExactMatch().matches("paris", "Paris"))
        XCTAssertTrue(ExactMatch(ignoringCase: true).matches("paris", "Paris"))
        XCTAssertFalse(ExactMatch(ignoringCase: true).matches("Paris.", "Paris"))
        XCTAssertTrue(ExactMatch(ignoringCase: true, ignoringPunctuation: true).matches("Paris!", "paris"))
        XCTAssertEqual(ExactMatch().score(predictions: ["a", "b", "c", "d"], references: ["a", "x", "c", "y"]), 0.5)
        XCTAssertEqual(ExactMatch().score(predictions: [], references: []), 0)
    }
}
