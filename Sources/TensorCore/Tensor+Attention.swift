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
/// Implementation: for each `(batch, query head)` in parallel, blocks of 64 query rows; for each
/// block, the visible keys in spans of ``AttentionKernels/keysPerSpan`` (256) with an online softmax
/// (FlashAttention): per row a running maximum and sum of exponentials, the output rows rescaled
/// whenever the maximum grows, and normalised once at the end. Products are `cblas_sgemm` calls on
/// strided slices of the inputs (no copies), in key tiles small enough that OpenBLAS stays on the
/// calling thread. Only a `[64, 256]` scratch block of scores per worker is ever held (64 KiB, in L2),
/// whatever the sequence length. When gradients are recorded, each row's final maximum and
/// `1 / Σ exp` (2 floats) are kept, and the backward pass recomputes each span's probabilities from
/// them, with `δᵢ = dOᵢ · Oᵢ` in place of a row sum over all keys, so it holds the same small
/// blocks (keeping the `B · Hq · Tq · Tk` probabilities instead cost 134 MB a layer for the 36M
/// wind-tunnel model at batch 16 × 512, 1.6 GB of a training step). Before the spans, a block held
/// its scores for all `Tk` keys (8 MiB at 32 K keys, still linear in memory): one chunk of 512
/// queries against 32 K keys then ran at 66 GFLOP per CPU second against 82 at 1 K keys, the
/// block's passes spilling out of the caches; with the spans it runs at 76 (LongContextBenchmarks,
/// one thread, Docs/Performance.md). A single query row without gradients (a decoding step) skips
/// BLAS: SIMD dot products, softmax and a weighted sum of value rows, walking the cached rows in
/// order for all heads at once, split along the keys across threads when the context is long
/// (flash-decoding).
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
        let q = query.detached(), k = key.detached(), v = value.detached(), o = result.detached()
        let needs = (query.requiresGradient, key.requiresGradient, value.requiresGradient)
        let saved = statistics
        result = result.recorded(from: [query, key, value]) { upstream in
            AttentionKernels.backward(query: q, key: k, value: v, output: o, statistics: saved, gradient: upstream,
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
/// rows go in blocks of ``blockRows``, keys in spans of ``keysPerSpan`` (the online softmax's unit)
/// and, within a span, in tiles sized to that limit.
enum AttentionKernels {
    typealias Vector = SIMD16<Float>

    /// Query rows per score block.
    static let blockRows = 64

    /// Keys per span of the online softmax: a `[64, 256]` block of scores is 64 KiB, which stays in
    /// a core's L2 cache (512 KiB here) between the `q kᵀ` product, the exponentials and the
    /// product with the values. Only tests change it, to cross span boundaries at small sizes.
    nonisolated(unsafe) static var keysPerSpan = 256

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
        let span = Swift.max(1, keysPerSpan)
        Parallelism.forEach(count: tasks, costPerItem: g.tq * g.tk * (g.d + g.dv)) { task in
            let b = task / g.hq, h = task % g.hq, kv = h / g.group
            let qh = pq + g.queryOffset(b, h), kh = pk + g.keyOffset(b, kv), vh = pv + g.valueOffset(b, kv)
            let oh = output + g.outputOffset(b, h)
            let blockCapacity = Swift.min(blockRows, g.tq)
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: blockCapacity * span)
            defer { scores.deallocate() }
            // Per row of the block: the running maximum and sum of exponentials.
            var maxima = [Float](repeating: 0, count: blockCapacity), sums = [Double](repeating: 0, count: blockCapacity)
            forEachTile(g.tq, blockRows) { r0, r1 in
                let rows = r1 - r0
                let keys = g.visibleKeys(row: r1 - 1)        // keys any row of the block can see
                let tile = Swift.min(span, g.keyTile(rows: rows))
                for i in 0..<rows {
                    maxima[i] = -.infinity
                    sums[i] = 0
                    (oh + (r0 + i) * ro).update(repeating: 0, count: g.dv)
                }
                forEachTile(keys, span) { s0, s1 in
                    let n = s1 - s0
                    blockScores(qh + r0 * rq, kh + s0 * g.hkv * g.d, rows: rows, keys: n, tile: tile, stride: span,
                                geometry: g, scale: scale, into: scores)
                    for i in 0..<rows {
                        let row = scores + i * span, o = oh + (r0 + i) * ro
                        let visible = Swift.max(0, Swift.min(n, g.visibleKeys(row: r0 + i) - s0))
                        let m = visible > 0 ? Swift.max(maxima[i], SoftmaxKernels.rowMaximum(row, visible)) : -.infinity
                        if m == -.infinity {
                            row.update(repeating: 0, count: n)
                            continue
                        }
                        // Rescale what the earlier spans added to this row to the new maximum.
                        if maxima[i] != m {
                            let alpha = maxima[i] == -.infinity ? 0 : exp(maxima[i] - m)
                            sums[i] *= Double(alpha)
                            SoftmaxKernels.scale(o, alpha, g.dv)
                            maxima[i] = m
                        }
                        sums[i] += SoftmaxKernels.sumOfExponentials(row, storingInto: row, visible, maximum: m)
                        if n > visible { (row + visible).update(repeating: 0, count: n - visible) }
                    }
                    forEachTile(n, tile) { j0, j1 in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(g.dv), Int32(j1 - j0),
                                    1, scores + j0, Int32(span), vh + (s0 + j0) * rv, Int32(rv), 1,
                                    oh + r0 * ro, Int32(ro))
                    }
                }
                let saved = statistics.map { $0 + ((b * g.hq + h) * g.tq + r0) * 2 }
                for i in 0..<rows {
                    let inverse: Float = maxima[i] == -.infinity ? 0 : Float(1 / sums[i])
                    SoftmaxKernels.scale(oh + (r0 + i) * ro, inverse, g.dv)
                    if let saved { saved[2 * i] = maxima[i]; saved[2 * i + 1] = inverse }
                }
            }
        }
    }

    /// `scale · q kᵀ` of a block of `rows` query rows against `keys` keys from `k`, into `scores`
    /// (row stride `stride`), in tiles of `tile` keys. Forward and backward make exactly the same
    /// calls, so the backward pass recomputes the forward's scores bit for bit.
    @inline(__always)
    static func blockScores(_ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>, rows: Int, keys: Int, tile: Int,
                            stride: Int, geometry g: Geometry, scale: Float, into scores: UnsafeMutablePointer<Float>) {
        let (rq, rk) = (g.hq * g.d, g.hkv * g.d)
        forEachTile(keys, tile) { j0, j1 in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(j1 - j0), Int32(g.d),
                        scale, q, Int32(rq), k + j0 * rk, Int32(rk), 0, scores + j0, Int32(stride))
        }
    }

    /// The probabilities of a row of `n` scores in place, from the row's final maximum and
    /// `1 / Σ exp(s − max)` that the forward pass saved.
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

    /// Keys a part of a split single-query call takes at least: 0.6 M multiply-adds for 9 query
    /// heads of 64 (about a hundred microseconds), well above the cost of handing a piece to a worker.
    static let minimumKeysPerSplit = 512

    /// Scores one piece of a single-query call holds at most (`Hq` × its keys): 24 KiB, so they stay
    /// in the 32 KiB L1 data cache from the pass that writes them to the two that read them. With
    /// MiniCPM-1.2B's 24 heads a 16 K context in one piece made a 1.5 MiB score block, and 512-key
    /// pieces (48 KiB) were no better: 6.1–6.6 ms a call at one thread, against 3.4 ms in 256-key
    /// pieces (LongContextBenchmarks' decode kernel, the same run). SmolLM2's 9 heads get 682 keys.
    static let maximumScoresPerPiece = 6144

    /// How many ranges one sequence's keys go in for a single-query call: enough for the threads
    /// when `parallel` (``sequenceSplits(batches:keys:threads:)``), and enough that no range holds
    /// more than ``maximumScoresPerPiece`` scores.
    static func singleQuerySplits(batches: Int, keys: Int, heads: Int, threads: Int, parallel: Bool) -> Int {
        let forCache = (keys * heads + maximumScoresPerPiece - 1) / maximumScoresPerPiece
        let forThreads = parallel ? sequenceSplits(batches: batches, keys: keys, threads: threads) : 1
        return Swift.max(1, Swift.min(keys, Swift.max(forCache, forThreads)))
    }

    /// How many ranges to split each sequence's keys into, so that `threads` threads have about
    /// ``Parallelism``'s few pieces each, but no range has fewer than ``minimumKeysPerSplit`` keys.
    static func sequenceSplits(batches: Int, keys: Int, threads: Int) -> Int {
        guard threads > 1, batches > 0 else { return 1 }
        let wanted = (threads * Parallelism.chunksPerThread + batches - 1) / batches
        return Swift.max(1, Swift.min(wanted, keys / minimumKeysPerSplit))
    }

    /// One query row per head (a decoding step over a KV cache, `Tq == 1`) without BLAS: 48 tiny
    /// `sgemm` calls per layer (M = 1, each packing its operands) and a scratch allocation per head
    /// cost more than the arithmetic. The single query sits at the last position, so a causal mask
    /// hides nothing.
    ///
    /// The keys of each sequence go in ranges (flash-decoding), and a piece of work is one range
    /// for **every** head: it walks its key rows and value rows once, front to back, each row
    /// `[H_kv, D]` contiguous, computing every query head's scores against it (16-lane dot
    /// products), then per head its maximum `m`, sum `l = Σ exp(s − m)` and unnormalised output
    /// `o = Σ exp(s − m) v`. The ranges are then combined exactly,
    /// `out = Σ exp(mᵢ − M) oᵢ / Σ exp(mᵢ − M) lᵢ` with `M = max mᵢ`. Reading whole rows in order
    /// lets the hardware prefetcher stream the cache from memory; going KV head by KV head instead
    /// read every row's slice of one head at a stride, which at 16 K tokens left the loop waiting on
    /// memory (the kernel took 3× as long). Splitting the keys, not the heads, also gives 2 threads
    /// work to share when a model has only 3 KV heads (SmolLM2). Long contexts go in ranges on one
    /// thread too, so that a range's scores stay in L1. `splits` forces the number of ranges
    /// (tests); by default ``singleQuerySplits(batches:keys:heads:threads:parallel:)`` chooses, for
    /// threads when the work is above ``singleQueryParallelWork``.
    static func singleQueryForward(_ pq: UnsafePointer<Float>, _ pk: UnsafePointer<Float>, _ pv: UnsafePointer<Float>,
                                   geometry g: Geometry, scale: Float, output: UnsafeMutablePointer<Float>,
                                   splits requested: Int? = nil) {
        let (rk, rv) = (g.hkv * g.d, g.hkv * g.dv)
        let work = g.batch * g.hq * g.tk * (g.d + g.dv)
        let threads = Parallelism.threadCount
        let parallel = work >= singleQueryParallelWork && threads > 1
        let splits = Swift.max(1, Swift.min(g.tk, requested ?? singleQuerySplits(batches: g.batch, keys: g.tk, heads: g.hq,
                                                                              threads: threads, parallel: parallel)))
        let slot = g.dv + 2                        // o[Dv], m, l
        let pieces = g.batch * splits
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: pieces * g.hq * slot)
        defer { partials.deallocate() }
        func piece(_ index: Int) {
            let b = index / splits, part = index % splits
            let k0 = part * g.tk / splits, k1 = (part + 1) * g.tk / splits, n = k1 - k0
            let kb = pk + g.keyOffset(b, 0) + k0 * rk, vb = pv + g.valueOffset(b, 0) + k0 * rv
            let out = partials + index * g.hq * slot
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.hq * n) { buffer in
                let scores = buffer.baseAddress!
                for key in 0..<n {
                    let kr = kb + key * rk
                    for h in 0..<g.hq {
                        scores[h * n + key] = scale * dot(pq + g.queryOffset(b, h), kr + (h / g.group) * g.d, g.d)
                    }
                }
                for h in 0..<g.hq { beginPartial(scores: scores + h * n, count: n, slot: out + h * slot, width: g.dv) }
                for key in 0..<n {
                    let vr = vb + key * rv
                    for h in 0..<g.hq {
                        addScaled(scores[h * n + key], vr + (h / g.group) * g.dv, into: out + h * slot, g.dv)
                    }
                }
            }
        }
        if parallel && pieces > 1 {
            Parallelism.forEach(count: pieces, costPerItem: work / pieces) { piece($0) }
        } else {
            for i in 0..<pieces { piece(i) }
        }
        // Combine: batch · Hq · splits · Dv multiply-adds, negligible next to the pieces.
        for b in 0..<g.batch {
            for h in 0..<g.hq {
                combinePartials(splits, width: g.dv, into: output + g.outputOffset(b, h)) { part in
                    partials + ((b * splits + part) * g.hq + h) * slot
                }
            }
        }
    }

    /// Starts one head's partial result over a range of keys (flash-decoding): exponentiates the
    /// range's `n` scores in place against their maximum, stores that maximum and the sum of the
    /// exponentials after the slot's `width` output values (`slot[width]`, `slot[width + 1]`), and
    /// zeroes the outputs for the weighted sum of value rows that follows. A range that sees no key
    /// (all scores −∞) gets zero weights and a zero sum.
    @inline(__always)
    static func beginPartial(scores row: UnsafeMutablePointer<Float>, count n: Int, slot o: UnsafeMutablePointer<Float>, width: Int) {
        let m = SoftmaxKernels.rowMaximum(UnsafePointer(row), n)
        if m == -.infinity {
            row.update(repeating: 0, count: n)
            o[width + 1] = 0
        } else {
            o[width + 1] = Float(SoftmaxKernels.sumOfExponentials(UnsafePointer(row), storingInto: row, n, maximum: m))
        }
        o[width] = m
        o.update(repeating: 0, count: width)
    }

    /// One head's output from the `count` partial results ``beginPartial(scores:count:slot:width:)``
    /// started: each range's weighted sum rescaled by `exp(mᵢ − m) / Σⱼ sⱼ exp(mⱼ − m)`, in Double,
    /// so the split gives the softmax over all keys.
    @inline(__always)
    static func combinePartials(_ count: Int, width: Int, into o: UnsafeMutablePointer<Float>,
                                _ partial: (Int) -> UnsafeMutablePointer<Float>) {
        var m = -Float.infinity
        for part in 0..<count { m = Swift.max(m, partial(part)[width]) }
        o.update(repeating: 0, count: width)
        guard m > -.infinity else { return }
        var total = 0.0
        for part in 0..<count { total += Double(partial(part)[width + 1]) * exp(Double(partial(part)[width] - m)) }
        for part in 0..<count {
            let weight = Float(exp(Double(partial(part)[width] - m)) / total)
            if weight > 0 { addScaled(weight, UnsafePointer(partial(part)), into: o, width) }
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

    /// Gradients for query, key and value. Per `(batch, KV head)` in parallel, over its query heads,
    /// blocks of query rows and spans of keys (the forward's): the span's probabilities recomputed
    /// from the saved statistics, `dV += Pᵀ dO`, `dP = dO Vᵀ`, `dS = P ⊙ (dP − δ)` with
    /// `δᵢ = dOᵢ · Oᵢ` (`= Σⱼ Pᵢⱼ dPᵢⱼ`, so no pass over the whole row is needed; FlashAttention-2),
    /// `dQ += scale · dS K`, `dK += scale · dSᵀ Q` (so the query heads sharing a KV head accumulate
    /// into it without races). Keys a causal block cannot see are skipped.
    static func backward(query: Tensor, key: Tensor, value: Tensor, output: Tensor, statistics: Tensor?, gradient: Tensor,
                         geometry g: Geometry, scale: Float, needs: (Bool, Bool, Bool)) -> [Tensor?] {
        let (needQ, needK, needV) = needs
        guard let statistics else {
            // No queries or no keys: the output did not depend on the inputs.
            return [needQ ? .zeros(query.shape) : nil, needK ? .zeros(key.shape) : nil,
                    needV ? .zeros(value.shape) : nil]
        }
        let dq = needQ ? Tensor.zeros(query.shape) : nil                // accumulated over spans
        let dk = needK ? Tensor.zeros(key.shape) : nil
        let dv = needV ? Tensor.zeros(value.shape) : nil
        let pq = UnsafePointer(query.storage.baseAddress)
        let pk = UnsafePointer(key.storage.baseAddress)
        let pv = UnsafePointer(value.storage.baseAddress)
        let po = UnsafePointer(output.storage.baseAddress)
        let pstats = UnsafePointer(statistics.storage.baseAddress)
        let pdo = UnsafePointer(gradient.storage.baseAddress)
        let pdq = dq?.storage.baseAddress, pdk = dk?.storage.baseAddress, pdv = dv?.storage.baseAddress
        let (rq, rk, rv, ro) = (g.hq * g.d, g.hkv * g.d, g.hkv * g.dv, g.hq * g.dv)
        let span = Swift.max(1, keysPerSpan)
        let ldp = Int32(span)
        Parallelism.forEach(count: g.batch * g.hkv, costPerItem: g.group * g.tq * g.tk * (2 * g.d + 2 * g.dv)) { task in
            let b = task / g.hkv, kv = task % g.hkv
            let kh = pk + g.keyOffset(b, kv), vh = pv + g.valueOffset(b, kv)
            let dkh = pdk.map { $0 + g.keyOffset(b, kv) }, dvh = pdv.map { $0 + g.valueOffset(b, kv) }
            let blockSize = Swift.min(blockRows, g.tq) * span
            let p = UnsafeMutablePointer<Float>.allocate(capacity: blockSize)
            defer { p.deallocate() }
            let scores: UnsafeMutablePointer<Float>? = needQ || needK ? .allocate(capacity: blockSize) : nil
            defer { scores?.deallocate() }
            var delta = [Float](repeating: 0, count: Swift.min(blockRows, g.tq))
            for j in 0..<g.group {
                let h = kv * g.group + j
                let qh = pq + g.queryOffset(b, h), doh = pdo + g.outputOffset(b, h), oh = po + g.outputOffset(b, h)
                let dqh = pdq.map { $0 + g.queryOffset(b, h) }
                forEachTile(g.tq, blockRows) { r0, r1 in
                    let rows = r1 - r0
                    let keys = g.visibleKeys(row: r1 - 1)
                    let tile = Swift.min(span, g.keyTile(rows: rows))
                    let (m, dOut, qRows) = (Int32(rows), doh + r0 * ro, qh + r0 * rq)
                    let saved = pstats + ((b * g.hq + h) * g.tq + r0) * 2
                    for i in 0..<rows {
                        var total = 0.0
                        let (x, y) = (dOut + i * ro, oh + (r0 + i) * ro)
                        for c in 0..<g.dv { total += Double(x[c]) * Double(y[c]) }
                        delta[i] = Float(total)
                    }
                    forEachTile(keys, span) { s0, s1 in
                        let n = s1 - s0
                        let ks = kh + s0 * rk, vs = vh + s0 * rv
                        // The forward's probabilities of this span, recomputed from the statistics.
                        blockScores(qRows, ks, rows: rows, keys: n, tile: tile, stride: span, geometry: g, scale: scale, into: p)
                        for i in 0..<rows {
                            let row = p + i * span
                            let visible = Swift.max(0, Swift.min(n, g.visibleKeys(row: r0 + i) - s0))
                            probabilityRow(row, visible, maximum: saved[2 * i], inverse: saved[2 * i + 1])
                            if n > visible { (row + visible).update(repeating: 0, count: n - visible) }
                        }
                        if let dvh {
                            forEachTile(n, tile) { j0, j1 in
                                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(j1 - j0), Int32(g.dv), m,
                                            1, p + j0, ldp, dOut, Int32(ro), 1, dvh + (s0 + j0) * rv, Int32(rv))
                            }
                        }
                        guard let ds = scores else { return }
                        forEachTile(n, tile) { j0, j1 in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, Int32(j1 - j0), Int32(g.dv),
                                        1, dOut, Int32(ro), vs + j0 * rv, Int32(rv), 0, ds + j0, ldp)
                        }
                        for i in 0..<rows {
                            let visible = Swift.max(0, Swift.min(n, g.visibleKeys(row: r0 + i) - s0))
                            scoreGradientRow(UnsafePointer(p + i * span), ds + i * span, visible, n, rowSum: delta[i])
                        }
                        if let dqh {
                            forEachTile(n, tile) { j0, j1 in
                                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, Int32(g.d), Int32(j1 - j0),
                                            scale, ds + j0, ldp, ks + j0 * rk, Int32(rk), 1, dqh + r0 * rq, Int32(rq))
                            }
                        }
                        if let dkh {
                            forEachTile(n, tile) { j0, j1 in
                                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(j1 - j0), Int32(g.d), m,
                                            scale, ds + j0, ldp, qRows, Int32(rq), 1, dkh + (s0 + j0) * rk, Int32(rk))
                            }
                        }
                    }
                }
            }
        }
        return [dq, dk, dv]
    }

    /// `ds[j] = p[j] (dp[j] − s)` over the `visible` keys, in place over `dp`; zero beyond, up to `n`.
    /// `s` is the row's `Σ_k dp[k] p[k]` over all its keys (`dO · O`).
    @inline(__always)
    static func scoreGradientRow(_ p: UnsafePointer<Float>, _ ds: UnsafeMutablePointer<Float>, _ visible: Int, _ n: Int,
                                 rowSum s: Float) {
        let vs = Vector(repeating: s)
        var j = 0
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
