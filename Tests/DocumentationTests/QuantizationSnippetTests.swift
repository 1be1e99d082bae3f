import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// Runs the snippet of `Docs/Quantization.md` on a tiny random model: the reloaded int4 checkpoint
/// computes what the quantised model does, every linear layer became int4, and the Q4_0 file it
/// writes loads with its layers kept in blocks.
final class QuantizationSnippetTests: XCTestCase {
    func testQuantizingAModel() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quantization-snippet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let configuration = MiniCPMConfiguration(vocabularySize: 256, hiddenSize: 64, intermediateSize: 128, layerCount: 2,
                                                 attentionHeadCount: 4, keyValueHeadCount: 2)
        let source = root.appendingPathComponent("float")
        let model = try MiniCPM(configuration: configuration, seed: 3)
        try model.save(to: source)
        let gguf = root.appendingPathComponent("model.q8_0.gguf")
        try model.saveGGUF(to: gguf, type: .q8_0)
        let calibration = (0..<4).map { s in (0..<32).map { (s * 37 + $0 * 11) % 256 } }
        let q4 = root.appendingPathComponent("model.q4_0.gguf")

        let (quantized, reloaded, blocks) = try QuantizationSnippets.quantizingAModel(
            sourceURL: source, calibrationTokenIDs: calibration, outputURL: root.appendingPathComponent("int4"),
            ggufURL: gguf, q4URL: q4)

        let probe = [1, 7, 42, 200]
        XCTAssertEqual(try reloaded.logits(for: probe).scalars, try quantized.logits(for: probe).scalars)
        XCTAssertEqual(quantized.linearLayers.filter { $0.layer is Int4Linear }.count, 14)
        XCTAssertEqual(blocks.linearLayers.filter { $0.layer is GGUFBlockLinear }.count, 15)   // 14 + the tied head
        XCTAssertEqual(try GGUFFile(contentsOf: q4).info(named: "blk.1.ffn_down.weight").type, .q4_0)
    }
}
