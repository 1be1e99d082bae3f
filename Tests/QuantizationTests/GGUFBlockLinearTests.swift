import CQuantKernels
import MiniCPMModel
import Quantization
import TensorCore
import XCTest

/// `GGUFBlockLinear` against `matmul` with its dequantised weight.
final class GGUFBlockLinearTests: XCTestCase {
    // The float decode kernels, whose results match matmul to float rounding; the integer ones
    // (8-bit x) are checked against them in GGUFIntegerDotTests.
    override func setUp() { GGUFBlockLinear.usesIntegerDotProducts = false }
    override func tearDown() { cq_force_portable(0); cq_gguf_set_integer_decode(-1) }

    private func layer(_ type: GGUFTensorType, rows: Int, columns: Int, heads: Int? = nil, seed: UInt64 = 11) throws -> (GGUFBlockLinear, [Float]) {
        let blocks = GGUFBlockFixtures.quantize(GGUFBlockFixtures.gaussian(rows * columns, seed: seed, scale: 0.05), as: type)
        let weight = GGUFBlockFixtures.dequantize(blocks, as: type, count: rows * columns)
        return (try GGUFBlockLinear(type: type, shape: [rows, columns], blocks: blocks, permutedHeadCount: heads), weight)
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, relative: Float = 1e-5, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, message, file: file, line: line)
        let scale = max(1, b.scalars.map(abs).max() ?? 0)
        let difference = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(difference, relative * scale, message, file: file, line: line)
    }

    /// One input row (decoding) and several, in a batch shape, on both kernels, an odd row count;
    /// 10 and 20 input rows take the prefill path (dequantised tiles and BLAS).
    func testMatchesDenseMatmulOfTheDequantisedWeight() throws {
        for type: GGUFTensorType in [.q8_0, .q4_0, .q4_1] {
            let (layer, weight) = try layer(type, rows: 203, columns: 160)
            XCTAssertEqual(layer.dequantizedWeight().scalars, weight)
            let w = Tensor(shape: [203, 160], scalars: weight)
            for shape in [[1, 160], [2, 3, 160], [160], [2, 5, 160], [20, 160]] {
                let x = Tensor(shape: shape, scalars: GGUFBlockFixtures.gaussian(shape.reduce(1, *), seed: 5))
                let expected = matmul(x.reshaped([x.count / 160, 160]), w, transposeB: true)
                    .reshaped(Array(shape.dropLast()) + [203])
                for portable in [true, false] {
                    cq_force_portable(portable ? 1 : 0)
                    assertClose(layer(x), expected, "\(type) \(shape) portable \(portable)")
                }
            }
        }
    }

    /// A prefill over a weight of more rows than one tile holds is assembled from several tiles.
    func testPrefillOverSeveralTilesMatchesDenseMatmul() throws {
        let rows = 40_000  // 1 << 20 floats per tile at 32 columns: two tiles, the second partial
        let (layer, weight) = try layer(.q8_0, rows: rows, columns: 32)
        let x = Tensor(shape: [9, 32], scalars: GGUFBlockFixtures.gaussian(9 * 32, seed: 9))
        let expected = matmul(x, Tensor(shape: [rows, 32], scalars: weight), transposeB: true)
        assertClose(layer(x), expected)
        assertClose(layer(x.reshaped([1, 9, 32])), expected.reshaped([1, 9, rows]))
    }

    /// Output rows are split over threads but each is one dot product, so 1 and 2 threads agree bit
    /// for bit.
    func testThreadCountDoesNotChangeTheResult() throws {
        // 2,101 rows of 256: a thread takes at least 1,024 rows, so two threads split them.
        let (layer, _) = try layer(.q4_1, rows: 2_101, columns: 256)
        let x = Tensor(shape: [3, 256], scalars: GGUFBlockFixtures.gaussian(768, seed: 6))
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let one = layer(x)
        Parallelism.threadCount = 2
        let two = layer(x)
        XCTAssertEqual(one.scalars, two.scalars)
    }

    /// With a head count, Hugging Face row r of each head is read from GGUF row 2(r mod d/2) + r div (d/2).
    func testPermutedHeadsReadRowsInHuggingFaceOrder() throws {
        let (rows, columns, heads) = (32, 64, 2)
        let (plain, weight) = try layer(.q8_0, rows: rows, columns: columns)
        let (permuted, _) = try layer(.q8_0, rows: rows, columns: columns, heads: heads)
        XCTAssertEqual(plain.dequantizedWeight().scalars, weight)
        let got = permuted.dequantizedWeight().scalars
        let perHead = rows / heads, half = perHead / 2
        for row in 0 ..< rows {
            let (head, r) = row.quotientAndRemainder(dividingBy: perHead)
            let source = head * perHead + 2 * (r % half) + r / half
            XCTAssertEqual(Array(got[row * columns ..< (row + 1) * columns]), Array(weight[source * columns ..< (source + 1) * columns]))
        }
        let x = Tensor(shape: [1, columns], scalars: GGUFBlockFixtures.gaussian(columns, seed: 8))
        assertClose(permuted(x), matmul(x, permuted.dequantizedWeight(), transposeB: true))
    }

    func testHasNoTrainableParametersAndRejectsBadShapes() throws {
        let (layer, _) = try layer(.q4_0, rows: 4, columns: 32)
        var visited = 0
        layer.visitParameters(prefix: "p") { _, _ in visited += 1 }
        layer.visitParameterRoles(prefix: "p") { _, _ in visited += 1 }
        XCTAssertEqual(visited, 0)
        XCTAssertEqual(layer.inputFeatures, 32)
        XCTAssertEqual(layer.outputFeatures, 4)
        XCTAssertThrowsError(try GGUFBlockLinear(type: .q4_0, shape: [4, 32], blocks: [UInt8](repeating: 0, count: 71)))
        XCTAssertThrowsError(try GGUFBlockLinear(type: .q4_0, shape: [4, 48], blocks: []))
        XCTAssertThrowsError(try GGUFBlockLinear(type: .f32, shape: [4, 32], blocks: [UInt8](repeating: 0, count: 512)))  // F32 is not kept
        XCTAssertThrowsError(try GGUFBlockLinear(type: .q8_0, shape: [6, 32], blocks: [UInt8](repeating: 0, count: 6 * 34),
                                                 permutedHeadCount: 2))
    }
}
