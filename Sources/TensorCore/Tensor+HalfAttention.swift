import CHalfKernels

/// One query row per head attending over keys and values stored as IEEE binary16 (a decoding step
/// over a half-precision KV cache): the result equals
/// ``scaledDotProductAttention(query:key:value:isCausal:scale:)`` on the widened keys and values,
/// up to `Float` rounding.
///
/// The rows are read ``HalfAttentionKernels/rowsPerTile`` at a time: on a CPU with AVX2, FMA and
/// F16C, C kernels widen them in registers (`vcvtph2ps`) inside the dot products and the weighted
/// sums; elsewhere they are widened into a small float tile that goes through the float kernel's
/// loops. Softmax and the split along the keys across threads for long contexts
/// (flash-decoding) are the float kernel's. Nothing but a tile is ever held in `Float`, so the
/// cache's memory and the bytes read per step are half those of a float cache. No gradient is
/// recorded.
///
/// - Parameters:
///   - query: `[1, 1, Hq, D]` or `[1, Hq, D]`.
///   - keys: `keyCount` rows `[Hkv, D]` of binary16 bit patterns, contiguous.
///   - values: `keyCount` rows `[Hkv, D]`, likewise.
///   - keyCount: Rows of keys and values; the query sees all of them.
///   - keyValueHeads: `Hkv`; `Hq` must be a multiple of it.
///   - scale: The factor applied to `q · k`; `1 / sqrt(D)` when `nil`.
/// - Returns: The query's shape.
public func scaledDotProductAttention(query: Tensor, float16Keys keys: UnsafePointer<UInt16>,
                                      values: UnsafePointer<UInt16>, keyCount: Int, keyValueHeads: Int,
                                      scale: Float? = nil) -> Tensor {
    let d = query.shape[query.rank - 1]
    precondition(query.rank >= 3 && query.shape.dropLast(2).allSatisfy { $0 == 1 },
                 "half-precision attention takes one query row, [1, 1, H, D] or [1, H, D], got \(query.shape)")
    precondition(keyValueHeads > 0 && query.shape[query.rank - 2] % keyValueHeads == 0,
                 "query heads \(query.shape[query.rank - 2]) are not a multiple of key/value heads \(keyValueHeads)")
    let g = AttentionKernels.Geometry(query: [1, 1, query.shape[query.rank - 2], d], key: [1, keyCount, keyValueHeads, d],
                                      value: [1, keyCount, keyValueHeads, d], isCausal: true)
    let alpha = scale ?? 1 / Float(d).squareRoot()
    return Tensor(shape: query.shape) { out in
        guard keyCount > 0 else { out.update(repeating: 0); return }
        HalfAttentionKernels.singleQuery(UnsafePointer(query.storage.baseAddress), keys, values, geometry: g,
                                         scale: alpha, output: out.baseAddress!)
    }
}

/// The loop behind ``scaledDotProductAttention(query:float16Keys:values:keyCount:keyValueHeads:scale:)``.
enum HalfAttentionKernels {
    /// Rows widened at a time: 32 rows of MiniCPM-1.2B's 8 KV heads of 64 are a 64 KiB tile,
    /// which stays in L2 between the widening and its use.
    static let rowsPerTile = 32

