import MiniCPMModel
import TensorCore
import XCTest

/// `MiniCPMConfiguration(gguf:)`: llama.cpp's metadata keys for the `minicpm` and `llama`
/// architectures, defaults for optional keys, and what is derived from tensors.
final class GGUFConfigurationTests: TemporaryDirectoryTestCase {
    private var llama: URL { ggufFixtureURL("llama-q8_0.gguf") }

    private func configuration(_ url: URL) throws -> MiniCPMConfiguration {
        try MiniCPMConfiguration(gguf: GGUFFile(contentsOf: url))
    }

    /// The converter's `minicpm` keys give back the checkpoint's config.json (`scale_depth` through
    /// the float32 `residual_scale`, to within rounding); `vocab_size`, which the converter does not
    /// write for MiniCPM, comes from `token_embd`'s rows.
    func testMiniCPMFileGivesTheCheckpointConfiguration() throws {
        let reference = try MiniCPM(directory: fixtureURL("float16-weights")).configuration
        var c = try configuration(ggufFixtureURL("minicpm-f16.gguf"))
        XCTAssertNil(try GGUFFile(contentsOf: ggufFixtureURL("minicpm-f16.gguf")).metadata["minicpm.vocab_size"])
        XCTAssertEqual(c.vocabularySize, 256)
        XCTAssertEqual(c.embeddingScale, 12)
        XCTAssertEqual(c.baseModelDimension, 32)
        XCTAssertEqual(c.widthMultiplier, 2)
        XCTAssertEqual(c.depthScale, 1.4, accuracy: 1e-6)
        XCTAssertEqual(c.residualScale, Float(1.4 / 2.0.squareRoot()), accuracy: 1e-7)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
        // Everything else is exactly config.json (initializer_range is not stored in GGUF).
        c.depthScale = reference.depthScale
        c.initializerRange = reference.initializerRange
        XCTAssertEqual(c, reference)
    }

    /// A `llama` file runs with scale_emb 1, residual scale exactly 1 and logit divisor exactly 1.
    func testLlamaFileGetsTheScalesThatMakeMiniCPMLlama() throws {
        let c = try configuration(llama)
        XCTAssertEqual(c.layerCount, 3)
        XCTAssertEqual(c.vocabularySize, 256)
        XCTAssertEqual(c.hiddenSize, 64)
        XCTAssertEqual(c.intermediateSize, 128)
        XCTAssertEqual(c.attentionHeadCount, 4)
        XCTAssertEqual(c.keyValueHeadCount, 2)
        XCTAssertEqual(c.maxPositionEmbeddings, 2048)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-5)
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertNil(c.ropeScaling)
        XCTAssertEqual(c.embeddingScale, 1)
        XCTAssertEqual(c.residualScale, 1)
        XCTAssertEqual(c.widthMultiplier, 1)
        XCTAssertEqual(c.expertCount, 0)
    }

    func testOptionalKeysDefaultAsInLlamaCpp() throws {
        let url = try editedGGUF(llama, removingKeys: ["llama.attention.head_count_kv", "llama.rope.freq_base", "llama.vocab_size",
                                                       "llama.rope.dimension_count", "tokenizer.ggml.bos_token_id",
                                                       "tokenizer.ggml.eos_token_id"])
        let c = try configuration(url)
        XCTAssertEqual(c.keyValueHeadCount, 4, "no head_count_kv: one KV head per query head")
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertEqual(c.vocabularySize, 256, "token_embd rows")
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
    }

    func testVocabularySizeFromTheTokenList() throws {
        let tokens = GGUFValue.array(elementType: .string, elements: (0 ..< 300).map { .string("t\($0)") })
        let url = try editedGGUF(llama, removingKeys: ["llama.vocab_size"], setting: [("tokenizer.ggml.tokens", tokens)])
        XCTAssertEqual(try configuration(url).vocabularySize, 300)
    }

    func testEndOfGenerationTokensJoinTheEndOfSequenceIDs() throws {
        var url = try editedGGUF(llama, setting: [("tokenizer.ggml.eot_token_id", .uint32(7)),
                                                  ("tokenizer.ggml.eom_token_id", .uint32(2))])
        XCTAssertEqual(try configuration(url).eosTokenIDs, [2, 7])
        url = try editedGGUF(llama, name: "bos.gguf", setting: [("tokenizer.ggml.bos_token_id", .int32(0))])
        XCTAssertEqual(try configuration(url).bosTokenID, 0)
    }

    func testUntiedWhenTheFileHasAnOutputTensor() throws {
        let url = try editedGGUF(llama, addingTensors: [("output.weight", Tensor.zeros([256, 64]))])
        XCTAssertFalse(try configuration(url).tieWordEmbeddings)
    }

    func testPerLayerArraysAreAcceptedWhenAllLayersAgree() throws {
        let perLayer = { (v: UInt32) in GGUFValue.array(elementType: .uint32, elements: [.uint32(v), .uint32(v), .uint32(v)]) }
        let url = try editedGGUF(llama, setting: [("llama.feed_forward_length", perLayer(128)),
                                                  ("llama.attention.head_count_kv", perLayer(2))])
        let c = try configuration(url)
        XCTAssertEqual(c.intermediateSize, 128)
        XCTAssertEqual(c.keyValueHeadCount, 2)
    }

    func testLinearRopeScaling() throws {
        var url = try editedGGUF(llama, setting: [("llama.rope.scaling.type", .string("linear")),
                                                  ("llama.rope.scaling.factor", .float32(4))])
        XCTAssertEqual(try configuration(url).ropeScaling, .linear(factor: 4))
        url = try editedGGUF(llama, name: "none.gguf", setting: [("llama.rope.scaling.type", .string("none"))])
        XCTAssertNil(try configuration(url).ropeScaling)
        url = try editedGGUF(llama, name: "legacy.gguf", setting: [("llama.rope.scale_linear", .float32(2))])
        XCTAssertEqual(try configuration(url).ropeScaling, .linear(factor: 2))
    }

    func testExpertCounts() throws {
        let url = try editedGGUF(llama, setting: [("llama.expert_count", .uint32(4)), ("llama.expert_used_count", .uint32(2))])
        let c = try configuration(url)
        XCTAssertEqual(c.expertCount, 4)
        XCTAssertEqual(c.expertsPerToken, 2)
    }
}
