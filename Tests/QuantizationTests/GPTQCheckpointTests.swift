import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

final class GPTQCheckpointTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gptq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A layer's four tensors survive safetensors with AutoGPTQ's names, dtypes and shapes.
    func testLayerTensorsRoundTripThroughSafetensors() throws {
        var rng = SeededRandom(seed: 3)
        let packed = try PackedInt4Weight(quantizing: Tensor.normal([32, 256], standardDeviation: 0.05, using: &rng), groupSize: 64)
        var writer = SafetensorsWriter()
        try packed.add(to: &writer, named: "model.layers.0.mlp.up_proj")
        let url = try temporaryDirectory().appendingPathComponent("model.safetensors")
        try writer.write(to: url)

        let file = try SafetensorsFile(contentsOf: url)
        let name = "model.layers.0.mlp.up_proj"
        XCTAssertEqual(try file.info(for: name + ".qweight").dtype, .i32)
        XCTAssertEqual(try file.info(for: name + ".qweight").shape, [32, 32])
        XCTAssertEqual(try file.info(for: name + ".qzeros").shape, [4, 4])
        XCTAssertEqual(try file.info(for: name + ".scales").dtype, .f16)
        XCTAssertEqual(try file.info(for: name + ".scales").shape, [4, 32])
        XCTAssertEqual(try file.info(for: name + ".g_idx").shape, [256])
        XCTAssertEqual(try PackedInt4Weight(reading: file, named: name, groupSize: 64), packed)
        XCTAssertThrowsError(try PackedInt4Weight(reading: file, named: name, groupSize: 128))
    }

    func testQuantizeConfigUsesAutoGPTQKeys() throws {
        let url = try temporaryDirectory().appendingPathComponent("quantize_config.json")
        try QuantizeConfig(groupSize: 64).write(to: url)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        XCTAssertEqual(json?["group_size"] as? Int, 64)
        XCTAssertEqual(json?["bits"] as? Int, 4)
        XCTAssertEqual(json?["desc_act"] as? Bool, false)
        XCTAssertEqual(json?["sym"] as? Bool, false)
        XCTAssertEqual(json?["checkpoint_format"] as? String, "gptq")
        XCTAssertEqual(try QuantizeConfig(contentsOf: url), QuantizeConfig(groupSize: 64))
        try Data(#"{"bits":4,"group_size":128,"desc_act":true,"sym":false,"checkpoint_format":"gptq"}"#.utf8).write(to: url)
        XCTAssertThrowsError(try QuantizeConfig(contentsOf: url))
    }
}

extension GPTQCheckpointTests {
    /// A quantised model saved and loaded again computes the same logits bit for bit, with the same
    /// int4 layers.
    func testWholeModelRoundTrip() throws {
        var c = MiniCPMConfiguration(vocabularySize: 40, hiddenSize: 64, intermediateSize: 96, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.tieWordEmbeddings = false
        let quantised = try quantizeLinearLayers(of: try MiniCPM(configuration: c, seed: 5), groupSize: 32)
        let directory = try temporaryDirectory()
        try quantised.saveInt4Checkpoint(to: directory)
        XCTAssertEqual(try QuantizeConfig(contentsOf: directory.appendingPathComponent("quantize_config.json")).groupSize, 32)
        let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(file.contains("model.layers.1.mlp.down_proj.qzeros"))
        XCTAssertTrue(file.contains("lm_head.weight"), "the output head stays float")
        XCTAssertFalse(file.contains("model.layers.0.self_attn.q_proj.weight"))

        let loaded = try MiniCPM(int4CheckpointAt: directory)
        XCTAssertEqual(loaded.linearLayers.filter { $0.layer is Int4Linear }.count, 14)
        for ((_, a), (_, b)) in zip(loaded.linearLayers, quantised.linearLayers) {
            XCTAssertEqual((a as? Int4Linear)?.packed, (b as? Int4Linear)?.packed)
        }
        let tokens = [1, 4, 9, 16, 25]
        XCTAssertEqual(try loaded.logits(for: tokens).scalars, try quantised.logits(for: tokens).scalars)
    }
}
