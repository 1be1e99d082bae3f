import Foundation
import Training
import XCTest

final class DataMixtureTests: XCTestCase {
    /// Three components in one counting file: tokens 0..<100, 100..<200, 200..<300, so a window's
    /// first input names its component.
    private func components(weights: [Double]) throws -> [DataMixture.Component] {
        let file = try countingFile(tokens: 300, in: try temporaryFolder(self))
        return try weights.enumerated().map { index, weight in
            DataMixture.Component(name: ["web", "books", "code"][index],
                                  slice: try TokenSlice(file: file, range: (100 * index)..<(100 * index + 100)), weight: weight)
        }
    }

    func testProportionsConvergeToTheWeights() throws {
        // A stable-stage-like mixture; the weights need not sum to 1.
        var mixture = try DataMixture(components: try components(weights: [5, 3, 2]), sequenceLength: 4, seed: 3)
        XCTAssertEqual(mixture.proportions, [0.5, 0.3, 0.2])
        let draws = 6000
        var counts = [0, 0, 0]
        for _ in 0..<draws {
            let example = try mixture.next()
            let component = example.inputs[0] / 100
            XCTAssertEqual(example.inputs.last! / 100, component, "a window stays inside its component")
            counts[component] += 1
        }
        XCTAssertEqual(mixture.drawnByComponent, ["web": counts[0], "books": counts[1], "code": counts[2]])
        // Pearson's chi-square with 2 degrees of freedom: above 13.8 has probability 0.001.
        let chiSquare = zip(counts, mixture.proportions).reduce(0.0) { sum, pair in
            let expected = Double(draws) * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
        XCTAssertLessThan(chiSquare, 13.8, "counts \(counts)")
    }

    func testAZeroWeightComponentIsNeverDrawn() throws {
        var mixture = try DataMixture(components: try components(weights: [1, 0, 1]), sequenceLength: 4, seed: 9)
        for _ in 0..<500 { _ = try mixture.next() }
        XCTAssertEqual(mixture.drawnByComponent["books"], 0)
        XCTAssertEqual(mixture.drawnByComponent["web"]! + mixture.drawnByComponent["code"]!, 500)
    }

    func testRestoringASavedPositionContinuesExactly() throws {
        let parts = try components(weights: [0.6, 0.3, 0.1])
        var original = try DataMixture(components: parts, sequenceLength: 6, seed: 11)
        for _ in 0..<13 { _ = try original.next() }
        let saved = try JSONDecoder().decode(SourcePosition.self, from: JSONEncoder().encode(original.position))
        XCTAssertEqual(saved.counters.keys.sorted(), ["drawn.books", "drawn.code", "drawn.web", "sequenceLength"])
        let expected = try (0..<25).map { _ in try original.next() }

        var resumed = try DataMixture(components: parts, sequenceLength: 6, seed: 12)
        try resumed.restore(saved)
        XCTAssertEqual(try (0..<25).map { _ in try resumed.next() }, expected)
        XCTAssertEqual(resumed.position, original.position)
    }

    func testRestoreRefusesAnotherMixturesPosition() throws {
        let parts = try components(weights: [1, 1, 1])
        let saved = try DataMixture(components: Array(parts.prefix(2)), sequenceLength: 6, seed: 1).position
        var mixture = try DataMixture(components: parts, sequenceLength: 6, seed: 1)
        XCTAssertThrowsError(try mixture.restore(saved)) {
            guard case .incompatiblePosition = $0 as? TrainingError else { return XCTFail("\($0)") }
        }
        var inconsistent = mixture.position
        inconsistent.drawn = 5
        XCTAssertThrowsError(try mixture.restore(inconsistent), "component counts must add up to the drawn count")
    }

    func testInvalidMixturesAreRefused() throws {
        let parts = try components(weights: [1, 1, 1])
        XCTAssertThrowsError(try DataMixture(components: [], sequenceLength: 4, seed: 1))
        XCTAssertThrowsError(try DataMixture(components: parts.map { var c = $0; c.weight = 0; return c }, sequenceLength: 4, seed: 1))
        XCTAssertThrowsError(try DataMixture(components: [parts[0], parts[0]], sequenceLength: 4, seed: 1))
        var negative = parts
        negative[1].weight = -1
        XCTAssertThrowsError(try DataMixture(components: negative, sequenceLength: 4, seed: 1))
        XCTAssertThrowsError(try DataMixture(components: parts, sequenceLength: 100, seed: 1)) {
            guard case .insufficientData = $0 as? TrainingError else { return XCTFail("\($0)") }
        }
    }
}
