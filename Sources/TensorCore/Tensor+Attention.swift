import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Multi-head scaled dot-product attention, `softmax(q kᵀ · scale + mask) v`, with grouped-query
/// attention and a causal mask that accounts for a KV cache.
///
/// Layout (batch axis optional, the same rank for all three):
/// - `query`: `[B, Tq, Hq, D]` or `[Tq, Hq, D]`
/// - `key`: `[B, Tk, Hkv, D]` or `[Tk, Hkv, D]`
/// - `value`: `[B, Tk, Hkv, Dv]` or `[Tk, Hkv, Dv]` (usually `Dv == D`)
///
/// `Hq` must be a multiple of `Hkv`; query head `j` attends with KV head `j / (Hq / Hkv)` (Hugging
/// Face `repeat_kv`), without materialising repeated heads.
///
/// With `isCausal`, the queries are the *last* `Tq` positions of the `Tk` keys: query row `i` sits at
/// absolute position `i + (Tk − Tq)` and sees keys `0...i + (Tk − Tq)`. So a prefill passes
/// `Tq == Tk`, and decoding one token over a cache of `n` earlier tokens passes `Tq == 1`,
/// `Tk == n + 1`. Causal attention requires `Tk ≥ Tq`. Without `isCausal` every query sees every
/// key; with `Tk == 0` the result is zeros.
///
/// Implementation: for each `(batch, query head)` in parallel, `cblas_sgemm` on strided slices of
/// the inputs (no copies), a stable softmax over the visible keys, and a second `cblas_sgemm` with the
/// values, in blocks of 64 query rows and key tiles small enough that OpenBLAS stays on the calling
/// thread. Causal attention skips the keys that a block of query rows cannot see. Only a 64-row
/// scratch block of probabilities per head is ever held: when gradients are recorded, each row's
/// softmax maximum and normaliser (2 floats) are kept, and the backward pass recomputes the block's
/// probabilities from them with the same calls, bit for bit (as flash attention does; keeping the
/// `B · Hq · Tq · Tk` probabilities instead cost 134 MB a layer for the 36M wind-tunnel model at
/// batch 16 × 512, 1.6 GB of a training step, for one extra `q kᵀ` product saved). A single query row without gradients (a decoding
/// step) skips BLAS: per KV head, SIMD dot products, softmax and a weighted sum of value rows, on
/// the calling thread unless the context is long.
///
/// - Parameters:
///   - query: The queries.
///   - key: The keys.
///   - value: The values.
///   - isCausal: Whether to apply the causal mask described above.
///   - scale: The factor applied to `q · k`; `1 / sqrt(D)` when `nil`.
/// - Returns: `[B, Tq, Hq, Dv]` (or `[Tq, Hq, Dv]` for rank-3 inputs).
public func scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
                                      isCausal: Bool = true, scale: Float? = nil) -> Tensor {
    let g = AttentionKernels.Geometry(query: query.shape, key: key.shape, value: value.shape, isCausal: isCausal)
    let alpha = scale ?? 1 / Float(g.d).squareRoot()
    let record = Tensor.needsGradient(query, key, value)
    var statistics: Tensor? = nil
    if record && g.tq > 0 && g.tk > 0 {
        statistics = Tensor(shape: [g.batch, g.hq, g.tq, 2]) { _ in }
    }
    var result = Tensor(shape: g.outputShape) { out in
        guard out.count > 0 else { return }
        guard g.tk > 0 else { out.update(repeating: 0); return }
        AttentionKernels.forward(query: query, key: key, value: value, geometry: g, scale: alpha,
                                 statistics: statistics.map { $0.storage.baseAddress },
                                 output: out.baseAddress!)
    }
    if record {
        let q = query.detached(), k = key.detached(), v = value.detached()
        let needs = (query.requiresGradient, key.requiresGradient, value.requiresGradient)
        let saved = statistics
        result = result.recorded(from: [query, key, value]) { upstream in
            AttentionKernels.backward(query: q, key: k, value: v, statistics: saved, gradient: upstream,
                                      geometry: g, scale: alpha, needs: needs)
        }
    }
    return result
}

