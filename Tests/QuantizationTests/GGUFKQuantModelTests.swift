import Foundation
import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// `MiniCPM(keepingQuantizedBlocksOf:)` on F16, BF16, Q4_K and Q6_K files against the float loader
/// `MiniCPM(gguf:)` on the same file.
final class GGUFKQuantModelTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-kquant-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        cq_force_portable(0)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Widths of whole Q4_K/Q6_K super-blocks: every linear layer's input is 256 features.
    private var configuration: MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: 96, hiddenSize: 256, intermediateSize: 256, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.tieWordEmbeddings = false
        return c
    }

    /// Decode (one token), the row kernels (seven) and the prefill path (twelve), on both kernels:
    /// the block model's logits are the float model's.
    private func assertLogitsMatch(_ url: URL, keptLayers: Int, _ message: String,
                                   file: StaticString = #filePath, line: UInt = #line) throws {
        let gguf = try GGUFFile(contentsOf: url)
        let blocks = try MiniCPM(keepingQuantizedBlocksOf: gguf)
        let dense = try MiniCPM(gguf: gguf)
        let kept = blocks.linearLayers.filter { $0.layer is GGUFBlockLinear }.count
        XCTAssertEqual(kept, keptLayers, "\(message): layers kept in their stored form", file: file, line: line)
        for portable in [true, false] {
            cq_force_portable(portable ? 1 : 0)
            defer { cq_force_portable(0) }
            for tokens in [[5], [1, 7, 42, 3, 95, 0, 18], Array(0 ..< 12)] {
                let expected = try dense.logits(for: tokens)
                let got = try blocks.logits(for: tokens)
                XCTAssertEqual(got.shape, expected.shape, file: file, line: line)
                let scale = max(1, expected.scalars.map(abs).max()!)
                let difference = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(difference, 1e-4 * scale, "\(message) tokens \(tokens) portable \(portable)",
                                         file: file, line: line)
            }
        }
    }

    /// `saveGGUF(type: .f16)` and `.bf16`: every linear layer (and the untied output head) stays half precision.
    func testHalfPrecisionFilesKeepTheirLinearLayers() throws {
        let model = try MiniCPM(configuration: configuration, seed: 3)
        for type: GGUFTensorType in [.f16, .bf16] {
            let url = directory.appendingPathComponent("\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let info = try GGUFFile(contentsOf: url).info(named: "blk.0.attn_q.weight")
            XCTAssertEqual(info.type, type)
            try assertLogitsMatch(url, keptLayers: 2 * 7 + 1, "\(type)")
        }
    }

    /// With tied embeddings the output layer reads the F16/BF16 embedding table in place, as it
    /// reads a Q8_0 table.
    func testTiedOutputLayerReadsTheHalfPrecisionEmbeddingTable() throws {
        var c = configuration
        c.tieWordEmbeddings = true
        let model = try MiniCPM(configuration: c, seed: 4)
        for type: GGUFTensorType in [.f16, .bf16] {
            let url = directory.appendingPathComponent("tied-\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let file = try GGUFFile(contentsOf: url)
            XCTAssertEqual(try file.info(named: "token_embd.weight").type, type)
            XCTAssertTrue(try MiniCPM(keepingQuantizedBlocksOf: file).outputHead is GGUFBlockLinear, "\(type)")
            try assertLogitsMatch(url, keptLayers: 2 * 7 + 1, "tied \(type)")
        }
    }

    /// An F32 file still loads every layer as float.
    func testFloat32FileStaysFloat() throws {
        let url = directory.appendingPathComponent("f32.gguf")
        try MiniCPM(configuration: configuration, seed: 3).saveGGUF(to: url)
        let model = try MiniCPM(keepingQuantizedBlocksOf: try GGUFFile(contentsOf: url))
        XCTAssertFalse(model.linearLayers.contains { $0.layer is GGUFBlockLinear })
    }

    /// A file whose linear weights are random Q4_K and Q6_K super-blocks in turn (one left F32, as
    /// llama.cpp leaves some): the K-quant layers are kept, and the logits are the float loader's.
    func testKQuantFileMatchesTheDequantisedFloatModel() throws {
        let floatURL = directory.appendingPathComponent("float.gguf")
        try MiniCPM(configuration: configuration, seed: 3).saveGGUF(to: floatURL)
        let url = directory.appendingPathComponent("kquant.gguf")
        try GGUFBlockFixtures.writeBlockCopy(of: floatURL, to: url, types: [.q4_K, .q6_K], keptF32: "blk.1.ffn_down.weight") { type, tensor, index in
            GGUFKQuantFixtures.randomRows(type, rows: tensor.shape[0], columns: tensor.shape[1], magnitude: 0.1, seed: UInt64(index + 1))
        }
        let file = try GGUFFile(contentsOf: url)
        XCTAssertEqual(try file.info(named: "blk.0.attn_q.weight").type, .q4_K)
        XCTAssertEqual(try file.info(named: "blk.0.attn_k.weight").type, .q6_K)
        try assertLogitsMatch(url, keptLayers: 2 * 7, "Q4_K/Q6_K")
    }
}
