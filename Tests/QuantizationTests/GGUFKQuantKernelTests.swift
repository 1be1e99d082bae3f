import CQuantKernels
import TensorCore
import TestSupport
import XCTest

/// The Q4_K, Q6_K, F16 and BF16 row kernels behind `cq_gguf_matmul_rows`, portable and AVX2,
/// against TensorCore's dequantisation (tested against gguf-py) followed by a dot product in Double.
final class GGUFKQuantKernelTests: XCTestCase {
    override func tearDown() { cq_force_portable(0) }

    /// `inputs` input rows times `rows` weight rows through the C row dispatcher.
    private func matmulRows(_ type: GGUFTensorType, _ weights: [UInt8], rows: Int, columns: Int, x: [Float], inputs: Int,
                            map: [Int32]? = nil, range: Range<Int>? = nil) -> [Float] {
        let range = range ?? 0 ..< rows
        let rowBytes = columns / type.blockSize * type.bytesPerBlock
        var y = [Float](repeating: .nan, count: inputs * rows)
        weights.withUnsafeBytes { w in
            y.withUnsafeMutableBufferPointer { out in
                (map ?? []).withUnsafeBufferPointer { m in
                    cq_gguf_matmul_rows(Int32(type.rawValue), w.baseAddress, rowBytes, map == nil ? nil : m.baseAddress,
                                        x, inputs, columns, out.baseAddress, rows, range.lowerBound, range.upperBound)
                }
            }
        }
        return y
    }

    func testDispatcherHandsTheseTypesToTheKQuantKernels() {
        for type in GGUFKQuantFixtures.types { XCTAssertEqual(cq_kquant_supports(Int32(type.rawValue)), 1, "\(type)") }
        for type: GGUFTensorType in [.f32, .q4_0, .q4_1, .q8_0, .q5_K] { XCTAssertEqual(cq_kquant_supports(Int32(type.rawValue)), 0) }
    }

    /// Rows of 256, 512 and 2304 weights (and, for F16/BF16, lengths that leave a tail under 8 and
    /// under 32), 1 to 9 input rows, every output against ggml's decoding dotted in Double.
    func testRowsMatchDequantisedDotInBothKernels() {
        let (rows, maxInputs) = (5, 9)
        for type in GGUFKQuantFixtures.types {
            let lengths = type.blockSize == 256 ? [256, 512, 2304] : [256, 2304, 7, 1000]
            for columns in lengths {
                let weights = GGUFKQuantFixtures.randomRows(type, rows: rows, columns: columns, magnitude: 0.5,
                                                            seed: UInt64(Int(type.rawValue) * 10_000 + columns))
                let w = GGUFBlockFixtures.dequantize(weights, as: type, count: rows * columns)
                XCTAssertTrue(w.allSatisfy { $0.isFinite })
                let x = GGUFBlockFixtures.gaussian(maxInputs * columns, seed: UInt64(columns))
                for inputs in [1, 2, 3, 7, 9] {
                    for portable in [true, false] {
                        cq_force_portable(portable ? 1 : 0)
                        let y = matmulRows(type, weights, rows: rows, columns: columns, x: x, inputs: inputs)
                        for n in 0 ..< inputs {
                            for r in 0 ..< rows {
                                var exact = 0.0, magnitude = 0.0
                                for i in 0 ..< columns {
                                    let p = Double(w[r * columns + i]) * Double(x[n * columns + i])
                                    exact += p; magnitude += abs(p)
                                }
                                XCTAssertEqual(Double(y[n * rows + r]), exact, accuracy: 1e-5 * magnitude + 1e-7,
                                               "\(type) \(columns) columns, input \(n)/\(inputs), row \(r), portable \(portable)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// Rows [r0, r1) only are written, read through the row map when given one, and the AVX2 and
    /// portable kernels agree to float rounding.
    func testRowRangeAndRowMap() {
        let (rows, columns, inputs) = (7, 512, 3)
        let map: [Int32] = [6, 5, 4, 3, 2, 1, 0]
        for type in GGUFKQuantFixtures.types {
            let weights = GGUFKQuantFixtures.randomRows(type, rows: rows, columns: columns, magnitude: 0.5, seed: 4)
            let x = GGUFBlockFixtures.gaussian(inputs * columns, seed: 5)
            let full = matmulRows(type, weights, rows: rows, columns: columns, x: x, inputs: inputs)
            cq_force_portable(1)
            let portable = matmulRows(type, weights, rows: rows, columns: columns, x: x, inputs: inputs)
            cq_force_portable(0)
            let part = matmulRows(type, weights, rows: rows, columns: columns, x: x, inputs: inputs, map: map, range: 2 ..< 5)
            for n in 0 ..< inputs {
                for r in 0 ..< rows {
                    let value = part[n * rows + r]
                    let reference = full[n * rows + r]
                    XCTAssertEqual(portable[n * rows + r], reference, accuracy: 1e-4 * max(1, abs(reference)), "\(type)")
                    guard (2 ..< 5).contains(r) else { XCTAssertTrue(value.isNaN, "\(type) row \(r)"); continue }
                    XCTAssertEqual(value, full[n * rows + Int(map[r])], "\(type) row \(r) input \(n)")
                }
            }
        }
    }

    /// Q4_K's Σ x scratch holds 4,096 sub-block sums: more input rows than fit are taken in groups,
    /// with the same results as one input row at a time.
    func testQ4KInputsBeyondTheScratchAreGrouped() {
        let (rows, columns, inputs) = (3, 16_384, 9)  // 512 sums an input row: groups of 8 and 1
        let weights = GGUFKQuantFixtures.randomRows(.q4_K, rows: rows, columns: columns, magnitude: 0.5, seed: 8)
        let x = GGUFBlockFixtures.gaussian(inputs * columns, seed: 9)
        let all = matmulRows(.q4_K, weights, rows: rows, columns: columns, x: x, inputs: inputs)
        for n in 0 ..< inputs {
            let one = matmulRows(.q4_K, weights, rows: rows, columns: columns,
                                 x: Array(x[n * columns ..< (n + 1) * columns]), inputs: 1)
            XCTAssertEqual(Array(all[n * rows ..< (n + 1) * rows]), one, "input \(n)")
        }
    }
}
