import Foundation
import XCTest
import Schedulers

final class BatchSizeTests: XCTestCase {
    /// Forces the protocol's default `tokensConsumed(beforeStep:)`.
    struct Summed<Base: BatchSizeSchedule>: BatchSizeSchedule {
        var base: Base
        func batchSize(atStep step: Int) -> Int { base.batchSize(atStep: step) }
    }

    func testConstant() {
        let batch = ConstantBatchSize(tokens: 4_000_000)
        XCTAssertEqual(batch.batchSize(atStep: 0), 4_000_000)
        XCTAssertEqual(batch.batchSize(atStep: 99_999), 4_000_000)
        XCTAssertEqual(batch.tokensConsumed(beforeStep: 10), 40_000_000)
        XCTAssertEqual(Summed(base: batch).tokensConsumed(beforeStep: 10), 40_000_000)
    }

    func testTwoMillionToFourMillion() {
        let batch = SteppedBatchSize(initialTokens: 2_000_000, changes: [.init(step: 100, tokens: 4_000_000)])
        XCTAssertEqual(batch.batchSize(atStep: 0), 2_000_000)
        XCTAssertEqual(batch.batchSize(atStep: 99), 2_000_000)
        XCTAssertEqual(batch.batchSize(atStep: 100), 4_000_000)
        XCTAssertEqual(batch.batchSize(atStep: 10_000), 4_000_000)
        XCTAssertEqual(batch.tokensConsumed(beforeStep: 100), 200_000_000)
        XCTAssertEqual(batch.tokensConsumed(beforeStep: 150), 400_000_000)
    }

    func testClosedFormTokenCountMatchesTheSum() {
        let batch = SteppedBatchSize(initialTokens: 3, changes: [.init(step: 5, tokens: 7), .init(step: 9, tokens: 2)])
        for step in 0...20 {
            XCTAssertEqual(batch.tokensConsumed(beforeStep: step), Summed(base: batch).tokensConsumed(beforeStep: step))
        }
        XCTAssertEqual(batch.tokensConsumed(beforeStep: -4), 0)
    }

    func testBatchSizeLawAndItsInverse() {
        let law = BatchSizeLaw.miniCPM
        XCTAssertEqual(law.coefficient, 1.21e9)
        XCTAssertEqual(law.exponent, 6.24)
        assertClose(law.optimalBatchSize(forLoss: 2.5), 1.21e9 / pow(2.5, 6.24))
        assertClose(law.optimalBatchSize(forLoss: 2.5), 3_977_770.44, relative: 1e-8)
        assertClose(law.loss(forBatchSize: 4e6), 2.497768, relative: 1e-6)
        for loss in [1.8, 2.2, 3.0, 4.5] {
            assertClose(law.loss(forBatchSize: law.optimalBatchSize(forLoss: loss)), loss)
        }
        XCTAssertGreaterThan(law.optimalBatchSize(forLoss: 2.0), law.optimalBatchSize(forLoss: 3.0),
                             "lower loss wants a larger batch")
    }
}
