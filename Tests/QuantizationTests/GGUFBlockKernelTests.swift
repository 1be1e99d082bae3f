import CQuantKernels
import TensorCore
import XCTest

/// The C block kernels, portable and AVX2, against ggml's dequantisation followed by a dot product
/// in Double.
final class GGUFBlockKernelTests: XCTestCase {
    static let types: [GGUFTensorType] = [.q8_0, .q4_0, .q4_1]

    override func tearDown() { cq_force_portable(0) }

    /// The test quantiser's blocks decode (through TensorCore) close to what was quantised, so the
    /// layouts the kernels are checked on are llama.cpp's.
    func testFixtureBlocksDecodeToTheQuantisedValues() {
        let values = GGUFBlockFixtures.gaussian(256, seed: 1)
        for (type, tolerance) in [(GGUFTensorType.q8_0, Float(0.03)), (.q4_0, 0.5), (.q4_1, 0.4)] {
            let blocks = GGUFBlockFixtures.quantize(values, as: type)
            XCTAssertEqual(blocks.count, 256 / 32 * type.bytesPerBlock)
            let decoded = GGUFBlockFixtures.dequantize(blocks, as: type, count: 256)
            let error = zip(values, decoded).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(error, tolerance, "\(type)")
        }
    }

    /// Random bytes (any nibble, any int8) under finite random scales: every bit pattern of the
    /// quantised values is covered, rows of 1 to 9 blocks.
    func testDotMatchesDequantisedDotInBothKernels() {
        var generator = SystemRandomNumberGenerator()
        for type in Self.types {
            for blocks in 1 ... 9 {
                let columns = blocks * 32
                var bytes = (0 ..< blocks * type.bytesPerBlock).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                for b in 0 ..< blocks {
                    let base = b * type.bytesPerBlock
                    for scale in 0 ..< (type == .q4_1 ? 2 : 1) {
                        let bits = HalfPrecision.float16Bits(Float.random(in: -0.1 ... 0.1, using: &generator))
                        bytes[base + 2 * scale] = UInt8(bits & 0xFF); bytes[base + 2 * scale + 1] = UInt8(bits >> 8)
                    }
                }
                let x = (0 ..< columns).map { _ in Float.random(in: -2 ... 2, using: &generator) }
                let w = GGUFBlockFixtures.dequantize(bytes, as: type, count: columns)
                let exact = zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let magnitude = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                for portable in [true, false] {
                    cq_force_portable(portable ? 1 : 0)
                    let dot = bytes.withUnsafeBytes { cq_gguf_dot(Int32(type.rawValue), $0.baseAddress, x, columns) }
                    XCTAssertEqual(Double(dot), exact, accuracy: 1e-5 * magnitude + 1e-7, "\(type) \(blocks) blocks portable \(portable)")
                }
                let portable = bytes.withUnsafeBytes { cq_gguf_dot_portable(Int32(type.rawValue), $0.baseAddress, x, columns) }
                XCTAssertEqual(Double(portable), exact, accuracy: 1e-5 * magnitude + 1e-7)
            }
        }
    }

    /// The row-range matmul writes exactly rows [r0, r1) of every input row, each the kernel's dot
    /// product, following a row map when given one.
    func testRowRangeMatmulWritesOnlyItsRows() {
        let (rows, columns, inputs) = (7, 96, 3)
        for type in Self.types {
            let weights = GGUFBlockFixtures.quantize(GGUFBlockFixtures.gaussian(rows * columns, seed: 2), as: type)
            let rowBytes = columns / 32 * type.bytesPerBlock
            let x = GGUFBlockFixtures.gaussian(inputs * columns, seed: 3)
            GGUFBlockFixtures.checkRowRange(rows: rows, inputs: inputs, label: "\(type)") { map, y in
                weights.withUnsafeBytes { w in
                    cq_gguf_matmul_rows(Int32(type.rawValue), w.baseAddress, rowBytes, map, x, inputs, columns, y, rows, 2, 5)
                }
            } expected: { source, n in
                weights.withUnsafeBytes { w in
                    x.withUnsafeBufferPointer { xs in
                        cq_gguf_dot(Int32(type.rawValue), w.baseAddress! + source * rowBytes, xs.baseAddress! + n * columns, columns)
                    }
                }
            }
        }
    }
}
