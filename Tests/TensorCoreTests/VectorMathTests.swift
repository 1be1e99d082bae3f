import Foundation
import XCTest
@testable import TensorCore

/// `VectorMath.exp` and its users over their whole range: accuracy in units in the last place
/// against `Foundation.exp` in `Double`, and the special values (saturation to 0 and +∞, NaN).
final class VectorMathTests: XCTestCase {
    /// Distance from `value` to the correctly rounded `reference`, in units of the `Float` spacing at
    /// the reference (the spacing of normal floats; for subnormal references, of the smallest normals).
    func ulps(_ value: Float, _ reference: Double) -> Double {
        let magnitude = max(abs(reference), Double(Float.leastNormalMagnitude))
        let spacing = Double(Float(magnitude).ulp)
        return abs(Double(value) - reference) / spacing
    }

    /// Every 2^-9 step of `range` and 20,000 random points in it, 16 lanes at a time.
    func inputs(_ range: ClosedRange<Float>, seed: UInt64) -> [Float] {
        var xs = Array(stride(from: range.lowerBound, through: range.upperBound, by: 1.0 / 512))
        var g = SeededRandom(seed: seed)
        xs += Tensor.uniform([20_000], in: range, using: &g).scalars
        while xs.count % 16 != 0 { xs.append(range.upperBound) }
        return xs
    }

