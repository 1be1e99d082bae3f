import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// `MiniCPM.saveGGUF(to:type:tokenizer:)` with llama.cpp's block types Q4_0, Q4_1 and Q8_0, and the
/// tokenizer metadata every saved file carries.
final class GGUFQuantizedSaveTests: TemporaryDirectoryTestCase {
    private static let blockTypes: [GGUFTensorType] = [.q4_0, .q4_1, .q8_0]

    /// Two layers; `intermediateSize` 48 makes `ffn_down`'s rows (48 long) not whole blocks of 32.
    private func model(tied: Bool, intermediateSize: Int = 96) throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 64, intermediateSize: intermediateSize, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 2
        c.depthScale = 1.4
        c.baseModelDimension = 16
        c.tieWordEmbeddings = tied
        c.eosTokenIDs = [2]
        c.bosTokenID = 1
        return try MiniCPM(configuration: c, seed: 11)
    }

    private static func roundTrip(_ tensor: Tensor, _ type: GGUFTensorType) throws -> [Float] {
        let blocks = try GGUFQuantization.quantize(tensor, named: "x", as: type)
        var back = [Float](repeating: 0, count: tensor.count)
        blocks.withUnsafeBytes { source in
            back.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
        }
        return back
    }

    /// The tensor types llama-quantize would choose, and `init(gguf:)` reads back every matrix as the
    /// dequantisation of its blocks (quantisation is per row, so llama.cpp's Q/K row order does not
    /// change the values) and every norm exactly.
    func testBlockTypesLoadBackAsTheirDequantisation() throws {
        for tied in [true, false] {
            let model = try model(tied: tied)
            for type in Self.blockTypes {
                let url = directory.appendingPathComponent("model-\(type)-\(tied).gguf")
                try model.saveGGUF(to: url, type: type)
                let file = try GGUFFile(contentsOf: url)
                XCTAssertEqual(file.integer(forKey: "general.file_type"), [GGUFTensorType.q4_0: 2, .q4_1: 3, .q8_0: 7][type])
                XCTAssertEqual(file.integer(forKey: "general.quantization_version"), 2)
                XCTAssertEqual(file.string(forKey: "tokenizer.ggml.model"), "none")
                let outputName = tied ? "token_embd.weight" : "output.weight"
                for info in file.tensorInfos {
                    let expected: GGUFTensorType = info.shape.count == 1 ? .f32 : info.name == outputName ? .q8_0 : type
                    XCTAssertEqual(info.type, expected, "\(type) \(info.name)")
                }
                if !tied { XCTAssertEqual(try file.info(named: "token_embd.weight").type, type) }
                let loaded = try MiniCPM(gguf: file)
                XCTAssertEqual(loaded.configuration.hiddenSize, 64)
                XCTAssertEqual(loaded.configuration.tieWordEmbeddings, tied)
                let output = tied ? "model.embed_tokens.weight" : "lm_head.weight"
                for ((name, value), (_, original)) in zip(loaded.namedParameters, model.namedParameters) {
                    let expected = original.rank == 1 ? original.scalars
                        : try Self.roundTrip(original, name == output ? .q8_0 : type)
                    XCTAssertTrue(value.scalars == expected, "\(type) \(name)")
                }
            }
        }
    }

    /// Rows that are not whole blocks fall back to F16, as llama.cpp's converter does.
    func testRaggedRowsFallBackToF16() throws {
        let model = try model(tied: true, intermediateSize: 48)
        let url = directory.appendingPathComponent("ragged.gguf")
        try model.saveGGUF(to: url, type: .q4_0)
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(try file.info(named: "blk.0.ffn_down.weight").type, .f16)
        XCTAssertEqual(try file.info(named: "blk.0.ffn_up.weight").type, .q4_0)   // rows of 64
        let loaded = try MiniCPM(gguf: file)
        let down = try XCTUnwrap(loaded.namedParameters.first { $0.name == "model.layers.0.mlp.down_proj.weight" }?.value)
        let original = try XCTUnwrap(model.namedParameters.first { $0.name == "model.layers.0.mlp.down_proj.weight" }?.value)
        XCTAssertEqual(down.scalars, HalfPrecision.floats(from: HalfPrecision.float16s(from: original.scalars)))
    }

    /// The tokenizer metadata given is written as given (and wins over the configuration's special
    /// ids); a model saved and loaded again keeps it when passed through `metadata(withPrefix:)`.
    func testTokenizerMetadataIsWritten() throws {
        let model = try model(tied: true)
        let tokens = (0 ..< 64).map { "t\($0)" }
        let tokenizer: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(elementType: .string, elements: tokens.map { .string($0) })),
            ("tokenizer.ggml.merges", .array(elementType: .string, elements: [.string("t 1")])),
            ("tokenizer.ggml.bos_token_id", .uint32(5)),
        ]
        let first = directory.appendingPathComponent("first.gguf")
        try model.saveGGUF(to: first, type: .q8_0, tokenizer: tokenizer)
        let file = try GGUFFile(contentsOf: first)
        XCTAssertEqual(file.string(forKey: "tokenizer.ggml.model"), "gpt2")
        XCTAssertEqual(file.strings(forKey: "tokenizer.ggml.tokens"), tokens)
        XCTAssertEqual(file.integer(forKey: "tokenizer.ggml.bos_token_id"), 5)
        XCTAssertEqual(file.integer(forKey: "tokenizer.ggml.eos_token_id"), 2)
        let copied = file.metadata(withPrefix: "tokenizer.")
        XCTAssertEqual(Set(copied.map(\.key)), Set(tokenizer.map(\.key) + ["tokenizer.ggml.eos_token_id"]))
        let second = directory.appendingPathComponent("second.gguf")
        try MiniCPM(gguf: file).saveGGUF(to: second, type: .q4_1, tokenizer: copied)
        let again = try GGUFFile(contentsOf: second)
        for (key, value) in copied { XCTAssertEqual(again.metadata[key], value, key) }
    }

    func testSavingRefusesBadTokenizerMetadataAndNonFiniteWeights() throws {
        let model = try model(tied: true)
        let url = directory.appendingPathComponent("bad.gguf")
        guard case let .invalidMetadata(key, _, _, _)? = checkpointError({
            try model.saveGGUF(to: url, type: .q8_0, tokenizer: [("general.name", .string("x"))])
        }) else { return XCTFail() }
        XCTAssertEqual(key, "general.name")
        guard case let .invalidMetadata(key2, _, _, _)? = checkpointError({
            try model.saveGGUF(to: url, tokenizer: [("tokenizer.ggml.tokens", .array(elementType: .string, elements: []))])
        }) else { return XCTFail() }
        XCTAssertEqual(key2, "tokenizer.ggml.model")
        XCTAssertEqual(checkpointError { try model.saveGGUF(to: url, type: .q4_K) }, .unsupportedDType(name: "(save)", dtype: "Q4_K"))

        var parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.value) })
        var scalars = try XCTUnwrap(parameters["model.layers.1.mlp.up_proj.weight"]).scalars
        scalars[70] = .infinity
        parameters["model.layers.1.mlp.up_proj.weight"] = Tensor(shape: [96, 64], scalars: scalars)
        let broken = try MiniCPM(configuration: model.configuration) { parameters[$0.name]! }
        guard case let .writeFailed(_, reason)? = checkpointError({ try broken.saveGGUF(to: url, type: .q4_0) }) else { return XCTFail() }
        XCTAssertTrue(reason.contains("blk.1.ffn_up.weight") && reason.contains("element 70"), reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    /// A linear layer substituted by one that holds no `Float` weight (as GGUF-block layers do) is
    /// named, not silently left out of the file.
    func testSubstitutedLayerWithoutWeightIsNamed() throws {
        var model = try model(tied: true)
        model.mapLinearLayers { name, layer in
            name == "model.layers.1.self_attn.v_proj" ? OpaqueLinear(wrapped: layer) : layer
        }
        let url = directory.appendingPathComponent("substituted.gguf")
        guard case let .writeFailed(_, reason)? = checkpointError({ try model.saveGGUF(to: url, type: .q8_0) }) else { return XCTFail() }
        XCTAssertTrue(reason.hasPrefix("blk.1.attn_v.weight (model.layers.1.self_attn.v_proj.weight)"), reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    /// llama.cpp's Python package reads the file, and its own quantiser, given the F32 file of the same
    /// model, produces the same blocks. Skipped without the virtual environment that has gguf-py
    /// (`$MINICPM_DATA/llama-venv`).
    func testGGUFPyReadsTheFileAndQuantisesTheSameBlocks() throws {
        let data = ProcessInfo.processInfo.environment["MINICPM_DATA"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".data")
        let python = data.appendingPathComponent("llama-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw XCTSkip("no gguf-py virtual environment at \(python.path)")
        }
        let model = try model(tied: false, intermediateSize: 48)
        let f32 = directory.appendingPathComponent("model-f32.gguf")
        try model.saveGGUF(to: f32)
        let script = """
        import sys, numpy as np
        from gguf import GGUFReader
        from gguf.quants import quantize
        from gguf.constants import GGMLQuantizationType as T
        ref = {t.name: t for t in GGUFReader(sys.argv[1]).tensors}
        for path in sys.argv[2:]:
            r = GGUFReader(path)
            assert str(bytes(r.fields["tokenizer.ggml.model"].parts[-1]), "utf-8") == "none"
            for t in r.tensors:
                x = np.array(ref[t.name].data, dtype=np.float32).reshape(list(reversed([int(n) for n in t.shape])))
                if t.tensor_type in (T.Q4_0, T.Q4_1, T.Q8_0):
                    expected = quantize(x, t.tensor_type).tobytes()
                elif t.tensor_type == T.F16:
                    expected = x.astype(np.float16).tobytes()
                else:
                    expected = x.tobytes()
                assert bytes(t.data.tobytes()) == expected, (path, t.name, t.tensor_type.name)
        print("ok", len(sys.argv) - 2)
        """
        var paths: [String] = []
        for type in Self.blockTypes {
            let url = directory.appendingPathComponent("model-\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            paths.append(url.path)
        }
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, f32.path] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok 3")
    }
}

/// A linear layer whose weight is not a `Float` parameter.
private struct OpaqueLinear: LinearLayer {
    var wrapped: any LinearLayer
    var inputFeatures: Int { wrapped.inputFeatures }
    var outputFeatures: Int { wrapped.outputFeatures }
    func callAsFunction(_ x: Tensor) -> Tensor { wrapped(x) }
    func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {}
    mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {}
}
