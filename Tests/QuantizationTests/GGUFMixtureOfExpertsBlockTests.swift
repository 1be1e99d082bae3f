import Foundation
import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// `MiniCPM(keepingQuantizedBlocksOf:)` on mixture-of-experts GGUF files: each expert projection is
/// a ``GGUFBlockLinear`` over its byte range of llama.cpp's stacked `ffn_*_exps` tensor, the router
/// stays a float tensor, and the logits are the float loader's on the same file.
final class GGUFMixtureOfExpertsBlockTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-moe-blocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testExpertsAreKeptInBlocksAndMatchTheFloatLoader() throws {
        let model = try smallMixtureOfExperts()
        GGUFBlockLinear.usesIntegerDotProducts = false   // float decode kernels: float rounding only
        defer { cq_gguf_set_integer_decode(-1) }
        for type: GGUFTensorType in [.q8_0, .q4_0, .q4_1, .f16] {
            let url = directory.appendingPathComponent("moe-\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let file = try GGUFFile(contentsOf: url)
            let blocks = try MiniCPM(keepingQuantizedBlocksOf: file)
            let dense = try MiniCPM(gguf: file)
            let experts = blocks.linearLayers.filter { $0.name.contains(".experts.") }
            XCTAssertEqual(experts.count, 2 * 4 * 3, "\(type)")
            for (name, layer) in experts {
                let block = try XCTUnwrap(layer as? GGUFBlockLinear, "\(type) \(name)")
                XCTAssertEqual(block.type, type, name)
                // Each expert's blocks are its own slice: the same weight the float loader dequantised.
                let denseLayer = try XCTUnwrap(dense.linearLayers.first { $0.name == name }?.layer as? Linear)
                XCTAssertTrue(block.dequantizedWeight().scalars == denseLayer.weight.scalars, "\(type) \(name)")
            }
            XCTAssertNotNil(blocks.namedParameters.first { $0.name == "model.layers.1.mlp.gate.weight" }, "the router stays float")
            for tokens in [[5], [1, 7, 42, 3], Array(0 ..< 12)] {   // decode, block and prefill paths
                let expected = try withoutGradients { try dense.logits(for: tokens) }
                let got = try withoutGradients { try blocks.logits(for: tokens) }
                let scale = max(1, expected.scalars.map(abs).max()!)
                let difference = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(difference, 1e-4 * scale, "\(type) tokens \(tokens)")
            }
        }
    }

    /// A block model's experts are not Float weights: saving it again is refused naming the stack.
    func testSavingKeptExpertsIsRefused() throws {
        let url = directory.appendingPathComponent("moe.gguf")
        try smallMixtureOfExperts().saveGGUF(to: url, type: .q8_0)
        let blocks = try MiniCPM(keepingQuantizedBlocksOfGGUFAt: url)
        let again = directory.appendingPathComponent("again.gguf")
        XCTAssertThrowsError(try blocks.saveGGUF(to: again)) { error in
            guard case let .writeFailed(path, reason) = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, again.path)
            XCTAssertTrue(reason.contains("has no Float weight"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: again.path))
    }

    func testExpertSliceErrors() throws {
        let url = directory.appendingPathComponent("moe.gguf")
        try smallMixtureOfExperts().saveGGUF(to: url, type: .q8_0)
        let file = try GGUFFile(contentsOf: url)
        for (name, expert) in [("blk.0.ffn_up_exps.weight", 4), ("blk.0.ffn_up_exps.weight", -1), ("blk.0.attn_q.weight", 0)] {
            XCTAssertThrowsError(try GGUFBlockLinear(file: file, tensorNamed: name, expert: expert)) { error in
                guard case let .incompatibleShape(tensor, _, _) = error as? QuantizationError else { return XCTFail("\(error)") }
                XCTAssertEqual(tensor, name)
            }
        }
        // Expert 3 of 4 is the last quarter of the bytes.
        let last = try GGUFBlockLinear(file: file, tensorNamed: "blk.1.ffn_down_exps.weight", expert: 3)
        XCTAssertEqual([last.outputFeatures, last.inputFeatures], [64, 32])
        let all = try file.tensor(named: "blk.1.ffn_down_exps.weight").scalars
        XCTAssertTrue(last.dequantizedWeight().scalars == Array(all[3 * 64 * 32 ..< 4 * 64 * 32]))
    }
}
