import MiniCPMModel
import TensorCore
import XCTest

/// Several continuations of a cached prefix in one forward pass give the float64 reference's logits
/// for each, and leave the cache as it was.
final class ContinuationsTests: XCTestCase {
    private func check(_ fixture: String, prefix k: Int) throws {
        let model = try MiniCPM(directory: fixtureURL(fixture))
        let expected = try ExpectedOutput(fixture: fixture)
        let ids = expected.ids
        let cache = KVCache(configuration: model.configuration)
        _ = try model.nextTokenLogits(for: Array(ids.prefix(k)), cache: cache)
        // Continuations of different lengths that all follow the reference's prompt, so every row
        // has a reference; an empty one and a one-token one among them.
        let continuations = [Array(ids[k...]), [], Array(ids[k..<(k + 3)]), [ids[k]]]
        let results = try model.logits(forContinuations: continuations, of: cache)

        XCTAssertEqual(results.map(\.shape), continuations.map { [$0.count, model.configuration.vocabularySize] })
        for (continuation, logits) in zip(continuations, results) where !continuation.isEmpty {
            let reference = expected.logits.sliced(alongAxis: 0, k ..< (k + continuation.count))
            XCTAssertLessThan(maxAbsDifference(logits, reference), 1e-4, "\(fixture), \(continuation.count) tokens")
        }
        XCTAssertEqual(cache.length, k)
        XCTAssertEqual(cache.layers.map(\.length), Array(repeating: k, count: model.configuration.layerCount))
        // The cache still continues the prefix correctly.
        let next = try model.logits(for: Array(ids[k...]), cache: cache)
        XCTAssertLessThan(maxAbsDifference(next, expected.logits.sliced(alongAxis: 0, k ..< ids.count)), 1e-4)
    }

    func testTiedGroupedQueryModel() throws { try check("tiny-minicpm", prefix: 3) }
    func testUntiedHead() throws { try check("untied-head", prefix: 5) }
    func testLinearRopeScaling() throws { try check("rope-linear", prefix: 4) }

    func testBadInputIsRefusedBeforeAnyLayerAppends() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let cache = KVCache(configuration: model.configuration, maximumLength: 6)
        _ = try model.logits(for: [1, 2, 3], cache: cache)
        XCTAssertThrowsError(try model.logits(forContinuations: [[4], [4, 5, 6, 7]], of: cache)) {
            XCTAssertEqual($0 as? MiniCPMError, .contextOverflow(requested: 7, maximum: 6))
        }
        XCTAssertThrowsError(try model.logits(forContinuations: [[4], [-1]], of: cache)) {
            XCTAssertEqual($0 as? MiniCPMError, .tokenOutOfRange(id: -1, vocabularySize: model.configuration.vocabularySize))
        }
        XCTAssertEqual(cache.layers.map(\.length), [3, 3, 3, 3])
        XCTAssertEqual(try model.logits(forContinuations: [[], []], of: cache).map(\.shape),
                       [[0, model.configuration.vocabularySize], [0, model.configuration.vocabularySize]])
    }
}
