import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// `MiniCPMConfiguration`: decoding Hugging Face `config.json`, defaults, validation, encoding and the
/// paper's presets.
final class ConfigurationTests: XCTestCase {
    /// The five keys without which a configuration is rejected.
    static var requiredKeys: [String: Any] { [
        "vocab_size": 64, "hidden_size": 16, "intermediate_size": 24,
        "num_hidden_layers": 2, "num_attention_heads": 2,
    ] }

    func decode(_ object: [String: Any]) throws -> MiniCPMConfiguration {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try JSONDecoder().decode(MiniCPMConfiguration.self, from: data)
    }

    func decode(json: String) throws -> MiniCPMConfiguration {
        try JSONDecoder().decode(MiniCPMConfiguration.self, from: Data(json.utf8))
    }

    /// `requiredKeys` with `changes` applied (`NSNull()` removes a key).
    func config(_ changes: [String: Any] = [:]) -> [String: Any] {
        var object = Self.requiredKeys
        for (key, value) in changes {
            if value is NSNull { object[key] = nil } else { object[key] = value }
        }
        return object
    }

    func assertError(_ object: [String: Any], _ expected: MiniCPMConfigurationError,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(object), file: file, line: line) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError, expected, file: file, line: line)
        }
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("minicpm-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    // MARK: Decoding

    func testDecodesTheParityFixtureConfiguration() throws {
        let c = try MiniCPMConfiguration.load(contentsOf: fixtureURL("tiny-minicpm").appendingPathComponent("config.json"))
        XCTAssertEqual(c.vocabularySize, 512)
        XCTAssertEqual(c.hiddenSize, 64)
        XCTAssertEqual(c.intermediateSize, 160)
        XCTAssertEqual(c.layerCount, 4)
        XCTAssertEqual(c.attentionHeadCount, 4)
        XCTAssertEqual(c.keyValueHeadCount, 2)
        XCTAssertEqual(c.headDimension, 16)
        XCTAssertEqual(c.hiddenActivation, "silu")
        XCTAssertEqual(c.maxPositionEmbeddings, 2048)
        XCTAssertEqual(c.initializerRange, 0.1)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-5)
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertNil(c.ropeScaling)
        XCTAssertEqual(c.embeddingScale, 12)
        XCTAssertEqual(c.depthScale, 1.4)
        XCTAssertEqual(c.baseModelDimension, 32)
        XCTAssertEqual(c.widthMultiplier, 2)
        XCTAssertEqual(c.residualScale, 0.7, accuracy: 1e-7)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
        XCTAssertEqual(c.expertCount, 0)
    }

    /// A config.json as published for MiniCPM-1.2B (openbmb/MiniCPM-1B-sft-bf16 layout, with the
    /// keys HF adds: `auto_map`, `torch_dtype`, `transformers_version`, `use_cache`, ...): unknown keys
    /// are ignored and the result is the Table 2 preset.
    func testDecodesAFullMiniCPMConfigurationToThePreset() throws {
        let json = """
        {
          "_name_or_path": "openbmb/MiniCPM-1B-sft-bf16",
          "architectures": ["MiniCPMForCausalLM"],
          "auto_map": {
            "AutoConfig": "configuration_minicpm.MiniCPMConfig",
            "AutoModel": "modeling_minicpm.MiniCPMModel",
            "AutoModelForCausalLM": "modeling_minicpm.MiniCPMForCausalLM"
          },
          "bos_token_id": 1,
          "eos_token_id": 2,
          "hidden_act": "silu",
          "hidden_size": 1536,
          "initializer_range": 0.1,
          "intermediate_size": 3840,
          "max_position_embeddings": 4096,
          "model_type": "minicpm",
          "num_attention_heads": 24,
          "num_hidden_layers": 52,
          "num_key_value_heads": 8,
          "pretraining_tp": 1,
          "rms_norm_eps": 1e-05,
          "rope_scaling": null,
          "rope_theta": 10000.0,
          "torch_dtype": "bfloat16",
          "transformers_version": "4.36.0",
          "use_cache": true,
          "vocab_size": 73440,
          "scale_emb": 12,
          "dim_model_base": 256,
          "scale_depth": 1.4
        }
        """
        let c = try decode(json: json)
        XCTAssertEqual(c, .miniCPM1_2B)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.widthMultiplier, 6)
    }

    func testHuggingFaceDefaultsForAbsentKeys() throws {
        let c = try decode(config())
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.keyValueHeadCount, c.attentionHeadCount)
        XCTAssertEqual(c.embeddingScale, 1)
        XCTAssertEqual(c.depthScale, 1)
        XCTAssertEqual(c.baseModelDimension, 1)
        XCTAssertEqual(c.hiddenActivation, "silu")
        XCTAssertEqual(c.maxPositionEmbeddings, 2048)
        XCTAssertEqual(c.initializerRange, 0.02)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-6)
        XCTAssertEqual(c.ropeTheta, 10_000)
        XCTAssertNil(c.ropeScaling)
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
        XCTAssertEqual(c.expertCount, 0)
        XCTAssertEqual(c.expertsPerToken, 0)
        // The memberwise initialiser gives the same defaults.
        XCTAssertEqual(c, MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 16, intermediateSize: 24,
                                               layerCount: 2, attentionHeadCount: 2))
        // null means absent.
        let nulls = try decode(config(["num_key_value_heads": NSNull(), "tie_word_embeddings": true]))
        XCTAssertEqual(nulls.keyValueHeadCount, 2)
        XCTAssertEqual(try decode(json: #"{"vocab_size": 64, "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": null, "scale_emb": null, "eos_token_id": null}"#),
                       c)
    }

    func testEndOfSequenceIDAsNumberOrList() throws {
        XCTAssertEqual(try decode(config(["eos_token_id": 7])).eosTokenIDs, [7])
        XCTAssertEqual(try decode(config(["eos_token_id": [2, 73_440]])).eosTokenIDs, [2, 73_440])
        XCTAssertEqual(try decode(config(["bos_token_id": 5])).bosTokenID, 5)
        assertError(config(["eos_token_id": "</s>"]),
                    .invalidValue(key: "eos_token_id", value: "not an integer or a list of integers"))
    }

    func testIntegralSizesMayBeWrittenAsFloats() throws {
        let c = try decode(config(["hidden_size": 16.0, "num_hidden_layers": 2.0]))
        XCTAssertEqual(c.hiddenSize, 16)
        XCTAssertEqual(c.layerCount, 2)
        assertError(config(["hidden_size": 16.5]), .invalidValue(key: "hidden_size", value: "not an integer"))
        assertError(config(["num_hidden_layers": "2"]), .invalidValue(key: "num_hidden_layers", value: "not an integer"))
    }

    // MARK: Validation

    func testHeadsMustDivideHiddenSize() {
        assertError(config(["num_attention_heads": 3]),
                    .inconsistent("num_attention_heads 3 does not divide hidden_size 16"))
    }

    func testKeyValueHeadsMustDivideHeads() {
        assertError(config(["num_attention_heads": 4, "num_key_value_heads": 3]),
                    .inconsistent("num_key_value_heads 3 does not divide num_attention_heads 4"))
    }

    func testHeadDimensionMustBeEven() {
        assertError(config(["hidden_size": 12, "num_attention_heads": 4]),
                    .inconsistent("head dimension 3 is odd; rotary embeddings need an even one"))
    }

    func testSizesMustBePositive() {
        for key in ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"] {
            assertError(config([key: 0]), .invalidValue(key: key, value: "0 (must be positive)"))
            assertError(config([key: -4]), .invalidValue(key: key, value: "-4 (must be positive)"))
        }
        assertError(config(["num_key_value_heads": 0]), .invalidValue(key: "num_key_value_heads", value: "0 (must be positive)"))
        assertError(config(["max_position_embeddings": -1]),
                    .invalidValue(key: "max_position_embeddings", value: "-1 (must be positive)"))
    }

    func testScalesMustBePositiveAndFinite() {
        for key in ["rms_norm_eps", "rope_theta", "scale_emb", "scale_depth", "dim_model_base"] {
            assertError(config([key: 0]), .invalidValue(key: key, value: "0.0 (must be positive and finite)"))
            assertError(config([key: -1.5]), .invalidValue(key: key, value: "-1.5 (must be positive and finite)"))
        }
    }

    func testUnsupportedActivation() {
        assertError(config(["hidden_act": "gelu"]), .unsupportedActivation("gelu"))
        assertError(config(["hidden_act": "relu"]), .unsupportedActivation("relu"))
    }

    func testMissingRequiredKeyIsNamed() {
        for key in Self.requiredKeys.keys.sorted() {
            assertError(config([key: NSNull()]), .missingKey(key))
        }
    }

    func testExpertCountsMustBeConsistent() {
        assertError(config(["num_experts": 4, "num_experts_per_tok": 5]),
                    .inconsistent("num_experts_per_tok 5 must lie in 1...num_experts 4"))
        assertError(config(["num_experts": 4, "num_experts_per_tok": 0]),
                    .inconsistent("num_experts_per_tok 0 must lie in 1...num_experts 4"))
        XCTAssertNoThrow(try decode(config(["num_experts": 4, "num_experts_per_tok": 2])))
    }

    func testValidateOnAValueBuiltInCode() {
        var c = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 2)
        XCTAssertNoThrow(try c.validate())
        c.keyValueHeadCount = 3
        XCTAssertThrowsError(try c.validate()) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError,
                           .inconsistent("num_key_value_heads 3 does not divide num_attention_heads 2"))
        }
    }

    // MARK: rope_scaling

    func testRopeScalingKinds() throws {
        XCTAssertEqual(try decode(config(["rope_scaling": ["type": "linear", "factor": 4]])).ropeScaling, .linear(factor: 4))
        XCTAssertEqual(try decode(config(["rope_scaling": ["rope_type": "dynamic", "factor": 2.5]])).ropeScaling,
                       .dynamic(factor: 2.5))
        let short: [Float] = [1, 1.1, 1.2, 1.3], long: [Float] = [2, 3, 4, 5]
        for name in ["longrope", "su"] {
            let c = try decode(config(["rope_scaling": ["type": name, "short_factor": short, "long_factor": long,
                                                        "original_max_position_embeddings": 512]]))
            XCTAssertEqual(c.ropeScaling, .longRope(shortFactors: short, longFactors: long, originalMaxPositionEmbeddings: 512))
        }
    }

    func testBadRopeScaling() {
        assertError(config(["rope_scaling": ["type": "yarn", "factor": 4]]), .unsupportedRopeScaling("type \"yarn\""))
        assertError(config(["rope_scaling": ["factor": 4]]), .unsupportedRopeScaling("type missing"))
        assertError(config(["rope_scaling": ["type": "linear"]]), .missingKey("rope_scaling.factor"))
        assertError(config(["rope_scaling": ["type": "dynamic", "factor": 0.5]]),
                    .invalidValue(key: "rope_scaling.factor", value: "0.5 (must be ≥ 1)"))
        assertError(config(["rope_scaling": ["type": "longrope", "short_factor": [1, 1], "long_factor": [1, 1]]]),
                    .missingKey("rope_scaling.short_factor/long_factor/original_max_position_embeddings"))
        // head_dim 8 needs 4 factors per list.
        assertError(config(["rope_scaling": ["type": "longrope", "short_factor": [1, 1], "long_factor": [1, 1],
                                             "original_max_position_embeddings": 512]]),
                    .inconsistent("rope_scaling factor lists need head_dim/2 = 4 entries, got 2 and 2"))
        assertError(config(["rope_scaling": ["type": "longrope", "short_factor": [1, 1, 1, 1], "long_factor": [1, 1, 1, 1],
                                             "original_max_position_embeddings": 1]]),
                    .invalidValue(key: "rope_scaling.original_max_position_embeddings", value: "1"))
        assertError(config(["rope_scaling": "linear"]), .invalidValue(key: "rope_scaling", value: "not a valid RopeScaling"))
    }

    // MARK: Files

    func testLoadNamesTheFile() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("config.json")

        try Data("{\"vocab_size\": 64,".utf8).write(to: url)        // malformed JSON
        XCTAssertThrowsError(try MiniCPMConfiguration.load(contentsOf: url)) { error in
            guard case let .unreadable(path, reason)? = error as? MiniCPMConfigurationError else {
                return XCTFail("expected .unreadable, got \(error)")
            }
            XCTAssertEqual(path, url.path)
            XCTAssertFalse(reason.isEmpty)
            XCTAssertTrue("\(error)".contains(url.path))
        }

        try JSONSerialization.data(withJSONObject: config(["hidden_size": NSNull()])).write(to: url)
        XCTAssertThrowsError(try MiniCPMConfiguration.load(contentsOf: url)) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError, .inFile(path: url.path, .missingKey("hidden_size")))
            XCTAssertEqual("\(error)", "\(url.path): configuration is missing the required key \"hidden_size\"")
        }

        try JSONSerialization.data(withJSONObject: config(["hidden_act": "gelu"])).write(to: url)
        XCTAssertThrowsError(try MiniCPMConfiguration.load(contentsOf: url)) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError, .inFile(path: url.path, .unsupportedActivation("gelu")))
        }

        let missing = dir.appendingPathComponent("absent.json")
        XCTAssertThrowsError(try MiniCPMConfiguration.load(contentsOf: missing)) { error in
            guard case let .unreadable(path, _)? = error as? MiniCPMConfigurationError else {
                return XCTFail("expected .unreadable, got \(error)")
            }
            XCTAssertEqual(path, missing.path)
        }
    }

    // MARK: Encoding

    func testEncodeDecodeRoundTrip() throws {
        var custom = MiniCPMConfiguration(vocabularySize: 100, hiddenSize: 32, intermediateSize: 80, layerCount: 3,
                                          attentionHeadCount: 4, keyValueHeadCount: 2)
        custom.ropeScaling = .longRope(shortFactors: [1, 1.25, 1.5, 1.75], longFactors: [2, 3.5, 5, 7.25],
                                       originalMaxPositionEmbeddings: 1024)
        custom.eosTokenIDs = [2, 73_440]
        custom.bosTokenID = nil
        custom.tieWordEmbeddings = false
        custom.embeddingScale = 6.5
        custom.depthScale = 1.7320508
        custom.baseModelDimension = 8
        custom.rmsNormEpsilon = 1e-5
        custom.expertCount = 4
        custom.expertsPerToken = 2
        var linear = MiniCPMConfiguration.miniCPM2_4B
        linear.ropeScaling = .linear(factor: 4)
        var dynamic = MiniCPMConfiguration.miniCPM1_2B
        dynamic.ropeScaling = .dynamic(factor: 2)

        for original in [custom, linear, dynamic, .miniCPM1_2B, .miniCPM2_4B, .windTunnel(.size9M)] {
            let data = try JSONEncoder().encode(original)
            XCTAssertEqual(try JSONDecoder().decode(MiniCPMConfiguration.self, from: data), original)
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            XCTAssertEqual(object["model_type"] as? String, "minicpm")
            XCTAssertEqual(object["architectures"] as? [String], ["MiniCPMForCausalLM"])
            XCTAssertEqual(object["hidden_size"] as? Int, original.hiddenSize)
            XCTAssertNotNil(object["rope_scaling"], "rope_scaling is written, null when absent, as HF does")
        }

        // A single end-of-sequence id is written as a number, several as a list.
        let single = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(MiniCPMConfiguration.miniCPM1_2B)) as? [String: Any])
        XCTAssertEqual(single["eos_token_id"] as? Int, 2)
        XCTAssertTrue(single["rope_scaling"] is NSNull)
        XCTAssertNil(single["num_experts"])
        let several = try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONEncoder().encode(custom)) as? [String: Any])
        XCTAssertEqual(several["eos_token_id"] as? [Int], [2, 73_440])
        XCTAssertEqual(several["num_experts"] as? Int, 4)
        XCTAssertEqual((several["rope_scaling"] as? [String: Any])?["type"] as? String, "longrope")
    }

    // MARK: Presets and parameter counts

    /// Paper Table 2: N (non-embedding parameters) of MiniCPM-1.2B and MiniCPM-2.4B.
    func testTable2NonEmbeddingParameterCounts() throws {
        XCTAssertEqual(MiniCPMConfiguration.miniCPM1_2B.nonEmbeddingParameterCount, 1_247_442_432)
        XCTAssertEqual(MiniCPMConfiguration.miniCPM2_4B.nonEmbeddingParameterCount, 2_442_057_984)
        let c12 = MiniCPMConfiguration.miniCPM1_2B, c24 = MiniCPMConfiguration.miniCPM2_4B
        XCTAssertEqual([c12.vocabularySize, c12.hiddenSize, c12.intermediateSize, c12.layerCount,
                        c12.attentionHeadCount, c12.keyValueHeadCount, c12.headDimension],
                       [73_440, 1536, 3840, 52, 24, 8, 64])
        XCTAssertEqual([c24.vocabularySize, c24.hiddenSize, c24.intermediateSize, c24.layerCount,
                        c24.attentionHeadCount, c24.keyValueHeadCount, c24.headDimension],
                       [122_753, 2304, 5760, 40, 36, 36, 64])
        for c in [c12, c24] {
            XCTAssertEqual(c.embeddingScale, 12)
            XCTAssertEqual(c.depthScale, 1.4)
            XCTAssertEqual(c.baseModelDimension, 256)
            XCTAssertEqual(c.initializerRange, 0.1)
            XCTAssertTrue(c.tieWordEmbeddings)
            XCTAssertNoThrow(try c.validate())
        }
    }

    /// Paper Table 8 (Appendix A.3): the model wind tunnel sizes; the non-embedding count rounds to
    /// the tabulated N (billions, three decimals).
    func testTable8WindTunnelSizes() throws {
        let expected: [WindTunnelSize: [Int]] = [     // d_m, d_ff, d_h, n_h, L
            .size9M: [320, 800, 64, 5, 8], .size30M: [512, 1280, 64, 8, 12], .size70M: [640, 1600, 64, 10, 14],
            .size0_1B: [768, 1920, 64, 12, 16], .size0_17B: [896, 2240, 64, 14, 18],
            .size0_2B: [1024, 2560, 64, 16, 20], .size0_5B: [1344, 3360, 64, 21, 24],
        ]
        XCTAssertEqual(WindTunnelSize.allCases.count, 7)
        for size in WindTunnelSize.allCases {
            let c = MiniCPMConfiguration.windTunnel(size)
            XCTAssertEqual([c.hiddenSize, c.intermediateSize, c.headDimension, c.attentionHeadCount, c.layerCount],
                           expected[size], size.rawValue)
            XCTAssertEqual(c.keyValueHeadCount, c.attentionHeadCount)
            XCTAssertNoThrow(try c.validate())
            let billions = Double(c.nonEmbeddingParameterCount) / 1e9
            XCTAssertEqual((billions * 1000).rounded() / 1000, size.tabulatedNonEmbeddingBillions, accuracy: 1e-12,
                           "\(size.rawValue): N = \(c.nonEmbeddingParameterCount)")
            XCTAssertEqual(c.embeddingScale, 12)
            XCTAssertEqual(c.baseModelDimension, 256)
            XCTAssertEqual(MiniCPMConfiguration.windTunnel(size, vocabularySize: 1000).vocabularySize, 1000)
        }
        XCTAssertEqual(MiniCPMConfiguration.windTunnel(.size30M).nonEmbeddingParameterCount, 36_188_672)
    }

    /// A built model's parameters are the non-embedding ones plus the embedding table, plus the LM
    /// head when untied.
    func testParameterCountOfABuiltModel() throws {
        var c = MiniCPMConfiguration(vocabularySize: 50, hiddenSize: 16, intermediateSize: 40, layerCount: 3,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        let embedding = c.vocabularySize * c.hiddenSize
        let tied = try MiniCPM(configuration: c, seed: 1)
        XCTAssertEqual(tied.parameterCount, c.nonEmbeddingParameterCount + embedding)
        XCTAssertFalse(tied.namedParameters.contains { $0.name == "lm_head.weight" })

        c.tieWordEmbeddings = false
        let untied = try MiniCPM(configuration: c, seed: 1)
        XCTAssertEqual(untied.parameterCount, c.nonEmbeddingParameterCount + 2 * embedding)
        XCTAssertEqual(untied.namedParameters.last?.name, "lm_head.weight")

        // By hand: per layer q,o 16x16, k,v 8x16, three 40x16 MLP matrices, two norms; a final norm.
        XCTAssertEqual(c.nonEmbeddingParameterCount, 3 * (2 * 256 + 2 * 128 + 3 * 640 + 32) + 16)
    }
}
