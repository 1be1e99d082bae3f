extension Tensor {
    /// Root-mean-square normalisation over the last axis, scaled by `weight`:
    /// `y = x / sqrt(mean(x²) + epsilon) * weight` (as in MiniCPM and LLaMA; no mean subtraction,
    /// no bias).
    ///
    /// The mean of squares of each row is accumulated in `Float` SIMD partial sums that are folded
    /// into a `Double` every 1024 elements, so long rows lose no accuracy; the scale
    /// `1 / sqrt(mean + epsilon)` is computed in `Double`. Rows are processed in parallel.
    ///
    /// Differentiable with respect to both `self` and `weight`.
    ///
    /// - Parameters:
    ///   - weight: The per-feature gain, of shape `[d]` where `d` is the size of the last axis.
    ///   - epsilon: Added to the mean of squares before the square root (MiniCPM: `1e-5`).
    /// - Returns: A tensor of the same shape as `self`.
    public func rmsNorm(weight: Tensor, epsilon: Float) -> Tensor {
        precondition(rank >= 1, "rmsNorm needs at least one axis; the tensor is a scalar")
        let d = shape[rank - 1]
        precondition(weight.shape == [d], "rmsNorm weight of shape \(weight.shape) does not match the last axis \(d) of \(shape)")
        let rows = d == 0 ? 0 : count / d
        var scales = [Float](repeating: 0, count: rows)
        var result = Tensor(shape: shape) { out in
            guard out.count > 0 else { return }
            let px = UnsafePointer(storage.baseAddress), pw = UnsafePointer(weight.storage.baseAddress)
            let dst = out.baseAddress!
            scales.withUnsafeMutableBufferPointer { rs in
                let pr = rs.baseAddress!
                Parallelism.forEachRowBlock(rows: rows, costPerRow: 2 * d) { range in
                    for r in range {
                        let s = RMSNormKernels.inverseRootMeanSquare(px + r * d, d, epsilon: epsilon)
                        pr[r] = s
                        RMSNormKernels.scale(px + r * d, pw, s, dst + r * d, d)
                    }
                }
            }
        }
        if Tensor.needsGradient(self, weight) {
            let x = detached(), w = weight.detached()
            let needX = requiresGradient, needW = weight.requiresGradient
            let savedScales = scales
            result = result.recorded(from: [self, weight]) { g in
                RMSNormKernels.backward(x: x, weight: w, scales: savedScales, gradient: g,
                                        needX: needX, needWeight: needW)
            }
        }
        return result
    }
}

/// The loops behind ``Tensor/rmsNorm(weight:epsilon:)``.
enum RMSNormKernels {
    typealias Vector = SIMD16<Float>

    @_transparent
    static func load(_ p: UnsafePointer<Float>, _ count: Int) -> Vector {
        if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
        var v = Vector()
        for l in 0..<count { v[l] = p[l] }
        return v
    }

