import Foundation
import Training
import XCTest

final class PackedSequenceSamplerTests: XCTestCase {
    func testWindowsAreConsecutiveTokensAtEveryOffsetOfTheSlice() throws {
        let file = try countingFile(tokens: 40, in: try temporaryFolder(self))
        let slice = try TokenSlice(file: file, range: 10..<30)
        var sampler = try PackedSequenceSampler(slice: slice, sequenceLength: 4, seed: 1)
        var starts = Set<Int>()
        for _ in 0..<600 {
            let example = try sampler.next()
            let start = example.inputs[0]
            XCTAssertEqual(example.inputs, Array(start..<(start + 4)))
            XCTAssertEqual(example.targets, Array((start + 1)...(start + 4)))
            starts.insert(start)
        }
        XCTAssertEqual(starts, Set(10...25), "every offset whose window of 5 fits in 10..<30, and no other")
        XCTAssertEqual(sampler.position.drawn, 600)
    }

    func testTheSameSeedGivesTheSameWindowsAndAnotherSeedOthers() throws {
        let slice = try countingFile(tokens: 1000, in: try temporaryFolder(self)).allTokens
        func draws(_ seed: UInt64) throws -> [TrainingSequence] {
            var sampler = try PackedSequenceSampler(slice: slice, sequenceLength: 8, seed: seed)
            return try (0..<20).map { _ in try sampler.next() }
        }
        XCTAssertEqual(try draws(7), try draws(7))
        XCTAssertNotEqual(try draws(7), try draws(8))
    }

    func testRestoringASavedPositionContinuesExactly() throws {
        let slice = try countingFile(tokens: 1000, in: try temporaryFolder(self)).allTokens
        var original = try PackedSequenceSampler(slice: slice, sequenceLength: 8, seed: 42)
        for _ in 0..<7 { _ = try original.next() }
        // Through JSON, as a checkpoint stores it.
        let saved = try JSONDecoder().decode(SourcePosition.self, from: JSONEncoder().encode(original.position))
        let expected = try (0..<10).map { _ in try original.next() }

        var resumed = try PackedSequenceSampler(slice: slice, sequenceLength: 8, seed: 999)
        _ = try resumed.next()
        try resumed.restore(saved)
        XCTAssertEqual(resumed.position.drawn, 7)
        XCTAssertEqual(try (0..<10).map { _ in try resumed.next() }, expected)
    }

    func testRestoreRefusesAPositionOfAnotherShape() throws {
        let slice = try countingFile(tokens: 100, in: try temporaryFolder(self)).allTokens
        let saved = try PackedSequenceSampler(slice: slice, sequenceLength: 8, seed: 1).position
        var other = try PackedSequenceSampler(slice: slice, sequenceLength: 9, seed: 1)
        XCTAssertThrowsError(try other.restore(saved)) {
            guard case .incompatiblePosition = $0 as? TrainingError else { return XCTFail("\($0)") }
        }
        var same = try PackedSequenceSampler(slice: slice, sequenceLength: 8, seed: 1)
        var zero = saved
        zero.generatorState = [0, 0, 0, 0]
        XCTAssertThrowsError(try same.restore(zero))
    }

    func testASliceMustHoldOneWindow() throws {
        let file = try countingFile(tokens: 10, in: try temporaryFolder(self))
        XCTAssertThrowsError(try PackedSequenceSampler(slice: file.allTokens, sequenceLength: 10, seed: 1)) {
            guard case .insufficientData = $0 as? TrainingError else { return XCTFail("\($0)") }
        }
        var exact = try PackedSequenceSampler(slice: file.allTokens, sequenceLength: 9, seed: 1)
        XCTAssertEqual(try exact.next().inputs, Array(0..<9), "one window fits: offset 0 only")
        XCTAssertThrowsError(try TokenSlice(file: file, range: 5..<11))
    }
}
