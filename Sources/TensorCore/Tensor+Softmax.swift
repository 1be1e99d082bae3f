#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Tensor {
    /// The softmax `exp(x_i - max x) / Σ_j exp(x_j - max x)` along one axis.
    ///
    /// Numerically stable: the maximum of each slice is subtracted before exponentiating, so logits
    /// of any finite magnitude (say ±1e4) are safe. Entries of `-∞` get probability 0.
    ///
    /// Special values:
    /// - A slice whose entries are **all** `-∞` (for example a fully masked row) has no probability
    ///   mass to distribute; its result is all zeros (not NaN) and its gradient is zero.
    /// - A `NaN` or `+∞` entry makes its whole slice `NaN`, as in PyTorch.
    ///
    /// The last axis is the fast path (SIMD per row, rows in parallel); any other axis is supported
    /// with SIMD across the trailing axes.
    ///
    /// - Parameter axis: The axis to normalise over; negative values count from the end.
    /// - Returns: A tensor of the same shape whose slices along `axis` sum to 1.
    public func softmax(alongAxis axis: Int = -1) -> Tensor {
        SoftmaxKernels.forward(self, axis: axis, logarithm: false)
    }

    /// The logarithm of ``softmax(alongAxis:)``: `(x_i - max x) - log Σ_j exp(x_j - max x)`.
    ///
    /// Computed directly (never as `log(softmax)`), so it is accurate for very negative
    /// log-probabilities. Entries of `-∞` stay `-∞`.
    ///
    /// Special values:
    /// - A slice whose entries are **all** `-∞` gives all `-∞` (not NaN) and a zero gradient.
    /// - A `NaN` or `+∞` entry makes its whole slice `NaN`.
    ///
    /// - Parameter axis: The axis to normalise over; negative values count from the end.
    /// - Returns: A tensor of the same shape whose slices along `axis` log-sum-exp to 0.
    public func logSoftmax(alongAxis axis: Int = -1) -> Tensor {
        SoftmaxKernels.forward(self, axis: axis, logarithm: true)
    }
}

/// The loops behind ``Tensor/softmax(alongAxis:)`` and ``Tensor/logSoftmax(alongAxis:)``.
///
/// A tensor is viewed as `[outer, n, inner]` with `n` the normalised axis. With `inner == 1` (the
/// last axis) each row of `n` contiguous elements is one SIMD loop; otherwise 16 neighbouring
/// columns of the `inner` axis are processed together, stepping through `n` with stride `inner`.
///
/// Lane-wise maxima use `replace(with:where:)`: the standard library's generic `pointwiseMax` is
/// not specialised into vector code and is about 30× slower.
enum SoftmaxKernels {
    typealias Vector = SIMD16<Float>

    /// Vectors summed in `Float` before the partial sum is folded into a `Double`.
    static let flushInterval = 64

    static func forward(_ x: Tensor, axis: Int, logarithm: Bool) -> Tensor {
        let (outer, n, inner) = split(x.shape, axis: axis)
        var result = Tensor(shape: x.shape) { out in
            guard out.count > 0 else { return }
            let src = UnsafePointer(x.storage.baseAddress)
            let dst = out.baseAddress!
            if inner == 1 {
                // The exponentials cost about 30 vector operations per element, so these rows are
                // worth splitting even when short.
                Parallelism.forEachRowBlock(rows: outer, costPerRow: 8 * n) { rows in
                    normaliseRows(src, dst, n: n, rows: rows, logarithm: logarithm)
                }
            } else {
                forEachColumnBlock(outer: outer, n: n, inner: inner) { o, columns in
                    strided(src + o * n * inner, dst + o * n * inner, n: n, inner: inner,
                            columns: columns, logarithm: logarithm)
                }
            }
        }
        if Tensor.needsGradient(x) {
            let y = result.detached()
            result = result.recorded(from: [x]) { g in
                [backward(output: y, gradient: g, outer: outer, n: n, inner: inner, logarithm: logarithm)]
            }
        }
        return result
    }

    /// `(outer, n, inner)` for normalising `shape` along `axis`.
    static func split(_ shape: [Int], axis: Int) -> (Int, Int, Int) {
        precondition(!shape.isEmpty, "softmax needs at least one axis; the tensor is a scalar")
        let a = axis < 0 ? axis + shape.count : axis
        precondition(a >= 0 && a < shape.count, "axis \(axis) out of range for shape \(shape)")
        let outer = shape[..<a].reduce(1, *)
        let inner = shape[(a + 1)...].reduce(1, *)
        return (outer, shape[a], inner)
    }