    @_transparent
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self); return }
        for l in 0..<count { p[l] = v[l] }
    }

    /// `1 / sqrt(mean(x²) + epsilon)` of one row.
    ///
    /// Not inlined, and its step is `@_transparent`: inlined into the large row-block closure, the
    /// optimiser stopped inlining an `@inline(__always)` step there, and its captured accumulators
    /// went to the heap (a `swift_beginAccess` per 16 elements). The partial sum is folded outside
    /// the inner loop for the same reason as in `SoftmaxKernels.exponentialSum`.
    static func inverseRootMeanSquare(_ x: UnsafePointer<Float>, _ d: Int, epsilon: Float) -> Float {
        // Full vectors call the step with the constant count 16, so the partial load folds away.
        var acc = Vector(), total = 0.0
        @_transparent func step(_ i: Int, _ count: Int) {
            let v = load(x + i, count)
            acc += v * v
        }
        var i = 0
        while i + 16 <= d {
            let blockEnd = Swift.min(d, i + 16 * 64)
            while i + 16 <= blockEnd { step(i, 16); i += 16 }
            total += Double(VectorMath.sum(acc))
            acc = Vector()
        }
        if i < d { step(i, d - i) }
        total += Double(VectorMath.sum(acc))
        return Float(1 / (total / Double(d) + Double(epsilon)).squareRoot())
    }

    /// `y = x * s * w` for one row.
    static func scale(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ s: Float,
                      _ y: UnsafeMutablePointer<Float>, _ d: Int) {
        let vs = Vector(repeating: s)
        @_transparent func step(_ i: Int, _ count: Int) {
            store(load(x + i, count) * vs * load(w + i, count), y + i, count)
        }
        var i = 0
        while i + 16 <= d { step(i, 16); i += 16 }
        if i < d { step(i, d - i) }
    }

    /// With `x̂ = x s` and `s = 1/sqrt(mean(x²) + ε)`:
    /// `dx = s (g ⊙ w − x̂ mean(g ⊙ w ⊙ x̂))` and `dw = Σ_rows g ⊙ x̂`.
    static func backward(x: Tensor, weight: Tensor, scales: [Float], gradient g: Tensor,
                         needX: Bool, needWeight: Bool) -> [Tensor?] {
        let d = weight.count
        let rows = scales.count
        guard rows > 0, d > 0 else {
            return [needX ? Tensor.zeros(x.shape) : nil, needWeight ? Tensor.zeros(weight.shape) : nil]
        }
        let px = UnsafePointer(x.storage.baseAddress), pw = UnsafePointer(weight.storage.baseAddress)
        let pg = UnsafePointer(g.storage.baseAddress)
        // Contiguous row ranges, one per task, each with its own partial weight gradient.
        let tasks = min(Parallelism.threadCount, max(1, rows * d / 16_384), rows)
        let perTask = (rows + tasks - 1) / tasks
        var partial = [Float](repeating: 0, count: needWeight ? tasks * d : 0)
        var dx: Tensor? = nil
        scales.withUnsafeBufferPointer { rs in
            let ps = rs.baseAddress!
            partial.withUnsafeMutableBufferPointer { pb in
                // An empty array's base address is not nil: it points into the runtime's shared
                // empty-collection storage, so writing through it corrupts global state.
                let pp = needWeight ? pb.baseAddress : nil
                let body = { (dxOut: UnsafeMutablePointer<Float>?) in
                    Parallelism.forEach(count: tasks, costPerItem: 1 << 20) { task in
                        let lo = task * perTask, hi = min(rows, lo + perTask)
                        guard lo < hi else { return }
                        for r in lo..<hi {
                            rowBackward(px + r * d, pw, pg + r * d, ps[r], d,
                                        dx: dxOut.map { $0 + r * d },
                                        dw: pp.map { $0 + task * d })
                        }
                    }
                }
                if needX {
                    dx = Tensor(shape: x.shape) { out in body(out.baseAddress!) }
                } else {
                    body(nil)
                }
            }
        }
        var dw: Tensor? = nil
        if needWeight {
            dw = Tensor(shape: weight.shape) { out in
                for j in 0..<d {
                    var s = 0.0
                    for t in 0..<tasks { s += Double(partial[t * d + j]) }
                    out[j] = Float(s)
                }
            }
        }
        return [dx, dw]
    }

    @inline(never) // Swift 6.3 release IRGen crashes (shuffle builtin) when this is inlined into the task closure.
    static func rowBackward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ g: UnsafePointer<Float>,
                            _ s: Float, _ d: Int, dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?) {
        let vs = Vector(repeating: s)
        // Full vectors call each step with the constant count 16, so the partial loads fold away.
        if let dw {
            @inline(__always) func accumulate(_ i: Int, _ count: Int) {
                store(load(UnsafePointer(dw + i), count) + load(g + i, count) * load(x + i, count) * vs, dw + i, count)
            }
            var i = 0
            while i + 16 <= d { accumulate(i, 16); i += 16 }
            if i < d { accumulate(i, d - i) }
        }
        guard let dx else { return }
        // mean(g ⊙ w ⊙ x̂) = s · mean(g ⊙ w ⊙ x).
        var acc = Vector(), total = 0.0, pending = 0
        @inline(__always) func reduce(_ i: Int, _ count: Int) {
            acc += load(g + i, count) * load(w + i, count) * load(x + i, count)
            pending += 1
            if pending == 64 { total += Double(VectorMath.sum(acc)); acc = Vector(); pending = 0 }
        }
        var i = 0
        while i + 16 <= d { reduce(i, 16); i += 16 }
        if i < d { reduce(i, d - i) }
        total += Double(VectorMath.sum(acc))
        // dx = s (g w − x s · s mean(g w x)) = s (g w − x c), c = s² mean(g w x).
        let c = Vector(repeating: Float(total / Double(d) * Double(s) * Double(s)))
        @inline(__always) func write(_ i: Int, _ count: Int) {
            store(vs * (load(g + i, count) * load(w + i, count) - load(x + i, count) * c), dx + i, count)
        }
        i = 0
        while i + 16 <= d { write(i, 16); i += 16 }
        if i < d { write(i, d - i) }
    }
}
