import MiniCPMModel
import TensorCore
import XCTest

/// A prompt prefilled through a cache in chunks (``MiniCPM/prefillChunkLength``) gives the logits of
/// one pass over it, leaves the same cache behind, and matches the float64 reference.
final class ChunkedPrefillTests: XCTestCase {
    /// Prefills `ids` (after `prefix`, when given) in chunks of `chunk` and in one pass, then decodes
    /// one more token after each, and compares both steps with each other and, unless
    /// `comparesReference` is false, the last prefill row with the fixture's reference logits.
    private func check(_ name: String, chunk: Int, prefix: Int = 0, maximumContextLength: Int? = nil,
                       comparesReference: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        var model = try MiniCPM(directory: fixtureURL(name))
        if let maximumContextLength { model.maximumContextLength = maximumContextLength }
        let expected = try ExpectedOutput(fixture: name)
        let cacheLength = model.maximumContextLength
        func run(chunkLength: Int) throws -> (prefill: Tensor, step: Tensor, cache: KVCache) {
            var m = model
            m.prefillChunkLength = chunkLength
            let cache = KVCache(configuration: m.configuration, maximumLength: cacheLength)
            if prefix > 0 { _ = try withoutGradients { try m.logits(for: Array(expected.ids.prefix(prefix)), cache: cache) } }
            let prefill = try withoutGradients { try m.nextTokenLogits(for: Array(expected.ids.dropFirst(prefix)), cache: cache) }
            let step = try withoutGradients { try m.nextTokenLogits(for: [expected.greedy[0]], cache: cache) }
            return (prefill, step, cache)
        }
        let chunked = try run(chunkLength: chunk)
        let whole = try run(chunkLength: 4096)
        XCTAssertEqual(chunked.cache.length, expected.ids.count + 1, file: file, line: line)
        XCTAssertEqual(chunked.cache.tokens, whole.cache.tokens, file: file, line: line)
        // Float rounding differs between the passes (matrix products of other row counts), and the
        // logits reach about 10 (a float32 spacing of 1e-6 there): within 1e-5 relative to the
        // largest logit.
        let bound = 1e-5 * max(1, whole.prefill.scalars.map(abs).max()!)
        XCTAssertLessThan(maxAbsDifference(chunked.prefill, whole.prefill), bound, "\(name): prefill", file: file, line: line)
        XCTAssertLessThan(maxAbsDifference(chunked.step, whole.step), bound, "\(name): next step", file: file, line: line)
        guard comparesReference else { return }
        let n = expected.ids.count
        let last = expected.logits.sliced(alongAxis: 0, (n - 1)..<n).reshaped([model.configuration.vocabularySize])
        XCTAssertLessThan(maxAbsDifference(chunked.prefill, last), 1e-4, "\(name): reference", file: file, line: line)
    }

    func testChunksThatDivideThePromptAndOnesThatDoNot() throws {
        try check("tiny-minicpm", chunk: 2)
        try check("tiny-minicpm", chunk: 3)
        try check("untied-head", chunk: 5, prefix: 3)
        try check("rope-longrope-past-original", chunk: 16, maximumContextLength: 64)
        try check("rope-theta", chunk: 7, prefix: 1)
    }

    /// Every chunk is rotated with the frequencies of the whole prompt's length, as one pass is:
    /// dynamic NTK (past `max_position_embeddings` 8) and LongRoPE's switch to its long factors
    /// (past `original_max_position_embeddings` 16) both depend on it.
    func testLengthDependentRopeScalings() throws {
        try check("rope-dynamic", chunk: 4, maximumContextLength: 64)
        // After a cached prefix the prefix's keys keep the rotation of their own length (unscaled
        // here), so only chunked against one pass is compared, not the 16-token reference.
        try check("rope-dynamic", chunk: 5, prefix: 2, maximumContextLength: 64, comparesReference: false)
        try check("rope-longrope-switch", chunk: 6, maximumContextLength: 64)
    }

    func testChunkLengthBelowOneCountsAsOne() throws {
        var model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        XCTAssertEqual(model.prefillChunkLength, 512)
        let expected = try ExpectedOutput(fixture: "tiny-minicpm")
        model.prefillChunkLength = 0
        let cache = KVCache(configuration: model.configuration)
        let logits = try withoutGradients { try model.nextTokenLogits(for: expected.ids, cache: cache) }
        let n = expected.ids.count
        XCTAssertLessThan(maxAbsDifference(logits, expected.logits.sliced(alongAxis: 0, (n - 1)..<n).reshaped([logits.shape[0]])), 1e-4)
        XCTAssertEqual(cache.length, n)
    }
}
