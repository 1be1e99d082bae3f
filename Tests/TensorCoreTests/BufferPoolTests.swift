@testable import TensorCore
import XCTest

/// The pool's size classes: nearby sizes share blocks, so loops whose shapes vary keep few idle.
final class BufferPoolTests: XCTestCase {
    func testSizeClasses() {
        // Eight classes a power of two: 300,000 and 320,000 bytes share 327,680 (10 × 32 KiB).
        XCTAssertEqual(BufferPool.roundedBytes(300_000), 327_680)
        XCTAssertEqual(BufferPool.roundedBytes(320_000), 327_680)
        XCTAssertEqual(BufferPool.roundedBytes(1 << 20), 1 << 20)
        XCTAssertEqual(BufferPool.roundedBytes((1 << 20) + 1), (1 << 20) + (1 << 17))
        XCTAssertEqual(BufferPool.roundedBytes(1000), 1024)
        XCTAssertEqual(BufferPool.roundedBytes(1), 64)
        for requested in stride(from: BufferPool.minimumPooledBytes - 100, to: 3_000_000_000, by: 9_999_991) {
            let rounded = BufferPool.roundedBytes(requested)
            XCTAssertGreaterThanOrEqual(rounded, requested)
            XCTAssertLessThanOrEqual(Double(rounded), Double(requested) * 1.125 + 64)
            if rounded >= BufferPool.minimumPooledBytes { XCTAssertEqual(rounded % 4096, 0, "\(requested)") }
        }
    }

    /// An evaluation-like loop, one activation of a different length each question (100 to 399
    /// rows of 2,304 floats, 0.9 to 3.7 MB): the idle set holds a block per size class touched (at
    /// most 8 an octave), not one per length (300 lengths, about 690 MB with page rounding).
    func testIdleBlocksStayFewWhenLengthsVary() {
        BufferPool.drain()
        defer { BufferPool.drain() }
        var state: UInt64 = 7
        for _ in 0..<600 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let rows = 100 + Int(state >> 33) % 300
            let t = Tensor(repeating: 1, shape: [rows, 2304])
            XCTAssertEqual(t.scalars.last, 1)
        }
        // Classes from 0.875 MiB to 4 MiB: 8 + 8 + 2 = 18 at most, each one block.
        XCTAssertGreaterThan(BufferPool.idleBytes, 0, "the activations went through the pool")
        XCTAssertLessThanOrEqual(BufferPool.idleBytes, 18 * (4 << 20))
    }
}
