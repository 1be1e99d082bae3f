import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// A layer count read from a file is checked against the tensors the file holds before anything is
/// built per layer: a forged count fails at once with a typed error, instead of building millions of
/// layers (issue 11, hole 6).
final class UntrustedCountTests: TemporaryDirectoryTestCase {
    private let forgedLayers = 1_000_000

    /// Runs `body`, returning its `CheckpointError` and failing unless it took well under a second.
    private func quickError<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> CheckpointError? {
        let start = Date()
        let error = checkpointError(body, file: file, line: line)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, 0.5, "took \(seconds) s", file: file, line: line)
        return error
    }

    func testGGUFBlockCountBeyondTheTensorsFailsAtOnce() throws {
        let url = try editedGGUF(ggufFixtureURL("llama-q8_0.gguf"), setting: [("llama.block_count", .uint32(UInt32(forgedLayers)))])
        let reason = "the file does not hold that many layers: 3 layers have tensors (blk.0 to blk.2)"
        XCTAssertEqual(quickError { try MiniCPM(ggufFile: url) },
                       .invalidMetadata(key: "llama.block_count", value: "\(forgedLayers)", reason: reason, path: url.path))
        XCTAssertEqual(quickError { try MiniCPMConfiguration(gguf: GGUFFile(contentsOf: url)) },
                       .invalidMetadata(key: "llama.block_count", value: "\(forgedLayers)", reason: reason, path: url.path))
    }

    func testOneForgedHighLayerTensorDoesNotVouchForTheLayersBelowIt() throws {
        // blk.999999 exists, but blk.3 ... blk.999998 do not: the count is still refused up front.
        let url = try editedGGUF(ggufFixtureURL("llama-q8_0.gguf"),
                                 setting: [("llama.block_count", .uint32(UInt32(forgedLayers)))],
                                 addingTensors: [("blk.\(forgedLayers - 1).attn_norm.weight", Tensor.zeros([64]))])
        guard case let .invalidMetadata(key, _, reason, _)? = quickError({ try MiniCPM(ggufFile: url) }) else { return XCTFail() }
        XCTAssertEqual(key, "llama.block_count")
        XCTAssertTrue(reason.hasSuffix("4 layers have tensors (blk.N, N up to 999999, with gaps)"), reason)
    }

    /// A copy of the tiny-minicpm checkpoint with `edits` applied to its config.json; returns the
    /// checkpoint directory and its config.json.
    private func forgedCheckpoint(_ edits: [String: Any]) throws -> (URL, URL) {
        let source = fixtureURL("tiny-minicpm")
        let checkpoint = directory.appendingPathComponent("forged-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: checkpoint.appendingPathComponent("model.safetensors"))
        var config = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: source.appendingPathComponent("config.json"))) as? [String: Any])
        config.merge(edits) { _, new in new }
        let configURL = checkpoint.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        return (checkpoint, configURL)
    }

    func testConfigJSONLayerCountBeyondTheWeightsFailsAtOnce() throws {
        let (checkpoint, configURL) = try forgedCheckpoint(["num_hidden_layers": forgedLayers])
        XCTAssertEqual(quickError { try MiniCPM(directory: checkpoint) },
                       .configuration(.inFile(path: configURL.path, .inconsistent(
                           "num_hidden_layers is \(forgedLayers), but in the weights 4 layers have tensors (model.layers.0 to model.layers.3)"))))
    }

    func testHugeConfigJSONSizesFailOnTheFirstShape() throws {
        let huge = 1 << 60
        let (checkpoint, _) = try forgedCheckpoint(["vocab_size": huge, "hidden_size": huge, "intermediate_size": huge])
        XCTAssertEqual(quickError { try MiniCPM(directory: checkpoint) },
                       .shapeMismatch(name: "model.embed_tokens.weight", expected: [huge, huge], found: [512, 64]))
    }

    func testForgedSizesFailOnTensorShapesBeforeAnythingIsRead() throws {
        // Sizes other than the layer count are checked against the tensors' shapes before any tensor
        // is read or anything sized by them is allocated.
        let llama = ggufFixtureURL("llama-q8_0.gguf")
        let vocabulary = try editedGGUF(llama, setting: [("llama.vocab_size", .uint32(2_000_000_000))])
        XCTAssertEqual(quickError { try MiniCPM(ggufFile: vocabulary) },
                       .shapeMismatch(name: "token_embd.weight", expected: [2_000_000_000, 64], found: [256, 64]))
        let feedForward = try editedGGUF(llama, name: "ffn.gguf", setting: [("llama.feed_forward_length", .uint32(2_000_000_000))])
        guard case let .shapeMismatch(name, _, _)? = quickError({ try MiniCPM(ggufFile: feedForward) }) else { return XCTFail() }
        XCTAssertEqual(name, "blk.0.ffn_gate.weight")
        // The hidden size sizes the rotary frequency table (hidden / heads / 2 entries), built before
        // the per-layer tensors are checked; it is checked against token_embd first.
        let hidden = try editedGGUF(llama, name: "hidden.gguf", removingKeys: ["llama.rope.dimension_count"], setting: [("llama.embedding_length", .uint32(1 << 30))])
        XCTAssertEqual(quickError { try MiniCPM(ggufFile: hidden) },
                       .shapeMismatch(name: "token_embd.weight", expected: [256, 1 << 30], found: [256, 64]))
    }

    /// Docs/Reliability.md bounds parsed GGUF metadata by the file size: the smallest array element
    /// (one byte in the file) becomes one `GGUFValue`, at most 32 bytes.
    func testParsedGGUFValuesAreAtMost32BytesEach() throws {
        XCTAssertLessThanOrEqual(MemoryLayout<GGUFValue>.stride, 32)
        var writer = GGUFWriter()
        try writer.setValue(.array(elementType: .uint8, elements: Array(repeating: .uint8(7), count: 100_000)), forKey: "k")
        let url = directory.appendingPathComponent("array.gguf")
        try writer.write(to: url)
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        XCTAssertLessThan(try XCTUnwrap(attributes[.size] as? Int), 100_200)
        XCTAssertEqual(try GGUFFile(contentsOf: url).metadata["k"]?.arrayValue?.count, 100_000)
    }
}
