import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Every GGUF file `MiniCPM(gguf:)` cannot run is a `CheckpointError` naming the key or tensor and
/// the file.
final class GGUFLoadingErrorTests: TemporaryDirectoryTestCase {
    private var llama: URL { ggufFixtureURL("llama-q8_0.gguf") }

    private func loadingError(_ url: URL, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        checkpointError({ try MiniCPM(ggufFile: url) }, file: file, line: line)
    }

    func testUnsupportedArchitecture() throws {
        let url = try editedGGUF(llama, setting: [("general.architecture", .string("qwen2"))])
        XCTAssertEqual(loadingError(url), .unsupportedArchitecture("qwen2", path: url.path))
        let untyped = try editedGGUF(llama, name: "untyped.gguf", setting: [("general.architecture", .uint32(1))])
        XCTAssertEqual(loadingError(untyped), .invalidMetadata(key: "general.architecture", value: "1",
                                                               reason: "expected a string", path: untyped.path))
        let missing = try editedGGUF(llama, name: "missing.gguf", removingKeys: ["general.architecture"])
        XCTAssertEqual(loadingError(missing), .missingMetadata(key: "general.architecture", path: missing.path))
    }

    func testMissingRequiredKeys() throws {
        for key in ["llama.block_count", "llama.embedding_length", "llama.feed_forward_length", "llama.attention.head_count",
                    "llama.context_length", "llama.attention.layer_norm_rms_epsilon"] {
            let url = try editedGGUF(llama, removingKeys: [key])
            XCTAssertEqual(loadingError(url), .missingMetadata(key: key, path: url.path), key)
        }
        for key in ["minicpm.embedding_scale", "minicpm.residual_scale", "minicpm.logit_scale"] {
            let url = try editedGGUF(ggufFixtureURL("minicpm-q8_0.gguf"), removingKeys: [key])
            XCTAssertEqual(loadingError(url), .missingMetadata(key: key, path: url.path), key)
        }
    }

    func testIllTypedAndImpossibleValues() throws {
        let cases: [(String, GGUFValue, String, String)] = [
            ("llama.block_count", .string("3"), "\"3\"", "expected an integer"),
            ("llama.embedding_length", .uint32(0), "0", "must be a positive 32-bit integer"),
            ("llama.attention.layer_norm_rms_epsilon", .string("1e-5"), "\"1e-5\"", "expected a number"),
            ("llama.rope.freq_base", .float32(-1), "-1.0", "must be positive and finite"),
            ("llama.rope.scaling.type", .string("yarn"), "\"yarn\"", "only linear rope scaling is supported"),
            ("llama.feed_forward_length", .array(elementType: .uint32, elements: [.uint32(128), .uint32(64), .uint32(128)]),
             "[128, 64, 128]", "layers with different sizes are not supported"),
        ]
        for (key, value, shown, reason) in cases {
            let url = try editedGGUF(llama, setting: [(key, value)])
            XCTAssertEqual(loadingError(url), .invalidMetadata(key: key, value: shown, reason: reason, path: url.path), key)
        }
        let noFactor = try editedGGUF(llama, setting: [("llama.rope.scaling.type", .string("linear"))])
        XCTAssertEqual(loadingError(noFactor), .missingMetadata(key: "llama.rope.scaling.factor", path: noFactor.path))
    }

    func testHeadLayoutsTheModelDoesNotRun() throws {
        let partial = try editedGGUF(llama, setting: [("llama.rope.dimension_count", .uint32(8))])
        guard case let .invalidMetadata(key, value, _, path)? = loadingError(partial) else { return XCTFail() }
        XCTAssertEqual([key, value, path], ["llama.rope.dimension_count", "8", partial.path])

        let indivisible = try editedGGUF(llama, name: "heads.gguf", setting: [("llama.attention.head_count", .uint32(3))])
        guard case let .configuration(.inFile(path, .inconsistent(what)))? = loadingError(indivisible) else { return XCTFail() }
        XCTAssertEqual(path, indivisible.path)
        XCTAssertTrue(what.contains("num_attention_heads 3"), what)
    }

    func testMissingTensor() throws {
        let url = try editedGGUF(llama, removingTensors: ["blk.1.ffn_up.weight"])
        XCTAssertEqual(loadingError(url), .missingTensor(name: "blk.1.ffn_up.weight"))
    }

    func testWrongShapes() throws {
        // K has 2 KV heads of 16: [32, 64] (GGUF dimensions [64, 32]).
        var url = try editedGGUF(llama, replacingTensors: ["blk.0.attn_k.weight": Tensor.zeros([64, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.0.attn_k.weight", expected: [32, 64], found: [64, 64]))
        // A transposed matrix (dimensions written in row-major order by mistake).
        url = try editedGGUF(llama, name: "transposed.gguf", replacingTensors: ["blk.2.ffn_down.weight": Tensor.zeros([128, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "blk.2.ffn_down.weight", expected: [64, 128], found: [128, 64]))
        url = try editedGGUF(llama, name: "norm.gguf", replacingTensors: ["output_norm.weight": Tensor.zeros([1, 64])])
        XCTAssertEqual(loadingError(url), .shapeMismatch(name: "output_norm.weight", expected: [64], found: [1, 64]))
    }

    func testUnknownTensorsAreNotIgnored() throws {
        for name in ["rope_freqs.weight", "blk.0.attn_q.bias", "blk.3.attn_norm.weight"] {
            let url = try editedGGUF(llama, addingTensors: [(name, Tensor.zeros([8]))])
            XCTAssertEqual(loadingError(url), .unexpectedTensor(name: name, file: "edited.gguf"), name)
        }
    }

    func testTensorTypesThatAreNotDequantised() throws {
        let blocks = [UInt8](repeating: 0, count: 256 * 64 * 4)
        let url = try editedGGUF(llama, rawTensors: [(name: "token_embd.weight", shape: [256, 64], type: .i32, blocks: blocks)])
        XCTAssertEqual(loadingError(url), .gguf(.unsupportedTensorType(path: url.path, tensor: "token_embd.weight", type: .i32)))
    }

    func testUnreadableFiles() throws {
        let missing = directory.appendingPathComponent("absent.gguf")
        guard case .gguf(.cannotOpenFile(missing.path, _))? = loadingError(missing) else { return XCTFail() }
        let notGGUF = directory.appendingPathComponent("not.gguf")
        try Data("not a gguf file at all".utf8).write(to: notGGUF)
        guard case .gguf(.badMagic)? = loadingError(notGGUF) else { return XCTFail() }
    }
}