/// The loops behind ``scaledDotProductAttention(query:key:value:isCausal:scale:)``.
///
/// Work is split over `(batch, head)` with ``Parallelism/forEach(count:costPerItem:_:)``, and every
/// `cblas_sgemm` call is kept at most ``blasSingleThreadedLimit`` multiply-adds (`M·N·K`): OpenBLAS
/// runs such products on the calling thread, so heads in parallel never nest OpenBLAS's own thread
/// pool inside ours (nested, they contend for the pool and run 4–5× slower on two cores). Query
/// rows go in blocks of ``blockRows`` and keys in tiles sized to that limit (a whole decoding step
/// over up to 4096 keys of head size 64 is one call).
enum AttentionKernels {
    typealias Vector = SIMD16<Float>

    /// Query rows per score block.
    static let blockRows = 64

    /// The largest `M·N·K` that OpenBLAS multiplies single-threaded: `65536 × GEMM_MULTITHREAD_THRESHOLD`
    /// (4 unless OpenBLAS was built otherwise). Only performance depends on it.
    static let blasSingleThreadedLimit = 262_144

    /// Keys per tile for a block of `rows` query rows.
    @inline(__always)
    static func keyTile(rows: Int, headSize: Int) -> Int {
        let t = blasSingleThreadedLimit / Swift.max(1, rows * headSize)
        return t >= 16 ? t / 8 * 8 : Swift.max(1, t)
    }

    /// Sizes and strides of one attention call.
    struct Geometry: Sendable {
        let batch, tq, tk, hq, hkv, d, dv: Int
        let isCausal: Bool
        let outputShape: [Int]

        init(query: [Int], key: [Int], value: [Int], isCausal: Bool) {
            precondition(query.count == 3 || query.count == 4,
                         "attention expects query [B, T, H, D] or [T, H, D], got \(query)")
            precondition(key.count == query.count && value.count == query.count,
                         "attention inputs must have the same rank: query \(query), key \(key), value \(value)")
            let q = query.count == 4 ? query : [1] + query
            let k = key.count == 4 ? key : [1] + key
            let v = value.count == 4 ? value : [1] + value
            precondition(k[0] == q[0] && v[0] == q[0],
                         "attention batch sizes differ: query \(query), key \(key), value \(value)")
            precondition(k[1] == v[1] && k[2] == v[2],
                         "key \(key) and value \(value) must agree on positions and heads")
            precondition(k[3] == q[3], "query head size \(q[3]) differs from key head size \(k[3])")
            precondition(q[3] > 0, "attention needs a positive head size, got \(q[3])")
            precondition(k[2] > 0 ? q[2] % k[2] == 0 : q[2] == 0,
                         "query heads \(q[2]) are not a multiple of key/value heads \(k[2])")
            precondition(!isCausal || k[1] >= q[1],
                         "causal attention needs at least as many keys (\(k[1])) as queries (\(q[1]))")
            (batch, tq, hq, d) = (q[0], q[1], q[2], q[3])
            (tk, hkv, dv) = (k[1], k[2], v[3])
            self.isCausal = isCausal
            outputShape = Array(query.dropLast()) + [dv]
        }

        var group: Int { hq / hkv }
        /// Keys visible to query row `i`.
        @inline(__always) func visibleKeys(row i: Int) -> Int { isCausal ? i + tk - tq + 1 : tk }
        /// Keys per tile for a block of `rows` query rows.
        @inline(__always) func keyTile(rows: Int) -> Int { AttentionKernels.keyTile(rows: rows, headSize: Swift.max(d, dv)) }

        @inline(__always) func queryOffset(_ b: Int, _ h: Int) -> Int { b * tq * hq * d + h * d }
        @inline(__always) func keyOffset(_ b: Int, _ kv: Int) -> Int { b * tk * hkv * d + kv * d }
        @inline(__always) func valueOffset(_ b: Int, _ kv: Int) -> Int { b * tk * hkv * dv + kv * dv }
        @inline(__always) func outputOffset(_ b: Int, _ h: Int) -> Int { b * tq * hq * dv + h * dv }
    }

