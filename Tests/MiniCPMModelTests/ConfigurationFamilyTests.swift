import Foundation
import MiniCPMModel
import XCTest

/// `config.json` of another model family, or with a weight type that does not exist, is refused
/// with an error naming the key and value instead of loading as MiniCPM (issue 11, hole 7).
final class ConfigurationFamilyTests: XCTestCase {
    func decode(_ changes: [String: Any]) throws -> MiniCPMConfiguration {
        var object: [String: Any] = ["vocab_size": 64, "hidden_size": 16, "intermediate_size": 24,
                                     "num_hidden_layers": 2, "num_attention_heads": 2]
        object.merge(changes) { $1 }
        return try JSONDecoder().decode(MiniCPMConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
    }

    func assertError(_ changes: [String: Any], _ expected: MiniCPMConfigurationError,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try decode(changes), file: file, line: line) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError, expected, file: file, line: line)
        }
    }

    func testOtherModelTypesAreRefusedByName() {
        for type in ["bert", "gpt2", "mistral", "qwen2", "minicpm3", "MiniCPM"] {
            assertError(["model_type": type],
                        .notSupported(key: "model_type", value: "\"\(type)\"",
                                      reason: "this library runs the model types \"llama\", \"minicpm\" only"))
        }
    }

    func testOtherArchitecturesAreRefusedByName() {
        let reason = "this library runs \"LlamaForCausalLM\", \"MiniCPMForCausalLM\" only"
        assertError(["architectures": ["GPT2LMHeadModel"]],
                    .notSupported(key: "architectures", value: "\"GPT2LMHeadModel\"", reason: reason))
        assertError(["model_type": "minicpm", "architectures": ["MiniCPMForCausalLM", "BertModel"]],
                    .notSupported(key: "architectures", value: "\"BertModel\"", reason: reason))
        assertError(["architectures": 7], .invalidValue(key: "architectures", value: "not a list of strings"))
        assertError(["model_type": ["minicpm"]], .invalidValue(key: "model_type", value: "not a string"))
    }

    func testUnknownWeightTypesAreRefused() {
        let expected = "(expected \"bfloat16\", \"float16\", \"float32\")"
        assertError(["torch_dtype": "float7"], .invalidValue(key: "torch_dtype", value: "\"float7\" \(expected)"))
        assertError(["torch_dtype": "auto"], .invalidValue(key: "torch_dtype", value: "\"auto\" \(expected)"))
        assertError(["dtype": "int4"], .invalidValue(key: "dtype", value: "\"int4\" \(expected)"))
    }

    /// Llama's optional projection biases are a different forward pass.
    func testLlamaBiasesAreRefused() {
        assertError(["model_type": "llama", "attention_bias": true],
                    .notSupported(key: "attention_bias", value: "true", reason: "the projections of this model have no biases"))
        assertError(["mlp_bias": true],
                    .notSupported(key: "mlp_bias", value: "true", reason: "the projections of this model have no biases"))
    }

    /// The MiniCPM and Llama families, every supported weight type, `false` biases, and absent or
    /// `null` keys all load.
    func testKnownFamiliesAndAbsentKeysLoad() throws {
        XCTAssertEqual(try decode([:]).hiddenSize, 16)
        XCTAssertEqual(try decode(["model_type": "minicpm", "architectures": ["MiniCPMForCausalLM"],
                                   "torch_dtype": "bfloat16"]).layerCount, 2)
        XCTAssertEqual(try decode(["model_type": "llama", "architectures": ["LlamaForCausalLM"], "torch_dtype": "float16",
                                   "dtype": "float32", "attention_bias": false, "mlp_bias": false]).layerCount, 2)
        XCTAssertEqual(try decode(["model_type": NSNull(), "architectures": NSNull(), "torch_dtype": NSNull()]).layerCount, 2)
        // What the encoder writes decodes again.
        let encoded = try JSONEncoder().encode(try decode([:]))
        XCTAssertEqual(try JSONDecoder().decode(MiniCPMConfiguration.self, from: encoded), try decode([:]))
    }

    /// Loading a file names it as well as the key.
    func testLoadingNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(#"{"model_type": "bert", "vocab_size": 30522, "hidden_size": 768}"#.utf8).write(to: url)
        XCTAssertThrowsError(try MiniCPMConfiguration.load(contentsOf: url)) { error in
            XCTAssertEqual(error as? MiniCPMConfigurationError,
                           .inFile(path: url.path, .notSupported(key: "model_type", value: "\"bert\"",
                                                                 reason: "this library runs the model types \"llama\", \"minicpm\" only")))
        }
    }
}
