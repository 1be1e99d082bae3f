#if canImport(Glibc)
import Glibc
#endif

/// Vectorised elementary functions over `SIMD16<Float>` (and `SIMD8<Float>` for `exp`), accurate to
/// a couple of units in the last place. Library targets are built for baseline x86-64 (SSE2, no FMA),
/// so these are written over portable SIMD types and lower to whatever vector width the build targets:
/// four `xmm` registers per `SIMD16` in the portable build, two `ymm` with `-target-cpu haswell`.
///
/// These must be inlined: a `SIMD16<Float>` crossing a call travels in four registers (or memory),
/// and the callee reloads every constant, which costs as much as the arithmetic. `exp` and its users
/// are `@_transparent` rather than `@inline(__always)`, because the optimiser stops honouring
/// `@inline(__always)` in a caller that has grown past a few hundred basic blocks, and the standard
/// library's SIMD operations (themselves transparent lane loops until LLVM vectorises them) make
/// every kernel that large: softmax rows, the cross-entropy closures and attention all called `exp`
/// out of line, 16 lanes at a time, until this change.
public enum VectorMath {
    public typealias Vector = SIMD16<Float>

    // MARK: exp

    /// e^x per lane: at most ~1.5 units in the last place over the whole range (implementation
    /// notes on `exponential(_:negated:)`); exactly 0 below ln(2^−126) ≈ −87.34 (no subnormal
    /// results) and for −∞; +∞ above ln(`Float.greatestFiniteMagnitude`) ≈ 88.72 and for +∞; NaN
    /// stays NaN.
    @_transparent
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> { exponential(x, negated: false) }

    /// e^x per lane, as the 8-lane `exp`. Computed as two 8-lane halves, which keeps the
    /// portable build within its 16 `xmm` registers.
    @_transparent
    public static func exp(_ x: Vector) -> Vector {
        let h = unsafeBitCast(x, to: (SIMD8<Float>, SIMD8<Float>).self)
        return unsafeBitCast((exponential(h.0, negated: false), exponential(h.1, negated: false)), to: Vector.self)
    }

    /// e^−x per lane, the same function as `exp(-x)` with the negation folded into the constants.
    @_transparent
    public static func expNegated(_ x: Vector) -> Vector {
        let h = unsafeBitCast(x, to: (SIMD8<Float>, SIMD8<Float>).self)
        return unsafeBitCast((exponential(h.0, negated: true), exponential(h.1, negated: true)), to: Vector.self)
    }

