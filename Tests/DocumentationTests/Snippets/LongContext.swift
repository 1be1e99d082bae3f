import Foundation
import MiniCPMModel

/// The snippets of `Docs/LongContext.md`, verbatim.
enum LongContextGuide {
    static func generateAfterALongPrompt(_ prompt: [Int]) throws -> (GenerationSummary, KVCache) {
        var model = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/rope-longrope-past-original"))
        model.maximumContextLength = 64          // past the trained 32 positions: deliberate extrapolation
        model.prefillChunkLength = 16            // prompt tokens per forward pass (default 512)
        let cache = KVCache(configuration: model.configuration, maximumLength: 64)
        let summary = try model.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 6), cache: cache)
        print(cache.length, cache.bytesPerToken, cache.memoryBytes, cache.residentBytes, cache.reservedBytes)
        return (summary, cache)
    }

    static func generateWithAHalfPrecisionCache(_ prompt: [Int]) throws -> (GenerationSummary, KVCache) {
        var model = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/rope-longrope-past-original"))
        model.maximumContextLength = 64
        let cache = KVCache(configuration: model.configuration, maximumLength: 64, storage: .float16)
        let summary = try model.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 6), cache: cache)
        print(cache.storage, cache.bytesPerToken)   // float16 256: half of the float32 cache's 512
        return (summary, cache)
    }
}
