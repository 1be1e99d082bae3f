import Evaluation
import XCTest

/// Expected values from the paper's numpy estimator and from `1 - comb(n-c, k) / comb(n, k)`.
final class PassAtKTests: XCTestCase {
    func testAgainstTheBinomialFormula() throws {
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 5, correctCount: 2, k: 1), 0.4, accuracy: 1e-12)
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 5, correctCount: 2, k: 2), 0.7, accuracy: 1e-12)    // 1 - 3/10
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 10, correctCount: 3, k: 5), 1 - 21.0 / 252, accuracy: 1e-12)
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 200, correctCount: 13, k: 10), 0.4975511147306061, accuracy: 1e-12)
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 200, correctCount: 13, k: 100), 0.9999194971988055, accuracy: 1e-12)
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 200, correctCount: 13, k: 1), 0.065, accuracy: 1e-12)
    }

    func testEdges() throws {
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 4, correctCount: 1, k: 4), 1, "fewer failures than k")
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 200, correctCount: 0, k: 10), 0)
        XCTAssertEqual(try PassAtK.estimate(sampleCount: 3, correctCount: 3, k: 1), 1)
        XCTAssertThrowsError(try PassAtK.estimate(sampleCount: 3, correctCount: 4, k: 1))
        XCTAssertThrowsError(try PassAtK.estimate(sampleCount: 3, correctCount: 1, k: 4))
        XCTAssertThrowsError(try PassAtK.estimate(sampleCount: 3, correctCount: 1, k: 0))
        XCTAssertEqual(try PassAtK.mean([(5, 2), (5, 0)], k: 1), 0.2, accuracy: 1e-12)
    }
}
