import Foundation
import TensorCore
import XCTest

/// `Tensor.softplus()`: stable at both ends, with the gradient σ(x).
final class SoftplusTests: XCTestCase {
    /// log(1 + eˣ) in Double, in the same stable form (the naive form is exact enough in Double for
    /// |x| ≤ 30 and overflows beyond, so the reference uses the rewritten form too).
    func reference(_ x: Double) -> Double { max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x))) }

    func testValuesAreAccurateFromVeryNegativeToVeryPositive() {
        let xs: [Float] = [-200, -90, -20, -1, -1e-4, 0, 1e-4, 1, 20, 90, 200]
        let y = Tensor(shape: [xs.count], scalars: xs).softplus().scalars
        for (x, value) in zip(xs, y) {
            let expected = reference(Double(x))
            XCTAssertTrue(value.isFinite, "softplus(\(x)) = \(value)")
            // Relative error: at x = −90 the result is ≈ 8e−40 (subnormal in Float), so allow the
            // absolute rounding of the smallest normal floats there.
            XCTAssertEqual(Double(value), expected, accuracy: max(2e-7 * expected, 1e-38), "softplus(\(x))")
        }
        XCTAssertEqual(Tensor(0).softplus().scalar, Float(M_LN2), accuracy: 1e-7)
    }

    /// The autograd gradient against a central difference of the Float op itself, and against σ(x).
    func testGradientMatchesFiniteDifferences() {
        let xs: [Float] = [-6, -2.5, -0.3, 0, 0.7, 3, 8]
        let x = Tensor(shape: [xs.count], scalars: xs).requiringGradient()
        // Weights make every element's contribution distinct, so a permuted gradient fails.
        let weights = Tensor(shape: [xs.count], scalars: [1, -2, 0.5, 3, -1, 2, 0.25])
        (x.softplus() * weights).sum().backward()
        let gradient = x.gradient!.scalars
        let h: Float = 1e-2
        for i in xs.indices {
            let plus = Tensor(xs[i] + h).softplus().scalar, minus = Tensor(xs[i] - h).softplus().scalar
            let numeric = Double(plus - minus) / Double(2 * h) * Double(weights.scalars[i])
            XCTAssertEqual(Double(gradient[i]), numeric, accuracy: 2e-3, "d softplus / dx at \(xs[i])")
            let sigmoid = 1 / (1 + Foundation.exp(-Double(xs[i])))
            XCTAssertEqual(Double(gradient[i]), sigmoid * Double(weights.scalars[i]), accuracy: 1e-6)
        }
    }

    func testNoGradientIsRecordedForConstants() {
        XCTAssertFalse(Tensor(shape: [2], scalars: [1, 2]).softplus().requiresGradient)
        let x = Tensor(shape: [2], scalars: [1, 2]).requiringGradient()
        withoutGradients { XCTAssertFalse(x.softplus().requiresGradient) }
    }
}
