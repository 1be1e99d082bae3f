import Foundation
import XCTest
@testable import TensorCore

/// Reference values were computed once with an independent Python 3 implementation of splitmix64 and
/// xoshiro256** (straight from the C reference code at prng.di.unimi.it), using only big integers
/// masked to 64 bits and the `math` module:
///
/// ```python
/// M = (1 << 64) - 1
/// def splitmix64(s):
///     s = (s + 0x9E3779B97F4A7C15) & M; z = s
///     z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
///     z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
///     return s, z ^ (z >> 31)
/// rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
/// class X:
///     def __init__(self, seed):
///         self.s = []
///         for _ in range(4): seed, v = splitmix64(seed); self.s.append(v)
///     def next(self):
///         s = self.s; r = (rotl((s[1] * 5) & M, 7) * 9) & M; t = (s[1] << 17) & M
///         s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
///         return r
///     def jump(self):   # JUMP table of xoshiro256**
///         a = [0] * 4
///         for j in [0x180ec6d33cfd0aba, 0xd5a61266f0c9392c, 0xa9582618e03fc9aa, 0x39abdc4529b1661c]:
///             for b in range(64):
///                 if j & (1 << b): a = [a[i] ^ self.s[i] for i in range(4)]
///                 self.next()
///         self.s = a
/// # floats: (x >> 40) * 2**-24; doubles: (x >> 11) * 2**-53
/// # normals: u1 = 1 - d1, u2 = d2, r = sqrt(-2 log u1), (r cos 2πu2, r sin 2πu2)
/// ```
final class RandomTests: XCTestCase {

    // MARK: Pinned reference values

    func testSplitmixSeedingMatchesReference() {
        let g0 = SeededRandom(seed: 0)
        XCTAssert(g0.state == (0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4,
                               0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC))
        let g42 = SeededRandom(seed: 42)
        XCTAssert(g42.state == (0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103,
                                0x4752_6757_130F_9F52, 0x581C_E1FF_0E4A_E394))
    }

    func testXoshiroOutputsMatchReference() {
        var g0 = SeededRandom(seed: 0)
        XCTAssertEqual((0..<5).map { _ in g0.next() },
                       [0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0,
                        0x6AA5_94F1_262D_2D2C, 0xBBA5_AD4A_1F84_2E59])
        var g42 = SeededRandom(seed: 42)
        XCTAssertEqual((0..<5).map { _ in g42.next() },
                       [0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1,
                        0xECB8_AD47_03B3_60A1, 0xFDE6_DC7F_E2EC_5E64])
    }

    func testJumpMatchesReference() {
        var g = SeededRandom(seed: 42)
        g.jump()
        XCTAssertEqual((0..<3).map { _ in g.next() },
                       [0x5008_6EF8_3CBF_4F4A, 0xBA28_5EC2_1347_D703, 0x5EA1_247B_4DC6_452A])
    }

    func testFloatAndDoubleConversionsMatchReference() {
        var g = SeededRandom(seed: 42)
        XCTAssertEqual((0..<4).map { _ in g.nextFloat() },
                       [0.08386296033859253, 0.37898021936416626, 0.6800433993339539, 0.9246929287910461])
        g = SeededRandom(seed: 42)
        XCTAssertEqual((0..<4).map { _ in g.nextDouble() },
                       [0.08386297105988216, 0.3789802506626686, 0.6800434110281394, 0.9246929453253876])
    }

    func testGaussianPairsMatchReference() {
        var g = SeededRandom(seed: 42)
        let p0 = g.nextGaussianPair(), p1 = g.nextGaussianPair()
        let got = [p0.0, p0.1, p1.0, p1.1]
        let want = [-0.303263064678738, 0.28846173882942383, 1.3438117634372806, -0.6879751798977497]
        for (x, y) in zip(got, want) { XCTAssertEqual(x, y, accuracy: 1e-15) }
    }

