import TensorCore
import XCTest

/// `Tensor.firstNonFiniteIndex`: the SIMD block scan against the element-by-element answer.
final class FiniteScanTests: XCTestCase {
    func testAllFiniteIncludingExtremesIsNil() {
        var values = (0..<1000).map { Float($0) - 500 }
        values += [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0]
        XCTAssertNil(Tensor(shape: [values.count], scalars: values).firstNonFiniteIndex)
        XCTAssertNil(Tensor(shape: [0], scalars: []).firstNonFiniteIndex)
    }

    /// Every position, in a full block and in the tail, for NaN, +inf and -inf, with a later bad
    /// value too: the first index is reported.
    func testFindsTheFirstNaNOrInfinityAnywhere() {
        let n = 256 * 3 + 37
        for bad in [Float.nan, .infinity, -.infinity] {
            for i in [0, 15, 16, 255, 256, 300, 767, 768, n - 1] {
                var values = [Float](repeating: 1.5, count: n)
                values[i] = bad
                if i + 5 < n { values[i + 5] = .nan }
                XCTAssertEqual(Tensor(shape: [n], scalars: values).firstNonFiniteIndex, i, "\(bad) at \(i)")
            }
        }
    }
}
