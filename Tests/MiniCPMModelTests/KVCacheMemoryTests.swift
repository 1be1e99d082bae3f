@testable import MiniCPMModel
import TensorCore
import TestSupport
import XCTest

/// The cache reserves its maximum length as address space, commits memory as tokens are written,
/// never moves cached rows, reports its bytes, and gives pages back when trimmed.
final class KVCacheMemoryTests: XCTestCase {
    func testBytesFollowTheTokensNotTheMaximum() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let c = model.configuration
        let ids = try ExpectedOutput(fixture: "tiny-minicpm").ids
        let cache = KVCache(configuration: c, maximumLength: 100_000)
        let perToken = c.layerCount * 2 * c.keyValueHeadCount * c.headDimension * 4
        XCTAssertEqual(cache.bytesPerToken, perToken)
        XCTAssertGreaterThanOrEqual(cache.reservedBytes, 100_000 * perToken)
        XCTAssertEqual(cache.memoryBytes, 0)
        XCTAssertEqual(cache.residentBytes, 0)

        _ = try withoutGradients { try model.logits(for: ids, cache: cache) }
        XCTAssertEqual(cache.memoryBytes, ids.count * perToken)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Each layer's keys and values round up to whole pages.
        XCTAssertGreaterThanOrEqual(cache.residentBytes, cache.memoryBytes)
        XCTAssertLessThanOrEqual(cache.residentBytes, cache.memoryBytes + 2 * c.layerCount * page)

        cache.trim(to: 2)
        XCTAssertEqual(cache.memoryBytes, 2 * perToken)
        XCTAssertLessThanOrEqual(cache.residentBytes, 2 * c.layerCount * page)
        cache.reset()
        XCTAssertEqual(cache.residentBytes, 0)
    }

    /// An unbounded maximum (`Int.max`, as for deliberate extrapolation) reserves a bounded amount
    /// of address space and still caches tokens.
    func testUnboundedMaximumReservesBoundedAddressSpace() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let cache = KVCache(configuration: model.configuration, maximumLength: .max)
        XCTAssertEqual(cache.maximumLength, .max)
        XCTAssertLessThanOrEqual(cache.reservedBytes, KVCache.addressSpaceLimit + 2 * model.configuration.layerCount * 4096)
        XCTAssertGreaterThan(cache.reservedBytes, KVCache.addressSpaceLimit / 2)
        let ids = try ExpectedOutput(fixture: "tiny-minicpm").ids
        let logits = try withoutGradients { try model.logits(for: ids, cache: cache) }
        XCTAssertLessThan(maxAbsDifference(logits, try ExpectedOutput(fixture: "tiny-minicpm").logits), 1e-4)
    }

    /// Appending thousands of rows one at a time keeps every row where it was first written: the
    /// views attention reads start at the same address, and the first rows keep their values.
    func testAppendingNeverMovesCachedRows() {
        let layer = KVCache.Layer(keyValueHeads: 2, headDimension: 8, maximumLength: 5000)
        var data = SeededGenerator(seed: 7)
        let first = Tensor(shape: [1, 3, 2, 8], scalars: (0..<48).map { _ in Float.random(in: -1...1, using: &data) })
        let (keys, _) = layer.append(keys: first, values: first * 2)
        let address = keys.withUnsafeBufferPointer { $0.baseAddress }
        var last = keys
        for _ in 0..<4000 {
            (last, _) = layer.append(keys: .zeros([1, 1, 2, 8]), values: .zeros([1, 1, 2, 8]))
        }
        XCTAssertEqual(layer.length, 4003)
        XCTAssertEqual(last.withUnsafeBufferPointer { $0.baseAddress }, address)
        XCTAssertEqual(Array(last.scalars.prefix(48)), first.scalars)
    }

    /// Pages released by a trim read as zeros and are written again by the next append.
    func testTrimmedRowsAreWrittenAgain() {
        let layer = KVCache.Layer(keyValueHeads: 1, headDimension: 1024, maximumLength: 64)
        _ = layer.append(keys: .ones([1, 8, 1, 1024]), values: .ones([1, 8, 1, 1024]))
        layer.trim(to: 1)
        let (keys, values) = layer.append(keys: Tensor(repeating: 3, shape: [1, 2, 1, 1024]), values: Tensor(repeating: 4, shape: [1, 2, 1, 1024]))
        XCTAssertEqual(keys.shape, [1, 3, 1, 1024])
        XCTAssertEqual(keys.scalars[0], 1)
        XCTAssertEqual(Set(keys.scalars[1024...]), [3])
        XCTAssertEqual(Set(values.scalars[1024...]), [4])
    }
}