    func apply(_ f: (SIMD16<Float>) -> SIMD16<Float>, _ xs: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: xs.count)
        for i in stride(from: 0, to: xs.count, by: 16) {
            let v = f(SIMD16(xs[i..<(i + 16)]))
            for l in 0..<16 { out[i + l] = v[l] }
        }
        return out
    }

    func testExpIsWithinTwoUlpsOverTheWholeNormalRange() {
        // [ln(2^-126), ln(Float.greatestFiniteMagnitude)]: every result is a normal float.
        let xs = inputs(-87.33 ... 88.72, seed: 11)
        let simd16 = apply(VectorMath.exp, xs)
        let tensor = Tensor(shape: [xs.count], scalars: xs).exp().scalars
        var worst = (ulps: 0.0, x: Float(0))
        for (i, x) in xs.enumerated() {
            let reference = Foundation.exp(Double(x))
            let e = ulps(simd16[i], reference)
            if e > worst.ulps { worst = (e, x) }
            XCTAssertEqual(tensor[i], simd16[i], "Tensor.exp and VectorMath.exp differ at \(x)")
        }
        XCTAssertLessThanOrEqual(worst.ulps, 2, "worst error \(worst.ulps) ulp at x = \(worst.x)")
        // The 8-lane form is the same function.
        for i in stride(from: 0, to: xs.count, by: 8) {
            let v = VectorMath.exp(SIMD8(xs[i..<(i + 8)]))
            for l in 0..<8 { XCTAssertEqual(v[l], simd16[i + l]) }
        }
    }

    func testExpOfNonPositiveIsWithinOneAndAHalfUlps() {
        let xs = inputs(-87.33 ... 0, seed: 12)
        let e = apply(VectorMath.expOfNonPositive, xs)
        var worst = (ulps: 0.0, x: Float(0))
        for (x, y) in zip(xs, e) {
            let u = ulps(y, Foundation.exp(Double(x)))
            if u > worst.ulps { worst = (u, x) }
        }
        XCTAssertLessThanOrEqual(worst.ulps, 1.5, "worst error \(worst.ulps) ulp at x = \(worst.x)")
    }

    func testExpSpecialValues() {
        let inf = Float.infinity
        // Inputs, and what exp must return: exact 0 (never NaN) far below the normal range and for
        // −∞; +∞ above ln(greatestFiniteMagnitude) ≈ 88.7228 and for +∞; NaN for NaN; 1 at ±0.
        let zeros: [Float] = [-inf, -.greatestFiniteMagnitude, -1e30, -1000, -200, -104, -100, -89, -88.5, -88.1]
        let infinities: [Float] = [inf, .greatestFiniteMagnitude, 1e30, 1000, 200, 100, 89, 88.75, 88.73]
        let ones: [Float] = [0, -0, 1e-30, -1e-30, .leastNonzeroMagnitude, -.leastNonzeroMagnitude]
        for x in zeros {
            XCTAssertEqual(VectorMath.exp(SIMD16(repeating: x))[3], 0, "exp(\(x))")
            XCTAssertEqual(VectorMath.expOfNonPositive(SIMD16(repeating: x))[5], 0, "expOfNonPositive(\(x))")
        }
        for x in infinities { XCTAssertEqual(VectorMath.exp(SIMD16(repeating: x))[7], inf, "exp(\(x))") }
        for x in ones {
            XCTAssertEqual(VectorMath.exp(SIMD16(repeating: x))[0], 1, "exp(\(x))")
            if x <= 0 { XCTAssertEqual(VectorMath.expOfNonPositive(SIMD16(repeating: x))[0], 1, "expOfNonPositive(\(x))") }
        }
        // Just inside both ends of the normal range the result is accurate, not flushed or overflowed.
        for x: Float in [-87.33, -87.3, -87, 88.7, 88.72] {
            XCTAssertLessThanOrEqual(ulps(VectorMath.exp(SIMD16(repeating: x))[1], Foundation.exp(Double(x))), 2, "exp(\(x))")
        }
        // Below the normal range: 0 or a value no larger than the smallest normal, never NaN.
        for x: Float in [-87.4, -87.5, -87.9, -88] {
            let y = VectorMath.exp(SIMD16(repeating: x))[2]
            XCTAssert(y >= 0 && y <= .leastNormalMagnitude, "exp(\(x)) = \(y)")
        }
        // NaN propagates per lane, without disturbing its neighbours.
        var v = SIMD16<Float>(repeating: 1)
        v[4] = .nan
        v[9] = -inf
        v[10] = inf
        for e in [VectorMath.exp(v), VectorMath.expOfNonPositive(v.replacing(with: 0, where: v .> 0))] {
            XCTAssert(e[4].isNaN)
            XCTAssertEqual(e[9], 0)
            for l in [0, 3, 5, 15] { XCTAssertFalse(e[l].isNaN) }
        }
        XCTAssertEqual(VectorMath.exp(v)[10], inf)
        XCTAssertEqual(Double(VectorMath.exp(v)[0]), M_E, accuracy: 2 * Double(Float(M_E).ulp))
        XCTAssertTrue(VectorMath.exp(SIMD8(repeating: .nan))[6].isNaN)
        // Signalling-free quiet NaN with a payload stays NaN too.
        XCTAssertTrue(VectorMath.exp(SIMD16(repeating: Float(nan: 0x1234, signaling: false)))[0].isNaN)
    }

    func testSigmoidAndSiLUSpecialValues() {
        let inf = Float.infinity
        let values: [Float] = [-inf, -1e30, -200, -88.5, 88.5, 200, inf, .nan]
        // 16 elements, so the vector path runs (a shorter tensor is all scalar tail).
        let x = Tensor(shape: [16], scalars: values + values)
        let s = x.sigmoid().scalars, silu = x.silu().scalars
        for h in [0, 8] {
            XCTAssertEqual(Array(s[h..<(h + 3)]), [0, 0, 0])
            XCTAssert(s[h + 3] > 0 && s[h + 3] < 1e-38, "sigmoid(-88.5) = \(s[h + 3])")
            XCTAssertEqual(Array(s[(h + 4)..<(h + 7)]), [1, 1, 1])
            XCTAssert(s[h + 7].isNaN)
            XCTAssertEqual(Array(silu[(h + 1)..<(h + 3)]), [0, 0])
            XCTAssertEqual(Array(silu[(h + 4)..<(h + 7)]), [88.5, 200, inf])
            XCTAssert(silu[h + 7].isNaN)
        }
        // The vector path and the scalar tail (n = 16·k + 5) against the Double reference.
        let grid = Tensor(shape: [4005], scalars: (0..<4005).map { Float($0) / 100 - 20 })
        let d = grid.scalars.map(Double.init)
        XCTAssertLessThan(maxRelativeError(grid.silu().scalars, d.map { $0 / (1 + Foundation.exp(-$0)) }), 5e-7)
        XCTAssertLessThan(maxRelativeError(grid.sigmoid().scalars, d.map { 1 / (1 + Foundation.exp(-$0)) }), 5e-7)
    }

    /// The forward softmax takes each row's maximum while it exponentiates the previous row; the
    /// special rows must still come out as documented wherever they fall in a row block.
    func testSoftmaxSpecialRowsInsideRowBlocks() {
        let inf = Float.infinity, n = 37
        var g = SeededRandom(seed: 13)
        func ordinary() -> [Float] { Tensor.uniform([n], in: -5...5, using: &g).scalars }
        var nanAmongMinusInfinity = [Float](repeating: -inf, count: n)
        nanAmongMinusInfinity[20] = .nan                           // its NaN-blind maximum is −∞
        var withNaN = ordinary()
        withNaN[36] = .nan                                         // in the partial last vector
        var withPlusInfinity = ordinary()
        withPlusInfinity[3] = inf
        let masked = [Float](repeating: -inf, count: n)
        let pattern: [[Float]] = [ordinary(), nanAmongMinusInfinity, masked, ordinary(), withNaN,
                                  withPlusInfinity, masked, masked, ordinary()]
        let nanRows: Set<Int> = [1, 4, 5], maskedRows: Set<Int> = [2, 6, 7]
        // 15 copies: 135 rows, enough work to be split into row blocks at 2 and 3 threads, whose
        // boundaries then fall on every kind of row.
        let rows = (0..<15).flatMap { _ in pattern }
        let x = Tensor(shape: [rows.count, n], scalars: rows.flatMap { $0 })
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallelism.threadCount = threads
            for logarithm in [false, true] {
                let y = (logarithm ? x.logSoftmax() : x.softmax()).scalars
                results.append(y)
                for r in 0..<rows.count {
                    let row = Array(y[(r * n)..<((r + 1) * n)])
                    let label = "row \(r) (\(r % 9)), \(threads) threads, log \(logarithm)"
                    if nanRows.contains(r % 9) {
                        XCTAssert(row.allSatisfy(\.isNaN), label)
                    } else if maskedRows.contains(r % 9) {
                        XCTAssertEqual(row, [Float](repeating: logarithm ? -inf : 0, count: n), label)
                    } else {
                        assertClose(row, DoubleReference.softmax(rows[r], shape: [1, n], axis: 1, logarithm: logarithm), label)
                    }
                }
            }
        }
        // Where the blocks start (which rows are scanned ahead) changes no value.
        for i in 2..<results.count {
            XCTAssert(zip(results[i], results[i % 2]).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "result \(i)")
        }
    }

    /// Long rows cross the point where the `Float` partial sums are folded into a `Double`.
    func testSoftmaxOfLongRowsAcrossThreadCounts() {
        var g = SeededRandom(seed: 14)
        let x = Tensor.uniform([9, 2_500], in: -30...30, using: &g)
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 1
        let one = x.softmax().scalars, logOne = x.logSoftmax().scalars
        Parallelism.threadCount = 2
        XCTAssertEqual(x.softmax().scalars, one)
        XCTAssertEqual(x.logSoftmax().scalars, logOne)
        assertClose(one, DoubleReference.softmax(x.scalars, shape: x.shape, axis: 1))
        assertClose(logOne, DoubleReference.softmax(x.scalars, shape: x.shape, axis: 1, logarithm: true))
    }
}
