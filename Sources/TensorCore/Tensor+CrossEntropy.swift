#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The mean cross-entropy between softmax distributions over logits and integer targets, fused and
/// numerically stable: each row contributes `logsumexp(logits[n]) − logits[n, targets[n]]`, with
/// the log-sum-exp taken after subtracting the row maximum (logits of ±1e4 are fine).
///
/// `logits` has shape `[N, V]`, or `[..., V]` which is treated as `N` rows of `V` where `N` is the
/// product of the leading axes. Rows whose target equals `ignoreIndex` contribute nothing and are not
/// counted; the loss is the sum over the other rows divided by their number.
///
/// - If every target is ignored (or `N == 0`), the loss is 0 and the gradient is zero.
/// - A target whose logit is `-∞` gives an infinite loss.
/// - The gradient with respect to the logits is `(softmax(logits[n]) − onehot(targets[n])) / count`
///   for counted rows and zero for ignored ones (times the upstream gradient); it is recomputed in the
///   backward pass from the saved per-row log-sum-exp, so no `[N, V]` buffer is kept.
///
/// - Parameters:
///   - logits: Unnormalised scores, `[..., V]`.
///   - targets: One class index per row, in `0..<V`, or `ignoreIndex`.
///   - ignoreIndex: The target value that marks a row to skip (PyTorch's default, −100).
/// - Returns: A scalar (shape `[]`) tensor.
/// - Precondition: `targets.count == N`, and every target is `ignoreIndex` or in `0..<V`. Callers
///   that take ids from users should validate them first and throw a typed error.
public func crossEntropy(logits: Tensor, targets: [Int], ignoreIndex: Int = -100) -> Tensor {
    precondition(logits.rank >= 1, "crossEntropy needs logits [..., V]; got a scalar")
    let v = logits.shape[logits.rank - 1]
    let n = v == 0 ? logits.shape.dropLast().reduce(1, *) : logits.count / v
    precondition(targets.count == n,
                 "crossEntropy got \(targets.count) targets for \(n) rows of logits \(logits.shape)")
    var counted = 0
    for (row, t) in targets.enumerated() where t != ignoreIndex {
        precondition(t >= 0 && t < v,
                     "crossEntropy target \(t) at row \(row) is outside 0..<\(v) and is not the ignore index \(ignoreIndex)")
        counted += 1
    }
    // Per row: the maximum and log Σ exp(x − max), kept for backward as the pair (stats[2r],
    // stats[2r + 1]) — separately, because their sum rounded to Float would lose the low bits that
    // exp(x − lse) needs when logits are large — and the loss.
    var stats = [Float](repeating: 0, count: 2 * n)
    var losses = [Double](repeating: 0, count: n)
    if counted > 0 {
        let px = UnsafePointer(logits.storage.baseAddress)
        stats.withUnsafeMutableBufferPointer { sb in
            losses.withUnsafeMutableBufferPointer { lb in
                let ps = sb.baseAddress!, pl = lb.baseAddress!
                Parallelism.forEachRowBlock(rows: n, costPerRow: 2 * v) { rows in
                    for r in rows where targets[r] != ignoreIndex {
                        pl[r] = CrossEntropyKernels.rowLoss(px + r * v, v, target: targets[r], statistics: ps + 2 * r)
                    }
                }
            }
        }
    }
    let total = losses.reduce(0, +)
    var result = Tensor(counted == 0 ? 0 : Float(total / Double(counted)))
    if Tensor.needsGradient(logits) {
        let x = logits.detached()
        let saved = stats
        result = result.recorded(from: [logits]) { g in
            [CrossEntropyKernels.backward(logits: x, targets: targets, ignoreIndex: ignoreIndex, stats: saved,
                                          counted: counted, upstream: g.scalar)]
        }
    }
    return result
}

/// The backward loop of ``crossEntropy(logits:targets:ignoreIndex:)``.
enum CrossEntropyKernels {
    typealias Vector = SIMD16<Float>

    /// `dx[n] = upstream / count · (exp((x[n] − max[n]) − logSum[n]) − onehot(t[n]))`, zero for
    /// ignored rows; `stats` holds `(max[n], logSum[n])` pairs.
    static func backward(logits: Tensor, targets: [Int], ignoreIndex: Int, stats: [Float],
                         counted: Int, upstream: Float) -> Tensor {
        let v = logits.shape[logits.rank - 1]
        let n = targets.count
        return Tensor(shape: logits.shape) { out in
            guard out.count > 0 else { return }
            let dst = out.baseAddress!
            guard counted > 0 else { out.update(repeating: 0); return }
            let px = UnsafePointer(logits.storage.baseAddress)
            let factor = upstream / Float(counted)
            stats.withUnsafeBufferPointer { sb in
                let ps = sb.baseAddress!
                Parallelism.forEachRowBlock(rows: n, costPerRow: 2 * v) { rows in
                    for r in rows {
                        let row = dst + r * v
                        let t = targets[r]
                        if t == ignoreIndex {
                            row.update(repeating: 0, count: v)
                            continue
                        }
                        rowGradient(px + r * v, into: row, v, target: t, statistics: ps + 2 * r, factor: factor)
                    }
                }
            }
        }
    }

    /// The loss `logsumexp(row) − row[target]` of one counted row of `v` logits, in `Double`;
    /// stores `(max, log Σ exp(x − max))` at `statistics[0...1]` for ``rowGradient``.
    @inline(__always)
    static func rowLoss(_ row: UnsafePointer<Float>, _ v: Int, target: Int,
                        statistics: UnsafeMutablePointer<Float>) -> Double {
        let m = SoftmaxKernels.rowMaximum(row, v)
        let logit = row[target]
        statistics[0] = m
        guard m != -.infinity else { return .infinity }
        let logSum = log(SoftmaxKernels.sumOfExponentials(row, v, maximum: m))
        statistics[1] = Float(logSum)
        return logit == -.infinity ? .infinity : (Double(m) - Double(logit)) + logSum
    }

    /// `dst = factor · (softmax(src) − onehot(target))` for one counted row, from the statistics
    /// ``rowLoss`` saved; `dst` may be `src` (each element is read before it is written).
    @inline(__always)
    static func rowGradient(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, _ v: Int,
                            target: Int, statistics: UnsafePointer<Float>, factor: Float) {
        let m = statistics[0]
        if m == -.infinity {
            // Every logit is −∞: no probability mass (as in softmax), only −onehot.
            dst.update(repeating: 0, count: v)
        } else {
            let vm = Vector(repeating: m), vl = Vector(repeating: statistics[1])
            let f = Vector(repeating: factor)
            @_transparent func write(_ i: Int, _ count: Int) {
                let x = SoftmaxKernels.load(src + i, count, fill: -.infinity)
                SoftmaxKernels.store(VectorMath.expOfNonPositive((x - vm) - vl) * f, dst + i, count)
            }
            var i = 0
            while i + 16 <= v { write(i, 16); i += 16 }
            if i < v { write(i, v - i) }
        }
        dst[target] -= factor
    }
}
