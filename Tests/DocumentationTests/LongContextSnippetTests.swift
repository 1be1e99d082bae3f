import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// `Docs/LongContext.md`'s snippet: a 40-token prompt, past LongRoPE's original 16 positions,
/// prefilled in chunks of 16, continues as the float64 reference does, and the cache reports its
/// bytes.
final class LongContextSnippetTests: SnippetTestCase {
    func testChunkedPrefillAndCacheMemory() throws {
        let file = try SafetensorsFile(contentsOf: repositoryRoot.appendingPathComponent(
            "Tests/MiniCPMModelTests/Fixtures/rope-longrope-past-original/expected.safetensors"))
        let prompt = try file.int32s(named: "input_ids").map(Int.init)
        let greedy = try file.int32s(named: "greedy_ids").map(Int.init)
        XCTAssertEqual(prompt.count, 40)
        let (summary, cache) = try LongContextGuide.generateAfterALongPrompt(prompt)
        XCTAssertEqual(summary.tokens, greedy)
        XCTAssertEqual(cache.length, 45, "the prompt and every generated token but the pending one")
        XCTAssertEqual(cache.bytesPerToken, 2 * 2 * 2 * 16 * 4, "2 layers, keys and values, 2 KV heads of 16, Float")
        XCTAssertEqual(cache.memoryBytes, 45 * cache.bytesPerToken)
        XCTAssertGreaterThanOrEqual(cache.residentBytes, cache.memoryBytes)
        XCTAssertGreaterThanOrEqual(cache.reservedBytes, 64 * cache.bytesPerToken)
    }

    /// The half-precision cache: the same greedy continuation as the float64 reference, half the
    /// bytes per token.
    func testHalfPrecisionCache() throws {
        let file = try SafetensorsFile(contentsOf: repositoryRoot.appendingPathComponent(
            "Tests/MiniCPMModelTests/Fixtures/rope-longrope-past-original/expected.safetensors"))
        let prompt = try file.int32s(named: "input_ids").map(Int.init)
        let greedy = try file.int32s(named: "greedy_ids").map(Int.init)
        let (summary, cache) = try LongContextGuide.generateWithAHalfPrecisionCache(prompt)
        XCTAssertEqual(summary.tokens, greedy)
        XCTAssertEqual(cache.storage, .float16)
        XCTAssertEqual(cache.bytesPerToken, 2 * 2 * 2 * 16 * 2, "2 layers, keys and values, 2 KV heads of 16, binary16")
        XCTAssertEqual(cache.memoryBytes, 45 * cache.bytesPerToken)
    }
}
