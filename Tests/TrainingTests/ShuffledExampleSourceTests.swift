import Training
import XCTest

final class ShuffledExampleSourceTests: XCTestCase {
    /// Each epoch hands out every example once, in a seeded order that changes between epochs.
    func testEpochsArePermutationsInSeededOrder() throws {
        var source = try ShuffledExampleSource(Array(0..<10), seed: 7)
        let first = (0..<10).map { _ in source.next() }
        let second = (0..<10).map { _ in source.next() }
        XCTAssertEqual(first.sorted(), Array(0..<10))
        XCTAssertEqual(second.sorted(), Array(0..<10))
        XCTAssertNotEqual(first, second)
        XCTAssertNotEqual(first, Array(0..<10))
        XCTAssertEqual(source.epoch, 1)
        var again = try ShuffledExampleSource(Array(0..<10), seed: 7)
        XCTAssertEqual((0..<20).map { _ in again.next() }, first + second)
        var other = try ShuffledExampleSource(Array(0..<10), seed: 8)
        XCTAssertNotEqual((0..<10).map { _ in other.next() }, first)
    }

    /// A source restored from a saved position (mid-epoch, at an epoch's end, after Codable round
    /// trip) continues with exactly the examples the uninterrupted source draws.
    func testRestoreContinuesExactly() throws {
        for stop in [0, 3, 7, 10, 14, 20, 23] {
            var original = try ShuffledExampleSource(Array(0..<7).map { "e\($0)" }, seed: 42)
            for _ in 0..<stop { _ = original.next() }
            let saved = try JSONDecoder().decode(SourcePosition.self, from: JSONEncoder().encode(original.position))
            XCTAssertEqual(saved.drawn, stop)
            let expected = (0..<16).map { _ in original.next() }

            var resumed = try ShuffledExampleSource(Array(0..<7).map { "e\($0)" }, seed: 999)
            _ = resumed.next()
            try resumed.restore(saved)
            XCTAssertEqual((0..<16).map { _ in resumed.next() }, expected, "resumed after \(stop)")
            XCTAssertEqual(resumed.position, original.position)
        }
    }

    func testRefusesPositionsOfOtherSources() throws {
        var source = try ShuffledExampleSource([1, 2, 3], seed: 1)
        let longer = try ShuffledExampleSource([1, 2, 3, 4], seed: 1)
        XCTAssertThrowsError(try source.restore(longer.position))
        XCTAssertThrowsError(try source.restore(SourcePosition(generatorState: [1, 2, 3, 4], drawn: 0)))
        XCTAssertThrowsError(try ShuffledExampleSource([Int](), seed: 1))
    }
}