    func testTensorFactoriesMatchReference() {
        var g = SeededRandom(seed: 42)
        let n = Tensor.normal([3], mean: 1, standardDeviation: 2, using: &g)
        XCTAssertEqual(n.shape, [3])
        XCTAssertEqual(n.scalars, [Float(1 + 2 * -0.303263064678738), Float(1 + 2 * 0.28846173882942383),
                                   Float(1 + 2 * 1.3438117634372806)])
        // The odd element consumed a whole pair: the next draw starts a fresh pair.
        var h = SeededRandom(seed: 42)
        _ = h.nextGaussianPair(); _ = h.nextGaussianPair()
        XCTAssertEqual(g, h)

        g = SeededRandom(seed: 42)
        let u = Tensor.uniform([2, 2], in: -1...3, using: &g)
        let ref: [Double] = [0.08386296033859253, 0.37898021936416626, 0.6800433993339539, 0.9246929287910461]
        XCTAssertEqual(u.scalars, ref.map { Float(-1 + 4 * $0) })
    }

    // MARK: Reproducibility

    func testSameSeedGivesIdenticalTensors() {
        for seed: UInt64 in [0, 1, 42, .max] {
            var a = SeededRandom(seed: seed), b = SeededRandom(seed: seed)
            XCTAssertEqual(Tensor.uniform([33, 7], using: &a), Tensor.uniform([33, 7], using: &b))
            XCTAssertEqual(Tensor.normal([5, 41], using: &a), Tensor.normal([5, 41], using: &b))
            XCTAssertEqual(Tensor.truncatedNormal([999], standardDeviation: 0.02, using: &a),
                           Tensor.truncatedNormal([999], standardDeviation: 0.02, using: &b))
            XCTAssertEqual(a, b)
        }
    }

    func testDifferentSeedsDiffer() {
        var a = SeededRandom(seed: 1), b = SeededRandom(seed: 2)
        let x = Tensor.normal([1000], using: &a), y = Tensor.normal([1000], using: &b)
        XCTAssertNotEqual(x, y)
        let equal = zip(x.scalars, y.scalars).filter { $0 == $1 }.count
        XCTAssertLessThan(equal, 3)
        var c = SeededRandom(seed: 1)
        XCTAssertNotEqual(Tensor.uniform([64], using: &c), Tensor.uniform([64], using: &b))
    }

    func testCopiedGeneratorForksAndStateRoundTrips() {
        var a = SeededRandom(seed: 7)
        _ = a.next()
        var b = a
        XCTAssertEqual(a.next(), b.next())
        var c = SeededRandom(state: a.state)
        XCTAssertEqual((0..<10).map { _ in a.next() }, (0..<10).map { _ in c.next() })
        var j = a
        j.jump()
        XCTAssertNotEqual(j, a)
    }

    /// The generator drives the standard library's `random(in:using:)`: the draws are reproducible,
    /// depend on the seed, and cover the range (a generator stuck on one value, or not consulted,
    /// fails). The range itself is the standard library's promise, not checked here.
    func testStandardLibraryInterop() {
        func draws(_ seed: UInt64) -> (ints: [Int], floats: [Float]) {
            var g = SeededRandom(seed: seed)
            var ints: [Int] = [], floats: [Float] = []
            for _ in 0..<1000 {
                ints.append(Int.random(in: 0..<10, using: &g))
                floats.append(Float.random(in: -1...1, using: &g))
            }
            return (ints, floats)
        }
        let a = draws(3)
        XCTAssertEqual(a.ints, draws(3).ints)
        XCTAssertEqual(a.floats, draws(3).floats)
        XCTAssertNotEqual(a.ints, draws(4).ints)
        XCTAssertEqual(Set(a.ints), Set(0..<10), "every value of 0..<10 is drawn in 1000 tries")
        XCTAssertLessThan(a.floats.min()!, -0.99)
        XCTAssertGreaterThan(a.floats.max()!, 0.99)
        var g = SeededRandom(seed: 3)
        let before = g
        _ = Int.random(in: 0..<10, using: &g)
        XCTAssertNotEqual(g, before, "a draw advances the generator")
    }

