import Foundation
import Quantization
import TensorCore
import XCTest

/// The paper's group quantisation (Appendix D) against the independent float64 numpy reference
/// in Reference/group_quant_reference.py (fixture Fixtures/group_quant.json).
final class GroupQuantizationTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            let bits: Int, group_size: Int, rows: Int, cols: Int
            let weights: [Double], codes: [Int], scales: [Double], zeros: [Double], dequantized: [Double]
        }
        let cases: [Case]
    }

    func loadFixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "group_quant", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// Codes match exactly; scales, zeros and reconstructions to float32 rounding.
    func testMatchesTheNumpyReference() throws {
        let fixture = try loadFixture()
        XCTAssertEqual(fixture.cases.count, 5)
        for c in fixture.cases {
            let weight = Tensor(shape: [c.rows, c.cols], scalars: c.weights.map { Float($0) })
            let q = try GroupQuantizedWeight(quantizing: weight, bits: c.bits, groupSize: c.group_size)
            let label = "bits \(c.bits), G \(c.group_size)"
            XCTAssertEqual(q.codes.map(Int.init), c.codes, label)
            for (a, b) in zip(q.scales, c.scales) { XCTAssertEqual(Double(a), b, accuracy: abs(b) * 1e-6, label) }
            for (a, b) in zip(q.zeros, c.zeros) { XCTAssertEqual(Double(a), b, accuracy: max(1, abs(b)) * 1e-6, label) }
            // |scale·(q − zero)| ≤ scale·2^bits; float32 rounding of scale, zero and the product.
            let deq = q.dequantized().scalars
            for (i, (a, b)) in zip(deq, c.dequantized).enumerated() {
                let scale = c.scales[(i / c.cols) * (c.cols / c.group_size) + (i % c.cols) / c.group_size]
                XCTAssertEqual(Double(a), b, accuracy: scale * Double(1 << c.bits) * 4e-7 + 1e-9, label)
            }
            let half = 1 << (c.bits - 1)
            XCTAssertEqual(q.codes.map(Int.init).min(), -half, "the group minimum gets the lowest code")
            XCTAssertEqual(q.codes.map(Int.init).max(), half - 1)
            XCTAssertEqual(q.storedCodes.map(Int.init), c.codes.map { $0 + half }, "stored unsigned as q + 2^(bits-1)")
        }
    }

    /// Constant and all-zero groups reconstruct exactly (no division by zero).
    func testDegenerateGroupsAreExact() throws {
        var values = [Float](repeating: 0.3, count: 32) + [Float](repeating: 0, count: 32)
        values += [Float](repeating: -0.125, count: 32) + (0..<32).map { Float($0) / 10 }
        for bits in [4, 8] {
            let q = try GroupQuantizedWeight(quantizing: Tensor(shape: [4, 32], scalars: values), bits: bits, groupSize: 32)
            XCTAssertEqual(Array(q.dequantized().scalars[0..<96]), Array(values[0..<96]))
            XCTAssertTrue(q.scales.allSatisfy { $0.isFinite && $0 > 0 })
        }
    }

    /// Every reconstruction error is at most half a step of its group (plus float rounding).
    func testReconstructionErrorIsWithinHalfAStep() throws {
        var rng = SeededRandom(seed: 13)
        let weight = Tensor.normal([16, 512], standardDeviation: 0.02, using: &rng)
        for bits in [4, 8] {
            for groupSize in [32, 64, 128] {
                let q = try GroupQuantizedWeight(quantizing: weight, bits: bits, groupSize: groupSize)
                let w = weight.scalars, d = q.dequantized().scalars, groups = 512 / groupSize
                for i in 0..<w.count {
                    let scale = q.scales[(i / 512) * groups + (i % 512) / groupSize]
                    XCTAssertLessThanOrEqual(abs(w[i] - d[i]), scale / 2 * (1 + 1e-4) + 1e-9, "bits \(bits) G \(groupSize) at \(i)")
                }
            }
        }
    }

    func testRejectsShapesAndSettingsItCannotQuantise() {
        let weight = Tensor.zeros([4, 96])
        XCTAssertThrowsError(try GroupQuantizedWeight(quantizing: weight, groupSize: 64)) { error in
            guard case .incompatibleShape = error as? QuantizationError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try GroupQuantizedWeight(quantizing: weight, bits: 3, groupSize: 32))
        XCTAssertThrowsError(try GroupQuantizedWeight(quantizing: weight, groupSize: 48))
        XCTAssertThrowsError(try GroupQuantizedWeight(quantizing: Tensor.zeros([96]), groupSize: 32))
    }
}
