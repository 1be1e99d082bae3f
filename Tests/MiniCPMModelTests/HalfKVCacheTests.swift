import MiniCPMModel
import TensorCore
import XCTest

/// A KV cache stored as IEEE binary16: half the bytes per token, logits within a measured
/// tolerance of the float cache's (and of the float64 numpy reference), the same greedy tokens, and
/// the prefill path (rows widened into scratch, blocked kernel) agreeing with the decode path (half
/// rows read directly) on the same rounded rows.
final class HalfKVCacheTests: XCTestCase {
    private let fixtures = ["tiny-minicpm", "multi-head", "rope-theta", "untied-head"]

    /// Prefill of the first `split` ids, then one id at a time: the logits of every position.
    private func cachedLogits(_ model: MiniCPM, _ ids: [Int], split: Int, storage: KVCacheStorage) throws -> Tensor {
        let cache = KVCache(configuration: model.configuration, maximumLength: 64, storage: storage)
        return try withoutGradients {
            var rows = [try model.logits(for: Array(ids.prefix(split)), cache: cache)]
            for id in ids.dropFirst(split) { rows.append(try model.logits(for: [id], cache: cache)) }
            return Tensor.concatenate(rows, alongAxis: 0)
        }
    }

    func testLogitsMatchFloatCacheAndReference() throws {
        for name in fixtures {
            var model = try MiniCPM(directory: fixtureURL(name))
            model.maximumContextLength = 64
            let e = try ExpectedOutput(fixture: name)
            let split = e.ids.count / 2
            let float = try cachedLogits(model, e.ids, split: split, storage: .float32)
            let half = try cachedLogits(model, e.ids, split: split, storage: .float16)
            let againstFloat = maxAbsDifference(half, float), againstReference = maxAbsDifference(half, e.logits)
            // Measured (logits up to 4.5 in magnitude): 0.0067 (multi-head) to 0.026 (rope-theta)
            // against the float cache, whose own error against the reference is under 2e-5. The
            // random-weight fixtures amplify the 2⁻¹¹ relative rounding of each key and value about
            // tenfold (scale_emb 12); on SmolLM2 and real text the difference is 0.048 on logits up
            // to 41 (Docs/LongContext.md).
            XCTAssertLessThan(againstFloat, 0.04, "\(name): f16 against f32 cache")
            XCTAssertGreaterThan(againstFloat, 1e-4, "\(name): the cache did round")
            XCTAssertLessThan(againstReference, 0.04, "\(name): f16 cache against the float64 reference")
            XCTAssertEqual(half.argmax(alongAxis: 1), float.argmax(alongAxis: 1), "\(name): top-1 per position")

            // Prefill (widened rows, blocked kernel) and decode (half rows) round the same keys and
            // values, so they agree far more closely than either agrees with the float cache: to
            // Float rounding (1.4e-5 for untied-head, as with float caches), except where the two
            // paths' float noise in a layer's input moves a key or value across a binary16 rounding
            // boundary, which changes it by a whole half ulp (measured at most 1.2e-3, rope-theta).
            let halfPrefill = try cachedLogits(model, e.ids, split: e.ids.count, storage: .float16)
            let halfDecode = try cachedLogits(model, e.ids, split: 1, storage: .float16)
            XCTAssertLessThan(maxAbsDifference(halfPrefill, halfDecode), min(3e-3, againstFloat / 5),
                              "\(name): f16 prefill against f16 decode")
        }
    }

    func testGreedyTokensEqualFloatCaches() throws {
        for name in fixtures {
            let model = try MiniCPM(directory: fixtureURL(name))
            let e = try ExpectedOutput(fixture: name)
            guard !e.greedy.isEmpty else { continue }
            var parameters = GenerateParameters.greedy(maxTokens: e.greedy.count)
            parameters.stopTokenIDs = []
            let cache = KVCache(configuration: model.configuration, maximumLength: 64, storage: .float16)
            let summary = try model.generate(promptTokens: e.ids, parameters: parameters, cache: cache)
            XCTAssertEqual(summary.tokens, e.greedy, "\(name): greedy ids with an f16 cache")
        }
    }

    func testMemoryHalves() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let c = model.configuration
        let float = KVCache(configuration: c, maximumLength: 4096)
        let half = KVCache(configuration: c, maximumLength: 4096, storage: .float16)
        XCTAssertEqual(float.storage, .float32)
        XCTAssertEqual(half.bytesPerToken, c.layerCount * 2 * c.keyValueWidth * 2)
        XCTAssertEqual(float.bytesPerToken, 2 * half.bytesPerToken)

        let ids = Array(repeating: [1, 2, 3, 4, 5, 6, 7, 8], count: 100).flatMap { $0 }   // 800 tokens
        _ = try withoutGradients { try model.logits(for: ids, cache: half) }
        XCTAssertEqual(half.memoryBytes, 800 * half.bytesPerToken)
        // Committed: the layers' half rows plus the scratch's one layer of float rows for the prefill.
        let scratch = 2 * 800 * c.keyValueWidth * 4
        XCTAssertGreaterThanOrEqual(half.residentBytes, half.memoryBytes + scratch)
        XCTAssertLessThanOrEqual(half.residentBytes, half.memoryBytes + scratch + (2 * c.layerCount + 2) * 4096)
        half.trim(to: 10)
        XCTAssertLessThanOrEqual(half.residentBytes, (2 * c.layerCount + 2) * 4096, "trimming gives the pages back")
        // The trimmed cache still continues correctly: its rows before the trim are intact.
        let reference = KVCache(configuration: c, maximumLength: 4096, storage: .float16)
        let a = try withoutGradients { try model.logits(for: [9, 10], cache: half) }
        let b = try withoutGradients { try model.logits(for: Array(ids.prefix(10)) + [9, 10], cache: reference) }
        // Within a half ulp's effect (see testLogitsMatchFloatCacheAndReference): the first 10 rows
        // came from an 800-token prefill here and a 12-token one there.
        XCTAssertLessThan(maxAbsDifference(a, b.sliced(alongAxis: 0, 10..<12)), 3e-3)
    }

    /// Continuation scoring appends and rolls back rows through the widened-prefix path.
    func testContinuationsMatchFloatCache() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let e = try ExpectedOutput(fixture: "tiny-minicpm")
        var scores: [KVCacheStorage: [Tensor]] = [:]
        for storage in KVCacheStorage.allCases {
            let cache = KVCache(configuration: model.configuration, maximumLength: 64, storage: storage)
            _ = try withoutGradients { try model.logits(for: Array(e.ids.prefix(5)), cache: cache) }
            scores[storage] = try withoutGradients { try model.logits(forContinuations: [[7], [8, 9, 10]], of: cache) }
            XCTAssertEqual(cache.tokens, Array(e.ids.prefix(5)))
        }
        for (h, f) in zip(scores[.float16]!, scores[.float32]!) {
            XCTAssertLessThan(maxAbsDifference(h, f), 0.04)
            XCTAssertEqual(h.argmax(alongAxis: 1), f.argmax(alongAxis: 1))
        }
    }
}