    // MARK: Statistics (100k samples; bounds are several standard errors wide, and the seeds are fixed)

    private static let n = 100_000

    private func moments(_ t: Tensor) -> (mean: Double, std: Double, min: Float, max: Float, m4: Double) {
        let xs = t.scalars
        let mean = xs.reduce(0.0) { $0 + Double($1) } / Double(xs.count)
        let variance = xs.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(xs.count - 1)
        let m4 = xs.reduce(0.0) { $0 + pow(Double($1) - mean, 4) } / Double(xs.count)
        return (mean, variance.squareRoot(), xs.min()!, xs.max()!, m4)
    }

    func testUniformStatistics() {
        var g = SeededRandom(seed: 11)
        let u = Tensor.uniform([Self.n], using: &g)
        let m = moments(u)
        let se = (1.0 / 12).squareRoot() / Double(Self.n).squareRoot()
        XCTAssertEqual(m.mean, 0.5, accuracy: 5 * se)
        XCTAssertEqual(m.std, (1.0 / 12).squareRoot(), accuracy: 0.003)
        XCTAssertGreaterThanOrEqual(m.min, 0); XCTAssertLessThan(m.min, 1e-3)
        XCTAssertLessThan(m.max, 1); XCTAssertGreaterThan(m.max, 0.999)

        let v = Tensor.uniform([Self.n], in: -3...5, using: &g)
        let mv = moments(v)
        XCTAssertEqual(mv.mean, 1, accuracy: 5 * 8 * se)
        XCTAssertEqual(mv.std, 8 * (1.0 / 12).squareRoot(), accuracy: 0.03)
        XCTAssertGreaterThanOrEqual(mv.min, -3); XCTAssertLessThanOrEqual(mv.max, 5)
        XCTAssertLessThan(mv.min, -2.99); XCTAssertGreaterThan(mv.max, 4.99)
    }

    func testNormalStatistics() {
        var g = SeededRandom(seed: 12)
        let x = Tensor.normal([Self.n], using: &g)
        let m = moments(x)
        let se = 1 / Double(Self.n).squareRoot()
        XCTAssertEqual(m.mean, 0, accuracy: 5 * se)
        XCTAssertEqual(m.std, 1, accuracy: 5 * se / 2.0.squareRoot())
        // The extremes of 100k standard normals lie around ±4.4.
        XCTAssert(m.min > -6.5 && m.min < -3.5, "min \(m.min)")
        XCTAssert(m.max < 6.5 && m.max > 3.5, "max \(m.max)")
        // Fraction within one standard deviation: 0.6827.
        let within = Double(x.scalars.filter { abs($0) <= 1 }.count) / Double(Self.n)
        XCTAssertEqual(within, 0.682689, accuracy: 0.01)
        // Neighbours (the cos and sin halves of one pair) are uncorrelated.
        let s = x.scalars
        var c = 0.0
        for k in stride(from: 0, to: s.count - 1, by: 2) { c += Double(s[k]) * Double(s[k + 1]) }
        XCTAssertEqual(c / Double(s.count / 2), 0, accuracy: 5 * (2.0 / Double(s.count)).squareRoot())

        let y = Tensor.normal([Self.n], mean: -3, standardDeviation: 0.02, using: &g)
        let my = moments(y)
        XCTAssertEqual(my.mean, -3, accuracy: 5 * 0.02 * se)
        XCTAssertEqual(my.std, 0.02, accuracy: 0.02 * 5 * se)
    }

    /// Mean and variance of a normal(mu, sigma) truncated to [lo, hi] (closed forms).
    private func truncatedMoments(mu: Double, sigma: Double, lo: Double, hi: Double) -> (mean: Double, variance: Double) {
        let a = (lo - mu) / sigma, b = (hi - mu) / sigma
        func phi(_ x: Double) -> Double { x.isInfinite ? 0 : exp(-x * x / 2) / (2 * Double.pi).squareRoot() }
        func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
        // For tails on the positive side, 1 - cdf loses precision; use the upper-tail form there.
        let z = a > 0 ? 0.5 * erfc(a / 2.0.squareRoot()) - 0.5 * erfc(b / 2.0.squareRoot()) : cdf(b) - cdf(a)
        let aphi = a.isInfinite ? 0 : a * phi(a), bphi = b.isInfinite ? 0 : b * phi(b)
        let d = (phi(a) - phi(b)) / z
        let mean = mu + sigma * d
        let variance = sigma * sigma * (1 + (aphi - bphi) / z - d * d)
        return (mean, variance)
    }