    /// `AttentionKernels.singleQueryForward` with the key and value rows widened tile by tile. A
    /// piece is one range of keys for every head: scores against the widened key tiles, per head
    /// the maximum, `Σ exp` and the unnormalised output over the widened value tiles; the ranges
    /// are combined exactly as in the float kernel. `splits` forces the number of ranges (tests).
    static func singleQuery(_ pq: UnsafePointer<Float>, _ pk: UnsafePointer<UInt16>, _ pv: UnsafePointer<UInt16>,
                            geometry g: AttentionKernels.Geometry, scale: Float, output: UnsafeMutablePointer<Float>,
                            splits requested: Int? = nil) {
        let rk = g.hkv * g.d
        let work = g.hq * g.tk * 2 * g.d
        let threads = Parallelism.threadCount
        let parallel = work >= AttentionKernels.singleQueryParallelWork && threads > 1
        let splits = Swift.max(1, Swift.min(g.tk, requested ?? AttentionKernels.singleQuerySplits(batches: 1, keys: g.tk, heads: g.hq,
                                                                                                  threads: threads, parallel: parallel)))
        let slot = g.d + 2                         // o[D], m, l
        let partials = UnsafeMutablePointer<Float>.allocate(capacity: splits * g.hq * slot)
        defer { partials.deallocate() }
        // AVX2 + FMA + F16C: C kernels that widen in registers, 8 lanes at a time. The library is
        // built for baseline x86-64, where Swift's 16-lane SIMD becomes SSE without FMA and the
        // float kernel is compute-bound, so without these the half cache saved memory but no
        // time. Elsewhere: rows widened into a float tile, then the float kernel's loops.
        let fused = chk_cpu_has_avx2_fma_f16c() != 0
        func piece(_ part: Int) {
            let k0 = part * g.tk / splits, k1 = (part + 1) * g.tk / splits, n = k1 - k0
            let out = partials + part * g.hq * slot
            let tile = UnsafeMutablePointer<Float>.allocate(capacity: rowsPerTile * rk)
            defer { tile.deallocate() }
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: g.hq * n)
            defer { scores.deallocate() }
            AttentionKernels.forEachTile(n, rowsPerTile) { j0, j1 in
                if fused {
                    chk_half_scores(pq, pk + (k0 + j0) * rk, j1 - j0, rk, g.hq, g.group, g.d, scale, scores + j0, n)
                    return
                }
                chk_half_to_float(pk + (k0 + j0) * rk, tile, (j1 - j0) * rk)
                for key in j0..<j1 {
                    let kr = UnsafePointer(tile + (key - j0) * rk)
                    for h in 0..<g.hq {
                        scores[h * n + key] = scale * AttentionKernels.dot(pq + h * g.d, kr + (h / g.group) * g.d, g.d)
                    }
                }
            }
            for h in 0..<g.hq {
                AttentionKernels.beginPartial(scores: scores + h * n, count: n, slot: out + h * slot, width: g.d)
            }
            AttentionKernels.forEachTile(n, rowsPerTile) { j0, j1 in
                if fused {
                    chk_half_accumulate(scores + j0, n, pv + (k0 + j0) * rk, j1 - j0, rk, g.hq, g.group, g.d, out, slot)
                    return
                }
                chk_half_to_float(pv + (k0 + j0) * rk, tile, (j1 - j0) * rk)
                for key in j0..<j1 {
                    let vr = UnsafePointer(tile + (key - j0) * rk)
                    for h in 0..<g.hq {
                        AttentionKernels.addScaled(scores[h * n + key], vr + (h / g.group) * g.d, into: out + h * slot, g.d)
                    }
                }
            }
        }
        if parallel && splits > 1 {
            Parallelism.forEach(count: splits, costPerItem: work / splits) { piece($0) }
        } else {
            for i in 0..<splits { piece(i) }
        }
        // Combine the ranges: Hq · splits · D multiply-adds.
        for h in 0..<g.hq {
            AttentionKernels.combinePartials(splits, width: g.d, into: output + h * g.d) { part in partials + (part * g.hq + h) * slot }
        }
    }
}

extension HalfPrecision {
    /// Widens `count` binary16 bit patterns at `source` into `destination`, exactly: F16C's
    /// `vcvtph2ps` where the CPU has it, else a portable loop (the same values; NaNs
    /// stay NaNs of the same sign). For bulk reads of a half-precision KV cache.
    public static func widenFloat16(_ source: UnsafePointer<UInt16>, into destination: UnsafeMutablePointer<Float>,
                                    count: Int) {
        chk_half_to_float(source, destination, count)
    }
}