    /// Runs `body(o, columns)` over every outer index and block of at most 256 inner columns, in
    /// parallel when the work is large.
    static func forEachColumnBlock(outer: Int, n: Int, inner: Int, _ body: (Int, Range<Int>) -> Void) {
        let width = 256
        let blocks = (inner + width - 1) / width
        Parallelism.forEach(count: outer * blocks, costPerItem: 3 * n * min(width, inner)) { task in
            let o = task / blocks, b = task % blocks
            body(o, (b * width)..<min(inner, (b + 1) * width))
        }
    }

    // MARK: Row helpers

    @_transparent
    static func load(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> Vector {
        if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var v = Vector(repeating: fill)
        for l in 0..<count { v[l] = p[l] }
        return v
    }

    @_transparent
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self); return }
        for l in 0..<count { p[l] = v[l] }
    }

    /// The largest element of a row (`-∞` for an empty row; NaN propagates).
    static func rowMaximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = Vector(repeating: -.infinity)
        var sawNaN = Vector(repeating: 0) .!= 0
        @_transparent func step(_ i: Int, _ count: Int) {
            let v = load(x + i, count, fill: -.infinity)
            sawNaN .|= v .!= v
            m.replace(with: v, where: v .> m)
        }
        var i = 0
        while i + 16 <= n { step(i, 16); i += 16 }
        if i < n { step(i, n - i) }
        return any(sawNaN) ? .nan : VectorMath.max(m)
    }

    /// `Σ exp(x_i − m)` of a row of `n` elements, in `Float` vectors folded into a `Double` every
    /// ``flushInterval`` vectors. With `store`, each term is also written to `y` (which may be `x`).
    ///
    /// With `scan`, the same loop also takes the maximum of the row at `next` (another `n` elements,
    /// not overlapping `y`) and returns it: the exponentials are compute-bound, so the next row's
    /// first read from memory, which would otherwise be a pass of its own with nothing to overlap,
    /// rides along for free. That maximum ignores NaN (unlike ``rowMaximum(_:_:)``): a NaN left in a
    /// row with a finite maximum still turns its sum, and so the whole row, into NaN; only a row
    /// whose maximum comes out −∞ must be scanned again for NaN (see ``normaliseRows``).
    ///
    /// Every argument of `exp` here is `x − max ≤ 0` (or NaN), hence ``VectorMath/expOfNonPositive(_:)``.
    ///
    /// Only the small `@inline(never)` wrappers below call this, each with constant flags, so each
    /// combination is one self-contained loop. Keeping every hot loop in a small function of its own
    /// matters: once a function has grown past a few hundred basic blocks (a few inlined SIMD16
    /// `exp`s are enough), the optimiser stops inlining even `@inline(__always)` helpers into it, and
    /// `loadUnaligned`, local step functions (with their captured variables boxed on the heap) or
    /// `exp` itself end up called once per 16 elements.
    @_transparent
    static func exponentialSum(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                               maximum m: Float, store: Bool,
                               scan next: UnsafePointer<Float>?) -> (sum: Double, nextMaximum: Float) {
        let vm = Vector(repeating: m)
        var acc = Vector(), total = 0.0
        var nextMax = Vector(repeating: -.infinity)
        // Full vectors call the step with the constant count 16, so the partial loads fold away.
        @_transparent func step(_ i: Int, _ count: Int) {
            let e = VectorMath.expOfNonPositive(load(x + i, count, fill: -.infinity) - vm)
            if store { SoftmaxKernels.store(e, y + i, count) }
            acc += e
            if let next {
                let v = load(next + i, count, fill: -.infinity)
                nextMax.replace(with: v, where: v .> nextMax)
            }
        }
        // The partial sum is folded outside the inner loop: a conditional fold inside it (a counter
        // and a branch) makes LLVM split the vectors into 2-lane pieces, twice as many instructions.
        var i = 0
        while i + 16 <= n {
            let blockEnd = Swift.min(n, i + 16 * flushInterval)
            while i + 16 <= blockEnd { step(i, 16); i += 16 }
            total += Double(VectorMath.sum(acc))
            acc = Vector()
        }
        if i < n { step(i, n - i) }
        total += Double(VectorMath.sum(acc))
        return (total, VectorMath.max(nextMax))
    }

    /// `Σ exp(x_i − m)` of a row of `n` elements, each term also stored into `y` (which may be `x`).
    @inline(never)
    static func sumOfExponentials(_ x: UnsafePointer<Float>, storingInto y: UnsafeMutablePointer<Float>, _ n: Int,
                                  maximum m: Float) -> Double {
        exponentialSum(x, y, n, maximum: m, store: true, scan: nil).sum
    }

    /// `Σ exp(x_i − m)` of a row of `n` elements, each term also stored into `y`, and the maximum of
    /// the `n` elements at `next`.
    @inline(never)
    static func sumOfExponentials(_ x: UnsafePointer<Float>, storingInto y: UnsafeMutablePointer<Float>, _ n: Int,
                                  maximum m: Float, nextRow next: UnsafePointer<Float>) -> (sum: Double, nextMaximum: Float) {
        exponentialSum(x, y, n, maximum: m, store: true, scan: next)
    }

    /// `Σ exp(x_i − m)` of a row of `n` elements.
    @inline(never)
    static func sumOfExponentials(_ x: UnsafePointer<Float>, _ n: Int, maximum m: Float) -> Double {
        exponentialSum(x, UnsafeMutablePointer(mutating: x), n, maximum: m, store: false, scan: nil).sum
    }

    /// `Σ exp(x_i − m)` of a row of `n` elements, and the maximum of the `n` elements at `next`.
    @inline(never)
    static func sumOfExponentials(_ x: UnsafePointer<Float>, _ n: Int, maximum m: Float,
                                  nextRow next: UnsafePointer<Float>) -> (sum: Double, nextMaximum: Float) {
        exponentialSum(x, UnsafeMutablePointer(mutating: x), n, maximum: m, store: false, scan: next)
    }

    /// Softmax (or log-softmax) of the rows `rows` of `n` elements each, from `x` into `y` (which must
    /// not overlap `x`). Each row takes three passes: its maximum, the exponentials and their sum
    /// (storing them, for softmax), and the scaling by `1 / sum` (or, for log-softmax, the
    /// subtraction of `max + log sum`). The first pass over row `r + 1` is fused into the second over
    /// row `r`; the last pass reads what the second left in L1/L2.
    static func normaliseRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int,
                              rows: Range<Int>, logarithm: Bool) {
        guard n > 0, !rows.isEmpty else { return }
        var m = rowMaximum(x + rows.lowerBound * n, n)
        for r in rows {
            let xr = x + r * n, yr = y + r * n
            let next: UnsafePointer<Float>? = r + 1 < rows.upperBound ? xr + n : nil
            if m == -.infinity {
                // No probability mass: zeros (log: −∞), as documented on `softmax(alongAxis:)`.
                yr.update(repeating: logarithm ? -.infinity : 0, count: n)
                m = next.map { rowMaximum($0, n) } ?? 0
                continue
            }
            let s: Double, nextMaximum: Float
            if logarithm {
                if let next { (s, nextMaximum) = sumOfExponentials(xr, n, maximum: m, nextRow: next) }
                else { (s, nextMaximum) = (sumOfExponentials(xr, n, maximum: m), 0) }
                subtract(xr, m, Float(log(s)), yr, n)
            } else {
                if let next { (s, nextMaximum) = sumOfExponentials(xr, storingInto: yr, n, maximum: m, nextRow: next) }
                else { (s, nextMaximum) = (sumOfExponentials(xr, storingInto: yr, n, maximum: m), 0) }
                scale(yr, Float(1 / s), n)
            }
            // A NaN-blind −∞ may hide a NaN among −∞s: that row must come out NaN, not zeros.
            m = nextMaximum == -.infinity ? next.map { rowMaximum($0, n) } ?? 0 : nextMaximum
        }
    }

    /// `y[i] *= r` over `n` elements.
    static func scale(_ y: UnsafeMutablePointer<Float>, _ r: Float, _ n: Int) {
        let vr = Vector(repeating: r)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v * vr, as: Vector.self)
            i += 16
        }
        while i < n { y[i] *= r; i += 1 }
    }

    /// `y[i] = (x[i] − m) − l` over `n` elements.
    static func subtract(_ x: UnsafePointer<Float>, _ m: Float, _ l: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let vm = Vector(repeating: m), vl = Vector(repeating: l)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: (v - vm) - vl, as: Vector.self)
            i += 16
        }
        while i < n { y[i] = (x[i] - m) - l; i += 1 }
    }

    /// Softmax of one row of `n` elements; `x` and `y` may be the same memory (attention normalises
    /// its score rows in place).
    static func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        let m = rowMaximum(x, n)
        if m == -.infinity {
            y.update(repeating: 0, count: n)
            return
        }
        let s = sumOfExponentials(x, storingInto: y, n, maximum: m)
        scale(y, Float(1 / s), n)
    }

    // MARK: Strided (non-last axis)

    /// Normalises 16 columns at a time over `n` rows spaced `inner` apart.
    static func strided(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, inner: Int,
                        columns: Range<Int>, logarithm: Bool) {
        var c = columns.lowerBound
        while c < columns.upperBound {
            let w = min(16, columns.upperBound - c)
            var m = Vector(repeating: -.infinity)
            var sawNaN = Vector(repeating: 0) .!= 0
            for k in 0..<n {
                let v = load(x + k * inner + c, w, fill: -.infinity)
                sawNaN .|= v .!= v
                m.replace(with: v, where: v .> m)
            }
            m.replace(with: .nan, where: sawNaN)
            let empty = m .== -Float.infinity
            let shift = m.replacing(with: 0, where: empty)
            var s = Vector()
            for k in 0..<n {
                let e = VectorMath.expOfNonPositive(load(x + k * inner + c, w, fill: -.infinity) - shift)
                if !logarithm { store(e, y + k * inner + c, w) }
                s += e
            }
            if logarithm {
                var logS = Vector()
                for l in 0..<16 { logS[l] = logf(s[l]) }
                for k in 0..<n {
                    var v = (load(x + k * inner + c, w, fill: 0) - shift) - logS
                    v.replace(with: -.infinity, where: empty)
                    store(v, y + k * inner + c, w)
                }
            } else {
                var r = 1 / s
                r.replace(with: 0, where: empty)
                for k in 0..<n {
                    store(load(UnsafePointer(y + k * inner + c), w, fill: 0) * r, y + k * inner + c, w)
                }
            }
            c += 16
        }
    }

    // MARK: Backward

    /// Softmax: `dx = y ⊙ (g − Σ g ⊙ y)`. Log-softmax: `dx = g − exp(y) Σ g`, zero for slices that
    /// were all `-∞`.
    static func backward(output y: Tensor, gradient g: Tensor, outer: Int, n: Int, inner: Int,
                         logarithm: Bool) -> Tensor {
        Tensor(shape: y.shape) { out in
            guard out.count > 0 else { return }
            let py = UnsafePointer(y.storage.baseAddress), pg = UnsafePointer(g.storage.baseAddress)
            let dst = out.baseAddress!
            if inner == 1 {
                Parallelism.forEachRowBlock(rows: outer, costPerRow: 2 * n) { rows in
                    for r in rows {
                        backwardRow(py + r * n, pg + r * n, dst + r * n, n, logarithm: logarithm)
                    }
                }
            } else {
                forEachColumnBlock(outer: outer, n: n, inner: inner) { o, columns in
                    let base = o * n * inner
                    stridedBackward(py + base, pg + base, dst + base, n: n, inner: inner,
                                    columns: columns, logarithm: logarithm)
                }
            }
        }
    }

    static func backwardRow(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                            _ n: Int, logarithm: Bool) {
        // Softmax needs Σ g·y; log-softmax needs Σ g and whether the row was all −∞. Full vectors
        // call the step with the constant count 16, so its partial-load branches fold away.
        var acc = Vector(), total = 0.0, pending = 0
        var ym = Vector(repeating: -.infinity)
        @_transparent func reduce(_ i: Int, _ count: Int) {
            let vg = load(g + i, count, fill: 0)
            if logarithm {
                acc += vg
                let vy = load(y + i, count, fill: -.infinity)
                ym.replace(with: vy, where: vy .> ym)
            } else {
                acc += vg * load(y + i, count, fill: 0)
            }
            pending += 1
            if pending == flushInterval { total += Double(VectorMath.sum(acc)); acc = Vector(); pending = 0 }
        }
        var i = 0
        while i + 16 <= n { reduce(i, 16); i += 16 }
        if i < n { reduce(i, n - i) }
        let s = Vector(repeating: Float(total + Double(VectorMath.sum(acc))))
        if logarithm && ym.max() == -.infinity {
            dx.update(repeating: 0, count: n)
            return
        }
        @_transparent func write(_ i: Int, _ count: Int) {
            let vg = load(g + i, count, fill: 0), vy = load(y + i, count, fill: 0)
            let v = logarithm ? vg - VectorMath.exp(vy) * s : vy * (vg - s)
            store(v, dx + i, count)
        }
        i = 0
        while i + 16 <= n { write(i, 16); i += 16 }
        if i < n { write(i, n - i) }
    }

    static func stridedBackward(_ y: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                n: Int, inner: Int, columns: Range<Int>, logarithm: Bool) {
        var c = columns.lowerBound
        while c < columns.upperBound {
            let w = min(16, columns.upperBound - c)
            var s = Vector()
            var ym = Vector(repeating: -.infinity)
            for k in 0..<n {
                let vg = load(g + k * inner + c, w, fill: 0)
                if logarithm {
                    s += vg
                    let vy = load(y + k * inner + c, w, fill: -.infinity)
                    ym.replace(with: vy, where: vy .> ym)
                } else {
                    s += vg * load(y + k * inner + c, w, fill: 0)
                }
            }
            let empty = ym .== -Float.infinity
            for k in 0..<n {
                let vg = load(g + k * inner + c, w, fill: 0), vy = load(y + k * inner + c, w, fill: 0)
                var v: Vector
                if logarithm {
                    v = vg - VectorMath.exp(vy) * s
                    v.replace(with: 0, where: empty)
                } else {
                    v = vy * (vg - s)
                }
                store(v, dx + k * inner + c, w)
            }
            c += 16
        }
    }
}