    /// Calls `body(start, end)` for consecutive tiles of `0..<count`.
    @inline(__always)
    static func forEachTile(_ count: Int, _ tile: Int, _ body: (Int, Int) -> Void) {
        var j0 = 0
        while j0 < count {
            let j1 = Swift.min(count, j0 + tile)
            body(j0, j1)
            j0 = j1
        }
    }

    // MARK: Forward

    static func forward(query: Tensor, key: Tensor, value: Tensor, geometry g: Geometry, scale: Float,
                        statistics: UnsafeMutablePointer<Float>?, output: UnsafeMutablePointer<Float>) {
        let pq = UnsafePointer(query.storage.baseAddress)
        let pk = UnsafePointer(key.storage.baseAddress)
        let pv = UnsafePointer(value.storage.baseAddress)
        if g.tq == 1 && statistics == nil {
            singleQueryForward(pq, pk, pv, geometry: g, scale: scale, output: output)
            return
        }
        let (rq, rv, ro) = (g.hq * g.d, g.hkv * g.dv, g.hq * g.dv)   // row strides
        let tasks = g.batch * g.hq
        Parallelism.forEach(count: tasks, costPerItem: g.tq * g.tk * (g.d + g.dv)) { task in
            let b = task / g.hq, h = task % g.hq, kv = h / g.group
            let qh = pq + g.queryOffset(b, h), kh = pk + g.keyOffset(b, kv), vh = pv + g.valueOffset(b, kv)
            let oh = output + g.outputOffset(b, h)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: Swift.min(blockRows, g.tq) * g.tk)
            defer { scores.deallocate() }
            forEachTile(g.tq, blockRows) { r0, r1 in
                let rows = r1 - r0
                let keys = g.visibleKeys(row: r1 - 1)        // keys any row of the block can see
                let tile = g.keyTile(rows: rows)
                blockScores(qh + r0 * rq, kh, rows: rows, keys: keys, tile: tile, geometry: g, scale: scale, into: scores)
                let saved = statistics.map { $0 + ((b * g.hq + h) * g.tq + r0) * 2 }
                for i in 0..<rows {
                    let row = scores + i * g.tk
                    let visible = g.visibleKeys(row: r0 + i)
                    let (m, inverse) = softmaxRow(row, visible)
                    if let saved { saved[2 * i] = m; saved[2 * i + 1] = inverse }
                    if keys > visible { (row + visible).update(repeating: 0, count: keys - visible) }
                }
                forEachTile(keys, tile) { j0, j1 in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(g.dv), Int32(j1 - j0),
                                1, scores + j0, Int32(g.tk), vh + j0 * rv, Int32(rv), j0 == 0 ? 0 : 1,
                                oh + r0 * ro, Int32(ro))
                }
            }
        }
    }

    /// `scale · q kᵀ` of a block of `rows` query rows against the first `keys` keys, into `scores`
    /// (row stride `Tk`), in tiles of `tile` keys. Forward and backward make exactly the same calls,
    /// so the backward pass recomputes the forward's scores bit for bit.
    @inline(__always)
    static func blockScores(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, rows: Int, keys: Int, tile: Int,
                            geometry g: Geometry, scale: Float, into scores: UnsafeMutablePointer<Float>) {
        let (rq, rk) = (g.hq * g.d, g.hkv * g.d)
        forEachTile(keys, tile) { j0, j1 in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(j1 - j0), Int32(g.d),
                        scale, q, Int32(rq), k + j0 * rk, Int32(rk), 0, scores + j0, Int32(g.tk))
        }
    }

    /// Softmax of the first `n` scores of a row in place, as ``SoftmaxKernels/softmaxRow(_:_:_:)``
    /// computes it (`exp(x − max) · Float(1 / Σ)`), returning the maximum and that factor, from which
    /// ``probabilityRow(_:_:maximum:inverse:)`` recomputes the same row.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) -> (maximum: Float, inverse: Float) {
        let m = SoftmaxKernels.rowMaximum(row, n)
        if m == -.infinity {
            row.update(repeating: 0, count: n)
            return (m, 0)
        }
        let inverse = Float(1 / SoftmaxKernels.sumOfExponentials(row, storingInto: row, n, maximum: m))
        SoftmaxKernels.scale(row, inverse, n)
        return (m, inverse)
    }

    /// The probabilities of a row of `n` scores in place, from the statistics ``softmaxRow(_:_:)``
    /// returned for the same scores.
    @inline(__always)
    static func probabilityRow(_ row: UnsafeMutablePointer<Float>, _ n: Int, maximum m: Float, inverse: Float) {
        if m == -.infinity {
            row.update(repeating: 0, count: n)
            return
        }
        _ = SoftmaxKernels.sumOfExponentials(row, storingInto: row, n, maximum: m)
        SoftmaxKernels.scale(row, inverse, n)
    }

    // MARK: Single query (decoding)

    /// Work (`batch · Hq · Tk · (D + Dv)`, multiply-adds) below which a single-query call runs on the
    /// calling thread: a context of about 1,400 tokens for MiniCPM-1.2B's 24 heads of 64. Splitting
    /// a decode step's few microseconds of attention over Dispatch workers costs more than it saves,
    /// and on two cores the workers compete with OpenBLAS's threads, which keep spinning between
    /// the step's matrix–vector products (MiniCPMBenchmarks' breakdown, context 33, busy machine:
    /// 24 ms of attention per decoded token at 2 threads against 5.6 ms at 1, before this path).
    static let singleQueryParallelWork = 1 << 22

    /// Keys a part of a split single-query call takes at least: about 0.2 M multiply-adds for 3
    /// query heads of 64 (tens of microseconds), well above the cost of handing a piece to a worker.
    static let minimumKeysPerSplit = 512

    /// How many parts to split each `(batch, KV head)`'s keys into, so that `threads` threads have
    /// about ``Parallelism``'s few pieces each to take even with few KV heads (SmolLM2's 3 give 3
    /// pieces for 2 threads, one of which would wait for the other), but no part has fewer than
    /// ``minimumKeysPerSplit`` keys.
    static func sequenceSplits(tasks: Int, keys: Int, threads: Int) -> Int {
        guard threads > 1, tasks > 0 else { return 1 }
        let wanted = (threads * Parallelism.chunksPerThread + tasks - 1) / tasks
        return Swift.max(1, Swift.min(wanted, keys / minimumKeysPerSplit))
    }

    /// One query row per head (a decoding step over a KV cache, `Tq == 1`) without BLAS: 48 tiny
    /// `sgemm` calls per layer (M = 1, each packing its operands) and a scratch allocation per head
    /// cost more than the arithmetic. For each `(batch, KV head)`, with its query heads together so
    /// every key and value row is read once: the scores against every key (16-lane dot products), a
    /// stable softmax per head, and the probability-weighted sums of the value rows. The single
    /// query sits at the last position, so a causal mask hides nothing.
    ///
    /// A long context on more than one thread is also split along the keys (flash-decoding): each
    /// piece takes a range of keys of one `(batch, KV head)` and keeps, per query head, its own
    /// maximum score `m`, sum `l = Σ exp(s − m)` and unnormalised output `o = Σ exp(s − m) v`; the
    /// pieces are then combined exactly, `out = Σ exp(mᵢ − M) oᵢ / Σ exp(mᵢ − M) lᵢ` with
    /// `M = max mᵢ`. Without it, a model with 3 KV heads keeps only 3 pieces of work for 2
    /// threads. `splits` forces the number of parts (tests); by default ``sequenceSplits(tasks:keys:threads:)``
    /// chooses when the work is above ``singleQueryParallelWork``, and 1 (no split) otherwise.
    static func singleQueryForward(_ pq: UnsafePointer<Float>, _ pk: UnsafePointer<Float>, _ pv: UnsafePointer<Float>,
                                   geometry g: Geometry, scale: Float, output: UnsafeMutablePointer<Float>,
                                   splits requested: Int? = nil) {
        let (rk, rv) = (g.hkv * g.d, g.hkv * g.dv)
        let tasks = g.batch * g.hkv
        let work = g.batch * g.hq * g.tk * (g.d + g.dv)
        let parallel = work >= singleQueryParallelWork && Parallelism.threadCount > 1
        let splits = Swift.max(1, Swift.min(g.tk, requested ?? (parallel ? sequenceSplits(tasks: tasks, keys: g.tk,
                                                                                           threads: Parallelism.threadCount) : 1)))
        if splits > 1 {
            splitSingleQueryForward(pq, pk, pv, geometry: g, scale: scale, output: output, splits: splits)
            return
        }
        func task(_ t: Int) {
            let b = t / g.hkv, kv = t % g.hkv
            let kh = pk + g.keyOffset(b, kv), vh = pv + g.valueOffset(b, kv)
            let h0 = kv * g.group
            // The query heads sharing this KV head go together, so each key and value row is read
            // once (from memory, at long contexts) rather than once per query head.
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.group * g.tk) { buffer in
                let scores = buffer.baseAddress!
                for key in 0..<g.tk {
                    let kr = kh + key * rk
                    for j in 0..<g.group {
                        scores[j * g.tk + key] = scale * dot(pq + g.queryOffset(b, h0 + j), kr, g.d)
                    }
                }
                for j in 0..<g.group {
                    let row = scores + j * g.tk
                    SoftmaxKernels.softmaxRow(UnsafePointer(row), row, g.tk)
                    (output + g.outputOffset(b, h0 + j)).update(repeating: 0, count: g.dv)
                }
                for key in 0..<g.tk {
                    let vr = vh + key * rv
                    for j in 0..<g.group {
                        addScaled(scores[j * g.tk + key], vr, into: output + g.outputOffset(b, h0 + j), g.dv)
                    }
                }
            }
        }
        if !parallel || tasks == 1 {
            for t in 0..<tasks { task(t) }
        } else {
            Parallelism.forEach(count: tasks, costPerItem: work / tasks) { task($0) }
        }
    }

    /// The flash-decoding path of ``singleQueryForward(_:_:_:geometry:scale:output:splits:)``:
    /// `splits` key ranges per `(batch, KV head)`, each reduced to per-head `(m, l, o)` in a scratch
    /// slot of `Dv + 2` floats, then combined per head.
    static func splitSingleQueryForward(_ pq: UnsafePointer<Float>, _ pk: UnsafePointer<Float>, _ pv: UnsafePointer<Float>,
                                        geometry g: Geometry, scale: Float, output: UnsafeMutablePointer<Float>,
                                        splits: Int) {
        let (rk, rv) = (g.hkv * g.d, g.hkv * g.dv)
        let tasks = g.batch * g.hkv
        let slot = g.dv + 2                        // o[Dv], m, l
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: tasks * splits * g.group * slot)
        defer { partials.deallocate() }
        let pieces = tasks * splits
        Parallelism.forEach(count: pieces, costPerItem: g.group * (g.tk / splits) * (g.d + g.dv)) { piece in
            let t = piece / splits, part = piece % splits
            let b = t / g.hkv, kv = t % g.hkv, h0 = kv * g.group
            let k0 = part * g.tk / splits, k1 = (part + 1) * g.tk / splits, n = k1 - k0
            let kh = pk + g.keyOffset(b, kv) + k0 * rk, vh = pv + g.valueOffset(b, kv) + k0 * rv
            let out = partials + piece * g.group * slot
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.group * n) { buffer in
                let scores = buffer.baseAddress!
                for key in 0..<n {
                    let kr = kh + key * rk
                    for j in 0..<g.group {
                        scores[j * n + key] = scale * dot(pq + g.queryOffset(b, h0 + j), kr, g.d)
                    }
                }
                for j in 0..<g.group {
                    let row = scores + j * n, o = out + j * slot
                    let m = SoftmaxKernels.rowMaximum(UnsafePointer(row), n)
                    if m == -.infinity {
                        row.update(repeating: 0, count: n)
                        o[g.dv + 1] = 0
                    } else {
                        o[g.dv + 1] = Float(SoftmaxKernels.sumOfExponentials(UnsafePointer(row), storingInto: row, n, maximum: m))
                    }
                    o[g.dv] = m
                    o.update(repeating: 0, count: g.dv)
                }
                for key in 0..<n {
                    let vr = vh + key * rv
                    for j in 0..<g.group {
                        addScaled(scores[j * n + key], vr, into: out + j * slot, g.dv)
                    }
                }
            }
        }
        // Combine: tasks · group · splits · Dv multiply-adds, negligible next to the pieces.
        for t in 0..<tasks {
            let b = t / g.hkv, kv = t % g.hkv
            for j in 0..<g.group {
                let o = output + g.outputOffset(b, kv * g.group + j)
                var m = -Float.infinity
                for part in 0..<splits { m = Swift.max(m, partials[((t * splits + part) * g.group + j) * slot + g.dv]) }
                o.update(repeating: 0, count: g.dv)
                guard m > -.infinity else { continue }
                var total = 0.0
                for part in 0..<splits {
                    let p = partials + ((t * splits + part) * g.group + j) * slot
                    total += Double(p[g.dv + 1]) * exp(Double(p[g.dv] - m))
                }
                for part in 0..<splits {
                    let p = partials + ((t * splits + part) * g.group + j) * slot
                    let weight = Float(exp(Double(p[g.dv] - m)) / total)
                    if weight > 0 { addScaled(weight, UnsafePointer(p), into: o, g.dv) }
                }
            }
        }
    }

    /// `Σ a[i] b[i]` over `n` elements.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Vector()
        var i = 0
        while i + 16 <= n {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: Vector.self) * UnsafeRawPointer(b + i).loadUnaligned(as: Vector.self)
            i += 16
        }
        var s = VectorMath.sum(acc)
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// `y[i] += a · x[i]` over `n` elements.
    @inline(__always)
    static func addScaled(_ a: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        let va = Vector(repeating: a)
        var i = 0
        while i + 16 <= n {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: Vector.self) + va * UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: Vector.self)
            i += 16
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    // MARK: Backward

    /// Gradients for query, key and value. Per `(batch, KV head)` in parallel, over its query heads
    /// and blocks of query rows: `dV += Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − rowsum(dP ⊙ P))`,
    /// `dQ = scale · dS K`, `dK += scale · dSᵀ Q` (so the query heads sharing a KV head accumulate
    /// into it without races). Key tiles a causal block cannot see are skipped.
    static func backward(query: Tensor, key: Tensor, value: Tensor, statistics: Tensor?, gradient: Tensor,
                         geometry g: Geometry, scale: Float, needs: (Bool, Bool, Bool)) -> [Tensor?] {
        let (needQ, needK, needV) = needs
        guard let statistics else {
            // No queries or no keys: the output did not depend on the inputs.
            return [needQ ? .zeros(query.shape) : nil, needK ? .zeros(key.shape) : nil,
                    needV ? .zeros(value.shape) : nil]
        }
        let dq = needQ ? Tensor(shape: query.shape) { _ in } : nil     // fully written (beta 0 first)
        let dk = needK ? Tensor.zeros(key.shape) : nil                 // accumulated
        let dv = needV ? Tensor.zeros(value.shape) : nil
        let pq = UnsafePointer(query.storage.baseAddress)
        let pk = UnsafePointer(key.storage.baseAddress)
        let pv = UnsafePointer(value.storage.baseAddress)
        let pstats = UnsafePointer(statistics.storage.baseAddress)
        let pdo = UnsafePointer(gradient.storage.baseAddress)
        let pdq = dq?.storage.baseAddress, pdk = dk?.storage.baseAddress, pdv = dv?.storage.baseAddress
        let (rq, rk, rv, ro) = (g.hq * g.d, g.hkv * g.d, g.hkv * g.dv, g.hq * g.dv)
        let ldp = Int32(g.tk)
        Parallelism.forEach(count: g.batch * g.hkv, costPerItem: g.group * g.tq * g.tk * (2 * g.d + 2 * g.dv)) { task in
            let b = task / g.hkv, kv = task % g.hkv
            let kh = pk + g.keyOffset(b, kv), vh = pv + g.valueOffset(b, kv)
            let dkh = pdk.map { $0 + g.keyOffset(b, kv) }, dvh = pdv.map { $0 + g.valueOffset(b, kv) }
            let blockSize = Swift.min(blockRows, g.tq) * g.tk
            let p = UnsafeMutablePointer<Float>.allocate(capacity: blockSize)
            defer { p.deallocate() }
            let scores: UnsafeMutablePointer<Float>? = needQ || needK ? .allocate(capacity: blockSize) : nil
            defer { scores?.deallocate() }
            for j in 0..<g.group {
                let h = kv * g.group + j
                let qh = pq + g.queryOffset(b, h), doh = pdo + g.outputOffset(b, h)
                let dqh = pdq.map { $0 + g.queryOffset(b, h) }
                forEachTile(g.tq, blockRows) { r0, r1 in
                    let rows = r1 - r0
                    let keys = g.visibleKeys(row: r1 - 1)
                    let tile = g.keyTile(rows: rows)
                    let (m, dOut, qRows) = (Int32(rows), doh + r0 * ro, qh + r0 * rq)
                    // The forward's probabilities of this block, recomputed from its statistics.
                    blockScores(qRows, kh, rows: rows, keys: keys, tile: tile, geometry: g, scale: scale, into: p)
                    let saved = pstats + ((b * g.hq + h) * g.tq + r0) * 2
                    for i in 0..<rows {
                        let row = p + i * g.tk, visible = g.visibleKeys(row: r0 + i)
                        probabilityRow(row, visible, maximum: saved[2 * i], inverse: saved[2 * i + 1])
                        if keys > visible { (row + visible).update(repeating: 0, count: keys - visible) }
                    }
                    if let dvh {
                        forEachTile(keys, tile) { j0, j1 in
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(j1 - j0), Int32(g.dv), m,
                                        1, p + j0, ldp, dOut, Int32(ro), 1, dvh + j0 * rv, Int32(rv))
                        }
                    }
                    guard let ds = scores else { return }
                    forEachTile(keys, tile) { j0, j1 in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Int32(j1 - j0), Int32(g.dv),
                                    1, dOut, Int32(ro), vh + j0 * rv, Int32(rv), 0, ds + j0, ldp)
                    }
                    for i in 0..<rows {
                        scoreGradientRow(UnsafePointer(p + i * g.tk), ds + i * g.tk, g.visibleKeys(row: r0 + i), keys)
                    }
                    if let dqh {
                        forEachTile(keys, tile) { j0, j1 in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, Int32(g.d), Int32(j1 - j0),
                                        scale, ds + j0, ldp, kh + j0 * rk, Int32(rk), j0 == 0 ? 0 : 1,
                                        dqh + r0 * rq, Int32(rq))
                        }
                    }
                    if let dkh {
                        forEachTile(keys, tile) { j0, j1 in
                            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(j1 - j0), Int32(g.d), m,
                                        scale, ds + j0, ldp, qRows, Int32(rq), 1, dkh + j0 * rk, Int32(rk))
                        }
                    }
                }
            }
        }
        return [dq, dk, dv]
    }

    /// `ds[j] = p[j] (dp[j] − Σ_k dp[k] p[k])` over the visible keys, in place over `dp`; zero beyond.
    @inline(__always)
    static func scoreGradientRow(_ p: UnsafePointer<Float>, _ ds: UnsafeMutablePointer<Float>, _ visible: Int, _ n: Int) {
        var acc = Vector()
        var total = 0.0, pending = 0
        var j = 0
        while j + 16 <= visible {
            acc += UnsafeRawPointer(p + j).loadUnaligned(as: Vector.self)
                * UnsafeRawPointer(ds + j).loadUnaligned(as: Vector.self)
            pending += 1
            if pending == 64 { total += Double(VectorMath.sum(acc)); acc = Vector(); pending = 0 }
            j += 16
        }
        total += Double(VectorMath.sum(acc))
        while j < visible { total += Double(p[j] * ds[j]); j += 1 }
        let s = Float(total), vs = Vector(repeating: s)
        j = 0
        while j + 16 <= visible {
            let vp = UnsafeRawPointer(p + j).loadUnaligned(as: Vector.self)
            let vd = UnsafeRawPointer(ds + j).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(ds + j).storeBytes(of: vp * (vd - vs), as: Vector.self)
            j += 16
        }
        while j < visible { ds[j] = p[j] * (ds[j] - s); j += 1 }
        if n > visible { (ds + visible).update(repeating: 0, count: n - visible) }
    }
}