    /// e^x (or e^−x when `negated`, a constant after inlining) on 8 lanes.
    ///
    /// Range reduction (Cody–Waite): `n = floor(x·log2 e)`, `r = x − n·ln 2` in two steps
    /// (`ln 2 = 0.693359375 − 2.12194440e-4`, the first part exact in 9 bits so `n·0.693359375` is
    /// exact), `r ∈ [0, ln 2)`. Then `e^r ≈ 1 + r + r²·P(r)` with a degree-4 `P` (a degree-6
    /// polynomial, relative minimax error 3e-9 on [0, ln 2], fitted with the first two coefficients
    /// fixed to 1), and `2^n` is built in the exponent bits: `(n + 127) << 23`.
    ///
    /// Rounding *down* rather than to nearest is what lets one scale cover every normal result:
    /// e^x ∈ [2^−126, 2^128) means `n ∈ [−126, 127]`, the biased exponents 1…254. The input is first
    /// clamped to [−88, 89], where `n ∈ [−127, 128]`: below the normal range the biased exponent is 0
    /// and the scale is +0 (so −∞ and very negative inputs give exactly 0, never NaN); above it, 255,
    /// the scale is +∞ and so is the result. No select is needed after the polynomial, and NaN
    /// passes through the clamps (each is one `maxps`/`minps` with NaN in the position it keeps) and
    /// the arithmetic unchanged.
    ///
    /// `floor` comes from the 1.5·2^23 trick on `x·log2 e − 0.5`: adding 12582912 rounds to an
    /// integer held in the low mantissa bits, so `n` (as a float) and the exponent bits (those bits
    /// shifted left by 23, which also shifts the trick's own bits out) need no conversion
    /// instructions. `n` may come out one too high or low right at an integer; `r` is then a hair
    /// outside [0, ln 2), which the polynomial (fitted on [−0.001, ln 2 + 0.001]) covers.
    ///
    /// `P` is evaluated in Estrin's form, `(c6·r² + (c5·r + c4))·r² + (c3·r + c2)`, rather than by
    /// Horner's rule: the same number of operations, but a dependency chain 4 operations shorter.
    /// That matters more than it seems. A SiLU or softmax loop is one long chain per vector (clamp,
    /// reduction, polynomial, scale, ~25 operations of 3–4 cycles), and the core can only overlap as
    /// many vectors as its floating-point scheduler holds waiting operations, so the loop runs at a
    /// rate set by the chain's latency, not by the operation count.
    ///
    /// Error against `Foundation.exp` in `Double`, over every 10^−4 step of [−87.4, 88.8] and 30M
    /// random inputs (a NumPy emulation of exactly these float operations): at most 1.50 ulp,
    /// relative error below 1e-7. The arithmetic is separate multiplies and adds, which Swift does not
    /// contract into FMAs, so the AVX2 build computes the same bits as the portable one.
    /// `VectorMathTests` checks ≤ 2 ulp over the normal range and the special values.
    @_transparent @usableFromInline
    static func exponential(_ x: SIMD8<Float>, negated: Bool) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        // Clamp to [−88, 89] (for e^−x: x to [−89, 88]). `lo > x ? lo : x` keeps a NaN `x` and is a
        // single `maxps`; vector operands throughout, the scalar-operand forms of `.<` and
        // `replacing(with:where:)` do not lower to single instructions.
        let lo = V(repeating: negated ? -89 : -88), hi = V(repeating: negated ? 88 : 89)
        var v = x.replacing(with: lo, where: lo .> x)
        v = v.replacing(with: hi, where: hi .< v)
        // floor(±v·log2 e) via round-to-nearest of (±v·log2 e − 0.5).
        let shifted = (v * (negated ? -1.44269504088896341 : 1.44269504088896341) - 0.5) + 12582912
        let n = shifted - 12582912
        // r = ±v − n·ln 2.
        var r = negated ? n * -0.693359375 - v : v - n * 0.693359375
        r = r + n * 2.12194440e-4
        let r2 = r * r
        // P(r) = c2 + c3·r + c4·r² + c5·r³ + c6·r⁴ in Estrin's form (see below).
        let a = r * 1.6663169860839844e-1 + 5.000023245811462e-1
        let b = r * 7.866957224905491e-3 + 4.185584932565689e-2
        let p = (r2 * 1.9133634632453322e-3 + b) * r2 + a
        let y = (p * r2 + r) + 1
        // 2^n: the low bits of `shifted` hold n (two's complement, offset by the trick's 2^22, which
        // the shift pushes out of the word); adding 127 << 23 biases the exponent.
        let scale = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &<< 23) &+ 0x3F80_0000
        return y * unsafeBitCast(scale, to: V.self)
    }

    /// e^x per lane for x ≤ 0, the argument of every softmax and log-sum-exp (`x − max`): at most
    /// ~1 ulp, two operations per vector cheaper than `exp` and a shorter dependency chain. Exactly 0 below
    /// ln(2^−127) ≈ −88.03 and for −∞ (results between that and 2^−126 are subnormal), NaN stays
    /// NaN. For x > 0 the result is unspecified.
    @_transparent
    public static func expOfNonPositive(_ x: Vector) -> Vector {
        let h = unsafeBitCast(x, to: (SIMD8<Float>, SIMD8<Float>).self)
        return unsafeBitCast((exponentialOfNonPositive(h.0), exponentialOfNonPositive(h.1)), to: Vector.self)
    }

    /// e^x on 8 lanes for x ≤ 0. With no positive arguments, `n` only runs over [−127, 0], so the
    /// usual round-to-nearest reduction (`r ∈ [−ln 2/2, ln 2/2]`, smaller rounding errors than the
    /// floor of ``exponential(_:negated:)``) needs no upper clamp and no `− 0.5`, and one scale
    /// `(n + 127) << 23` covers every result (biased exponent 0 below −88.03: +0). The polynomial is
    /// the degree-6 minimax fit on that interval (relative error 3e-9), again `1 + r + r²·P(r)`.
    /// Measured as above: at most 0.98 ulp over [−87.3, 0] (`VectorMathTests` checks ≤ 1.5).
    @_transparent @usableFromInline
    static func exponentialOfNonPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
        typealias V = SIMD8<Float>
        let lo = V(repeating: -88)
        let v = x.replacing(with: lo, where: lo .> x)          // keeps NaN; one maxps
        let shifted = v * 1.44269504088896341 + 12582912       // round(v·log2 e) + 1.5·2^23
        let n = shifted - 12582912
        var r = v - n * 0.693359375
        r = r + n * 2.12194440e-4
        let r2 = r * r
        let a = r * 1.666651964187622e-1 + 4.999999403953552e-1
        let b = r * 8.368914015591145e-3 + 4.166840761899948e-2
        let p = (r2 * 1.3814190169796348e-3 + b) * r2 + a
        let y = (p * r2 + r) + 1
        let scale = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &<< 23) &+ 0x3F80_0000
        return y * unsafeBitCast(scale, to: V.self)
    }

    /// Natural logarithm per lane; log 0 = −∞, negative → NaN, +∞ → +∞.
    @inlinable @inline(__always)
    public static func log(_ x: Vector) -> Vector {
        let normal = (x .>= Float.leastNormalMagnitude) .& (x .< Float.infinity)
        if !all(normal) {
            var out = Vector()
            for i in 0..<16 { out[i] = logf(x[i]) }
            return out
        }
        let bits = unsafeBitCast(x, to: SIMD16<Int32>.self)
        var e = unsafeBitCast(((bits &>> 23) &- 126) &+ 0x4B40_0000, to: Vector.self) - 12582912
        // Mantissa in [0.5, 1).
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: Vector.self)
        let small = m .< 0.707106781186547524
        e.replace(with: e - 1, where: small)
        m = m.replacing(with: m + m, where: small) - 1
        let z = m * m
        var p = Vector(repeating: 7.0376836292E-2)
        p = p * m - 1.1514610310E-1
        p = p * m + 1.1676998740E-1
        p = p * m - 1.2420140846E-1
        p = p * m + 1.4249322787E-1
        p = p * m - 1.6668057665E-1
        p = p * m + 2.0000714765E-1
        p = p * m - 2.4999993993E-1
        p = p * m + 3.3333331174E-1
        var y = p * m * z
        y = y - e * 2.12194440e-4
        y = y - z * 0.5
        return m + y + e * 0.693359375
    }

    /// Hyperbolic tangent per lane.
    @inlinable @inline(__always)
    public static func tanh(_ x: Vector) -> Vector {
        let a = x.replacing(with: -x, where: x .< 0)
        // Large |x|: 1 − 2/(e^{2|x|} + 1), with the sign restored.
        let e = exp(a * 2)
        var large = 1 - 2 / (e + 1)
        large.replace(with: -large, where: x .< 0)
        // Small |x|: odd polynomial, keeps relative accuracy near 0.
        let z = x * x
        var p = Vector(repeating: -5.70498872745E-3)
        p = p * z + 2.06390887954E-2
        p = p * z - 5.37397155531E-2
        p = p * z + 1.33314422036E-1
        p = p * z - 3.33332819422E-1
        let small = p * z * x + x
        return large.replacing(with: small, where: a .< 0.625)
    }

    /// Logistic sigmoid 1 / (1 + e^−x) per lane: 0 for very negative inputs and −∞, 1 for large
    /// ones and +∞, NaN for NaN.
    @_transparent
    public static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + expNegated(x))
    }

    /// SiLU x / (1 + e^−x) per lane: one division, rather than `x * sigmoid(x)`'s division and
    /// multiplication (and two roundings).
    @_transparent
    public static func silu(_ x: Vector) -> Vector {
        x / (1 + expNegated(x))
    }

    /// Horizontal sum of the lanes, accumulated pairwise.
    ///
    /// Written with bit casts rather than `lowHalf`/`highHalf`: Swift 6.3's IR generator crashes
    /// on those shuffles once they are inlined into some closures in release builds.
    @_transparent
    public static func sum(_ v: Vector) -> Float {
        let h8 = unsafeBitCast(v, to: (SIMD8<Float>, SIMD8<Float>).self)
        let a = h8.0 + h8.1
        let h4 = unsafeBitCast(a, to: (SIMD4<Float>, SIMD4<Float>).self)
        let b = h4.0 + h4.1
        return (b[0] + b[2]) + (b[1] + b[3])
    }

    /// Lane-wise maximum (a vector select; NaN in `b` is ignored, NaN in `a` kept).
    @_transparent
    public static func maximum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .> a) }

    /// Lane-wise minimum (a vector select; NaN in `b` is ignored, NaN in `a` kept).
    @_transparent
    public static func minimum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .< a) }

    /// Horizontal maximum of the lanes.
    @_transparent
    public static func max(_ v: Vector) -> Float {
        let h8 = unsafeBitCast(v, to: (SIMD8<Float>, SIMD8<Float>).self)
        let a = h8.0.replacing(with: h8.1, where: h8.1 .> h8.0)
        let h4 = unsafeBitCast(a, to: (SIMD4<Float>, SIMD4<Float>).self)
        let b = h4.0.replacing(with: h4.1, where: h4.1 .> h4.0)
        return Swift.max(Swift.max(b[0], b[1]), Swift.max(b[2], b[3]))
    }
}
