import Foundation
import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// The direct inference path of ``MixtureOfExperts`` with quantized experts (any ``LinearLayer``):
/// int4 and GGUF-block experts give the recorded path's values bit for bit (k = 2).
final class MixtureOfExpertsQuantizedInferencePathTests: XCTestCase {
    private func checkBlocks(of model: MiniCPM, _ label: String) throws {
        for layer in model.layers {
            let fast = try XCTUnwrap(layer.feedForward as? MixtureOfExperts)
            var recorded = fast
            recorded.usesInferencePath = false
            var generator = SeededRandom(seed: 8)
            for shape in [[2, 9, 64], [1, 1, 64]] {
                let x = Tensor.normal(shape, standardDeviation: 1, using: &generator)
                let got = withoutGradients { fast(x) }
                let expected = withoutGradients { recorded(x) }
                XCTAssertGreaterThan(expected.scalars.map(abs).max() ?? 0, 1e-3, "\(label): a non-trivial output")
                XCTAssertEqual(got.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(label) \(shape)")
            }
        }
    }

    func testInt4Experts() throws {
        let quantized = try quantizeLinearLayers(of: smallMixtureOfExperts(initializerRange: 0.2), groupSize: 32)
        XCTAssertTrue(quantized.linearLayers.filter { $0.name.contains(".experts.") }.allSatisfy { $0.layer is Int4Linear })
        try checkBlocks(of: quantized, "int4")
    }

    func testGGUFBlockExperts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moe-inference-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("moe-q4_0.gguf")
        try smallMixtureOfExperts(initializerRange: 0.2).saveGGUF(to: url, type: .q4_0)
        let blocks = try MiniCPM(keepingQuantizedBlocksOf: GGUFFile(contentsOf: url))
        XCTAssertTrue(blocks.linearLayers.filter { $0.name.contains(".experts.") }.allSatisfy { $0.layer is GGUFBlockLinear })
        try checkBlocks(of: blocks, "q4_0 blocks")
    }
}
