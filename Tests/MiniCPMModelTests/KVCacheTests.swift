import MiniCPMModel
import TensorCore
import XCTest

/// The cache's per-layer views: each layer appends at its own offset, the cache records the tokens
/// once every layer has them, and trimming moves every layer back.
final class KVCacheTests: XCTestCase {
    func testLayersAdvanceTogetherAndTrimTogether() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let ids = try ExpectedOutput(fixture: "tiny-minicpm").ids
        let cache = KVCache(configuration: model.configuration, reservedLength: 2)   // forces growth
        XCTAssertEqual(cache.layers.count, model.configuration.layerCount)

        let prefill = try model.logits(for: Array(ids.prefix(5)), cache: cache)
        XCTAssertEqual(cache.layers.map(\.length), [5, 5, 5, 5])
        XCTAssertEqual(cache.tokens, Array(ids.prefix(5)))
        let step = try model.logits(for: [ids[5]], cache: cache)
        XCTAssertEqual(cache.layers.map(\.length), [6, 6, 6, 6])

        // The cached run equals one forward over the whole sequence (positions continue per layer).
        let full = try model.logits(for: Array(ids.prefix(6)))
        XCTAssertLessThan(maxAbsDifference(prefill, full.sliced(alongAxis: 0, 0..<5)), 1e-5)
        XCTAssertLessThan(maxAbsDifference(step, full.sliced(alongAxis: 0, 5..<6)), 1e-5)

        cache.trim(to: 2)
        XCTAssertEqual(cache.layers.map(\.length), [2, 2, 2, 2])
        XCTAssertEqual(cache.length, 2)
        let again = try model.logits(for: Array(ids[2..<6]), cache: cache)
        XCTAssertLessThan(maxAbsDifference(again, full.sliced(alongAxis: 0, 2..<6)), 1e-5)
    }

    func testOverflowIsCheckedBeforeAnyLayerAppends() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let cache = KVCache(configuration: model.configuration, maximumLength: 4)
        _ = try model.logits(for: [1, 2, 3], cache: cache)
        XCTAssertThrowsError(try model.logits(for: [4, 5], cache: cache)) {
            XCTAssertEqual($0 as? MiniCPMError, .contextOverflow(requested: 5, maximum: 4))
        }
        XCTAssertEqual(cache.layers.map(\.length), [3, 3, 3, 3], "nothing was appended")
        XCTAssertThrowsError(try model.logits(for: [], cache: cache)) { XCTAssertEqual($0 as? MiniCPMError, .emptyInput) }
        XCTAssertThrowsError(try model.logits(forBatch: [[1, 2], [3]])) {
            XCTAssertEqual($0 as? MiniCPMError, .raggedBatch(lengths: [2, 1]))
        }
    }
}