    func testTruncatedNormalIsExactlyTruncated() {
        // (mean, std, bounds) chosen to exercise every proposal of the sampler:
        let cases: [(Float, Float, ClosedRange<Float>?, String)] = [
            (0, 1, nil, "default ±2σ: normal proposals"),
            (0, 0.02, nil, "default ±2σ with a small σ"),
            (1, 2, -5...10, "wide asymmetric: normal proposals"),
            (0, 1, -0.5...1, "narrow two-sided: uniform proposals"),
            (0, 1, 1...1.3, "short one-sided: uniform proposals"),
            (0, 1, 2...Float.infinity, "right tail: exponential proposals"),
            (5, 1, -Float.infinity...1, "far left tail, mirrored: exponential proposals"),
            (0, 1, 0.2...3, "one-sided near zero: exponential proposals"),
        ]
        var g = SeededRandom(seed: 13)
        for (mu, sigma, bounds, label) in cases {
            let t = Tensor.truncatedNormal([Self.n], mean: mu, standardDeviation: sigma, bounds: bounds, using: &g)
            let lo = bounds?.lowerBound ?? mu - 2 * sigma, hi = bounds?.upperBound ?? mu + 2 * sigma
            let m = moments(t)
            XCTAssertGreaterThanOrEqual(m.min, lo, label)
            XCTAssertLessThanOrEqual(m.max, hi, label)
            let ref = truncatedMoments(mu: Double(mu), sigma: Double(sigma), lo: Double(lo), hi: Double(hi))
            let sd = ref.variance.squareRoot()
            XCTAssertEqual(m.mean, ref.mean, accuracy: 5 * sd / Double(Self.n).squareRoot(), label)
            // Standard error of a sample variance: sqrt((m4 - variance²) / n), with the fourth central
            // moment estimated from the sample (one-sided tails are far from normal); allow 5 of them.
            let varianceError = ((m.m4 - ref.variance * ref.variance) / Double(Self.n)).squareRoot()
            XCTAssertEqual(m.std * m.std, ref.variance, accuracy: 5 * varianceError, label)
        }
    }

    func testTruncatedNormalDefaultBoundsAreTwoStandardDeviations() {
        var g = SeededRandom(seed: 14)
        let t = Tensor.truncatedNormal([Self.n], mean: 0, standardDeviation: 0.02, using: &g)
        let s = t.scalars
        XCTAssert(s.allSatisfy { abs($0) <= 0.04 })
        // The support is filled up to the bounds (not clamped: no pile-up at the edges).
        XCTAssertGreaterThan(s.max()!, 0.0399)
        XCTAssertLessThan(s.min()!, -0.0399)
        XCTAssertLessThan(s.filter { abs($0) == 0.04 }.count, 3)
        // Variance of a standard normal truncated to ±2: 0.7737413.
        XCTAssertEqual(truncatedMoments(mu: 0, sigma: 1, lo: -2, hi: 2).variance, 0.7737413, accuracy: 1e-6)
    }

    func testDegenerateTruncation() {
        var g = SeededRandom(seed: 15)
        XCTAssertEqual(Tensor.truncatedNormal([4], mean: 3, standardDeviation: 0, using: &g).scalars, [3, 3, 3, 3])
        XCTAssertEqual(Tensor.truncatedNormal([3], standardDeviation: 1, bounds: 0.5...0.5, using: &g).scalars,
                       [0.5, 0.5, 0.5])
        XCTAssertEqual(Tensor.normal([0], using: &g).count, 0)
    }
}
