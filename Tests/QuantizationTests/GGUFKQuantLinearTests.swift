import CQuantKernels
import Quantization
import TensorCore
import XCTest

/// `GGUFBlockLinear` over Q4_K, Q6_K, F16 and BF16 weights against `matmul` with the dequantised weight.
final class GGUFKQuantLinearTests: XCTestCase {
    override func tearDown() { cq_force_portable(0) }

    /// One input row and a few (the row kernels), then 8 and 20 (the prefill path: dequantised tiles
    /// and BLAS), on both kernels.
    func testMatchesDenseMatmulOfTheDequantisedWeight() throws {
        let (rows, columns) = (67, 512)
        for type in GGUFKQuantFixtures.types {
            let blocks = GGUFKQuantFixtures.randomRows(type, rows: rows, columns: columns, magnitude: 0.1, seed: 21)
            let layer = try GGUFBlockLinear(type: type, shape: [rows, columns], blocks: blocks)
            let weight = GGUFBlockFixtures.dequantize(blocks, as: type, count: rows * columns)
            XCTAssertEqual(layer.dequantizedWeight().scalars, weight)
            let w = Tensor(shape: [rows, columns], scalars: weight)
            for shape in [[1, columns], [2, 3, columns], [columns], [8, columns], [20, columns]] {
                let x = Tensor(shape: shape, scalars: GGUFBlockFixtures.gaussian(shape.reduce(1, *), seed: 5))
                let expected = matmul(x.reshaped([x.count / columns, columns]), w, transposeB: true)
                    .reshaped(Array(shape.dropLast()) + [rows])
                for portable in [true, false] {
                    cq_force_portable(portable ? 1 : 0)
                    let got = layer(x)
                    XCTAssertEqual(got.shape, expected.shape)
                    let scale = max(1, expected.scalars.map(abs).max()!)
                    let difference = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max()!
                    XCTAssertLessThanOrEqual(difference, 1e-5 * scale, "\(type) \(shape) portable \(portable)")
                }
            }
        }
    }

    /// Q4_K and Q6_K rows are whole 256-weight super-blocks.
    func testRejectsRowsThatAreNotWholeSuperBlocks() {
        for type: GGUFTensorType in [.q4_K, .q6_K] {
            XCTAssertThrowsError(try GGUFBlockLinear(type: type, shape: [2, 128], blocks: [UInt8](repeating: 0, count: type.bytesPerBlock)))
        }
        XCTAssertNoThrow(try GGUFBlockLinear(type: .f16, shape: [3, 5], blocks: [UInt8](repeating: 0, count: 30)))
    }
}
