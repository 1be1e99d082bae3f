import Foundation
import TensorCore
import TestSupport
import XCTest

/// Test weights in llama.cpp's Q8_0, Q4_0 and Q4_1 blocks, made by TensorCore's
/// ``GGUFQuantization`` (byte-exact with gguf-py's, i.e. llama.cpp's, reference quantisers), and
/// decoded by ``GGUFDequantization`` (itself tested against gguf-py) for the expected values.
enum GGUFBlockFixtures {
    /// The blocks of `values` (a multiple of 32 of them) as `type`.
    static func quantize(_ values: [Float], as type: GGUFTensorType) -> [UInt8] {
        precondition(values.count % 32 == 0)
        var out = [UInt8](repeating: 0, count: values.count / 32 * type.bytesPerBlock)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBytes { GGUFQuantization.quantize(type, from: source, into: $0) }
        }
        return out
    }

    static func gaussian(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in Float(generator.nextGaussian()) * scale }
    }

    /// ggml's decoding of `blocks` of `type`, `count` values.
    static func dequantize(_ blocks: [UInt8], as type: GGUFTensorType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        blocks.withUnsafeBytes { source in
            out.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
        }
        return out
    }

    /// Checks one call of a row-range kernel over `rows` weight rows and `inputs` input rows, made
    /// by `run(map, y)` for rows [2, 5) with and without the row map [rows − 1, …, 0]: those rows of
    /// every input row hold exactly `expected(source row, input row)`, and the others stay NaN.
    static func checkRowRange(rows: Int, inputs: Int, label: String,
                              run: (_ map: UnsafePointer<Int32>?, _ y: UnsafeMutablePointer<Float>) -> Void,
                              expected: (_ source: Int, _ input: Int) -> Float,
                              file: StaticString = #filePath, line: UInt = #line) {
        let map = (0 ..< rows).map { Int32(rows - 1 - $0) }
        for useMap in [false, true] {
            var y = [Float](repeating: .nan, count: inputs * rows)
            map.withUnsafeBufferPointer { m in
                y.withUnsafeMutableBufferPointer { run(useMap ? m.baseAddress : nil, $0.baseAddress!) }
            }
            for n in 0 ..< inputs {
                for r in 0 ..< rows {
                    let value = y[n * rows + r]
                    guard (2 ..< 5).contains(r) else {
                        XCTAssertTrue(value.isNaN, "\(label) row \(r) input \(n) written", file: file, line: line)
                        continue
                    }
                    XCTAssertEqual(value, expected(useMap ? Int(map[r]) : r, n),
                                   "\(label) map \(useMap) row \(r) input \(n)", file: file, line: line)
                }
            }
        }
    }

    /// Writes to `url` a copy of the GGUF file at `source` whose matrices, except the token
    /// embedding and `keptF32`, are stored as `types` in turn, each with the blocks
    /// `blocks(type, tensor, its position among those matrices)`; everything else is copied as is.
    static func writeBlockCopy(of source: URL, to url: URL, types: [GGUFTensorType], keptF32: String,
                               blocks: (GGUFTensorType, Tensor, Int) -> [UInt8]) throws {
        let file = try GGUFFile(contentsOf: source)
        var writer = GGUFWriter()
        for key in file.metadataKeys where key != "general.alignment" {
            try writer.setValue(file.metadata[key]!, forKey: key)
        }
        var matrix = 0
        for info in file.tensorInfos {
            let tensor = try file.tensor(named: info.name)
            if tensor.rank == 2 && info.name != "token_embd.weight" && info.name != keptF32 {
                let type = types[matrix % types.count]
                try writer.addTensor(named: info.name, shape: tensor.shape, type: type, blocks: blocks(type, tensor, matrix))
                matrix += 1
            } else {
                try writer.addTensor(tensor, named: info.name)
            }
        }
        try writer.write(to: url)
    }
}
