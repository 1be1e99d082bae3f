import Foundation
import MiniCPMModel
import TensorCore
import TestSupport
import XCTest

/// The real SmolLM2-135M-Instruct Q4_1 file (`make data`; skipped with a message when absent):
/// llama architecture, Q8_0 embeddings, Q4_1 matrices, 9 query and 3 key/value heads of 64.
///
/// Dequantising all 135M weights takes about 20 s in a debug build (0.2 s in release), so the
/// numerical test loads the file's first two layers and first 4096 embedding rows, copied as they
/// are stored. (The whole model was checked the same way: all logits of the prompt within 6e-5 of
/// the float64 reference.)
final class SmolLM2GGUFTests: TemporaryDirectoryTestCase {
    func testConfiguration() throws {
        let c = try MiniCPMConfiguration(gguf: GGUFFile(contentsOf: smolLM2URL()))
        XCTAssertEqual(c.vocabularySize, 49152)
        XCTAssertEqual(c.hiddenSize, 576)
        XCTAssertEqual(c.intermediateSize, 1536)
        XCTAssertEqual(c.layerCount, 30)
        XCTAssertEqual(c.attentionHeadCount, 9)
        XCTAssertEqual(c.keyValueHeadCount, 3)
        XCTAssertEqual(c.headDimension, 64)
        XCTAssertEqual(c.maxPositionEmbeddings, 8192)
        XCTAssertEqual(c.ropeTheta, 100_000)
        XCTAssertEqual(c.rmsNormEpsilon, 1e-5)
        XCTAssertNil(c.ropeScaling)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertEqual(c.embeddingScale, 1)
        XCTAssertEqual(c.residualScale, 1)
        XCTAssertEqual(c.widthMultiplier, 1)
        XCTAssertEqual(c.bosTokenID, 1)
        XCTAssertEqual(c.eosTokenIDs, [2])
    }

    /// All 272 tensors have the names, shapes and (dequantisable) types the loader expects.
    func testEveryTensorIsOneTheLoaderReads() throws {
        let file = try GGUFFile(contentsOf: smolLM2URL())
        let (d, kv, ff) = (576, 192, 1536)
        var expected: [String: [Int]] = ["token_embd.weight": [49152, d], "output_norm.weight": [d]]
        for layer in 0..<30 {
            for (part, shape) in [("attn_norm", [d]), ("attn_q", [d, d]), ("attn_k", [kv, d]), ("attn_v", [kv, d]),
                                  ("attn_output", [d, d]), ("ffn_norm", [d]), ("ffn_gate", [ff, d]), ("ffn_up", [ff, d]),
                                  ("ffn_down", [d, ff])] {
                expected["blk.\(layer).\(part).weight"] = shape
            }
        }
        XCTAssertEqual(file.tensorInfos.count, expected.count)
        for info in file.tensorInfos {
            XCTAssertEqual(info.shape, expected[info.name], info.name)
            XCTAssertTrue(info.type.isDequantizable, "\(info.name): \(info.type)")
        }
        XCTAssertEqual(try file.info(named: "token_embd.weight").type, .q8_0)
        XCTAssertEqual(try file.info(named: "blk.7.attn_q.weight").type, .q4_1)
    }

    /// The first two layers and 4096 embedding rows load (dequantised, Q/K reordered) and give the
    /// logits of a float64 numpy forward (`ref_forward.py`) over the weights gguf-py dequantises
    /// from the same file (`Fixtures/gguf/smollm2_reference.py --layers 2 --vocab 4096`): the five
    /// largest logits of each position within 1e-3.
    func testTruncatedModelMatchesTheFloat64Reference() throws {
        let source = try GGUFFile(contentsOf: smolLM2URL())
        let (layers, vocabulary) = (2, 4096)
        var writer = GGUFWriter()
        for key in source.metadataKeys {
            try writer.setValue(try XCTUnwrap(source.metadata[key]), forKey: key)
        }
        try writer.setValue(.uint32(UInt32(layers)), forKey: "llama.block_count")
        try writer.setValue(.uint32(UInt32(vocabulary)), forKey: "llama.vocab_size")
        for info in source.tensorInfos {
            var shape = info.shape
            var blocks = try source.rawBytes(ofTensorNamed: info.name)
            if info.name == "token_embd.weight" {           // whole rows of Q8_0 blocks
                blocks = Array(blocks.prefix(blocks.count / shape[0] * vocabulary))
                shape[0] = vocabulary
            } else if info.name.hasPrefix("blk."), let layer = Int(info.name.split(separator: ".")[1]), layer >= layers {
                continue
            }
            try writer.addTensor(named: info.name, shape: shape, type: info.type, blocks: blocks)
        }
        let url = directory.appendingPathComponent("smollm2-2-layers.gguf")
        try writer.write(to: url)

        let model = try MiniCPM(ggufFile: url)
        XCTAssertEqual(model.configuration.layerCount, layers)
        let prompt = [1, 504, 3458, 314]
        let reference: [(ids: [Int], logits: [Float])] = [
            ([365, 30, 28, 281, 216], [22.78129, 21.06699, 20.82351, 20.29385, 20.24836]),
            ([365, 216, 284, 30, 281], [29.58651, 28.15482, 27.46331, 27.28945, 26.94081]),
            ([29, 28, 365, 30, 284], [25.28517, 22.76797, 22.59469, 21.61915, 20.57867]),
            ([30, 365, 28, 216, 253], [24.95632, 23.10787, 22.88152, 22.20535, 21.22254]),
        ]
        let logits = try withoutGradients { try model.logits(for: prompt) }
        XCTAssertEqual(logits.shape, [prompt.count, vocabulary])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
        XCTAssertEqual(logits.argmax(alongAxis: 1), reference.map { $0.ids[0] })
        let scalars = logits.scalars
        for (position, expected) in reference.enumerated() {
            for (id, value) in zip(expected.ids, expected.logits) {
                XCTAssertEqual(scalars[position * vocabulary + id], value, accuracy: 1e-3, "position \(position), token \(id)")
            }
        }
    }
}
