import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// Quantizing a mixture-of-experts model: every expert projection becomes an int4 layer through
/// the linear-layer seam, the router stays float, and GPTQ calibrates each expert on the rows
/// routed to it.
final class MixtureOfExpertsQuantizationTests: XCTestCase {
    func moeModel() throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 96, hiddenSize: 64, intermediateSize: 64, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.expertCount = 4
        c.expertsPerToken = 2
        c.embeddingScale = 4
        return try MiniCPM(configuration: c, seed: 11)
    }

    /// Round-to-nearest: the quantized model computes exactly what a float model holding the
    /// dequantized weights computes (so routing and combining run through the substituted layers),
    /// and its router is the original float tensor.
    func testRoundToNearestReplacesEveryExpertProjection() throws {
        let model = try moeModel()
        let quantized = try quantizeLinearLayers(of: model, groupSize: 32)
        let experts = quantized.linearLayers.filter { $0.name.contains(".experts.") }
        XCTAssertEqual(experts.count, 2 * 4 * 3)
        XCTAssertTrue(experts.allSatisfy { $0.layer is Int4Linear })
        let router = { (m: MiniCPM) in m.namedParameters.first { $0.name == "model.layers.1.mlp.gate.weight" }?.value }
        XCTAssertEqual(router(quantized), router(model))

        var dequantized = quantized
        dequantized.mapLinearLayers { _, layer in
            (layer as? Int4Linear).map { Linear(weight: $0.packed.dequantized()) } ?? layer
        }
        let ids = [3, 50, 7, 91, 22, 64, 5, 13]
        let a = try withoutGradients { try quantized.logits(for: ids) }
        let b = try withoutGradients { try dequantized.logits(for: ids) }
        XCTAssertLessThan(zip(a.scalars, b.scalars).map { abs($0 - $1) }.max()!, 1e-4)
    }

    /// GPTQ: each expert's w1/w3 Hessian holds exactly the calibration rows routed to it, so the
    /// first layer's experts' sample counts add up to tokens × k; every expert is quantized with
    /// finite weights (also one that no calibration token reaches, if any).
    func testGPTQCalibratesEachExpertOnItsRoutedRows() throws {
        let model = try moeModel()
        let calibration = [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [40, 41, 42, 43, 44, 45]]
        var samples: [String: Int] = [:]
        let quantized = try quantizeLinearLayersWithGPTQ(of: model, calibration: calibration,
                                                         options: GPTQOptions(groupSize: 32)) { samples[$0.name] = $0.sampleCount }
        let firstLayerW1 = (0..<4).map { samples["model.layers.0.mlp.experts.\($0).w1"] ?? -1 }
        XCTAssertEqual(firstLayerW1.reduce(0, +), 16 * 2, "\(firstLayerW1)")
        for e in 0..<4 {
            XCTAssertEqual(samples["model.layers.0.mlp.experts.\(e).w3"], firstLayerW1[e], "w1 and w3 read the same rows")
        }
        let experts = quantized.linearLayers.filter { $0.name.contains(".experts.") }
        XCTAssertEqual(experts.count, 24)
        for (name, layer) in experts {
            let int4 = try XCTUnwrap(layer as? Int4Linear, name)
            XCTAssertTrue(int4.packed.dequantized().scalars.allSatisfy(\.isFinite), name)
        }
        let logits = try withoutGradients { try quantized.logits(for: [1, 2, 3]) }
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
    }

    /// An int4 MoE model saved in the AutoGPTQ layout (experts' `qweight`/`qzeros`/`scales` under
    /// their Hugging Face names, the router as a float tensor) loads back to the same logits.
    func testInt4CheckpointRoundTrip() throws {
        let quantized = try quantizeLinearLayers(of: try moeModel(), groupSize: 32)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moe-int4-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try quantized.saveInt4Checkpoint(to: directory)
        let reloaded = try MiniCPM(int4CheckpointAt: directory)
        XCTAssertEqual(reloaded.configuration.expertCount, 4)
        XCTAssertTrue(reloaded.linearLayers.filter { $0.name.contains(".experts.") }.allSatisfy { $0.layer is Int4Linear })
        let ids = [9, 4, 77, 31]
        XCTAssertEqual(try withoutGradients { try reloaded.logits(for: ids) }, try withoutGradients { try quantized.logits(for: ids) })
    }
}
