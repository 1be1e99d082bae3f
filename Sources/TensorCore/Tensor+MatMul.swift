import CBLAS

/// Matrix products on OpenBLAS, with gradients.
///
/// `transposeA`/`transposeB` multiply by the transpose of an operand as stored, without copying it
/// (BLAS reads it transposed). A product with one row (batch-1 decoding) or one column goes to
/// `cblas_sgemv`, which streams the matrix once and is 2–3× faster than `sgemm` with M = 1.
///
/// - `a` [M, K] (or [K, M] transposed), `b` [K, N] (or [N, K] transposed) → [M, N].
/// - `a` [..., M, K], `b` 2-D: the leading axes of `a` fold into M (one large product).
/// - `a` [..., M, K], `b` [..., K, N] with equal leading axes: one product per batch element.
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs operands with at least two axes, got \(a.shape) and \(b.shape)")
    if a.rank > 2 && b.rank == 2 && !transposeA {
        let lead = Array(a.shape.dropLast())
        let flat = matmul(a.reshaped([-1, a.shape[a.rank - 1]]), b, transposeB: transposeB)
        return flat.reshaped(lead + [flat.shape[1]])
    }
    let batchShape = Array(a.shape.dropLast(2))
    precondition(b.rank == 2 || Array(b.shape.dropLast(2)) == batchShape,
                 "matmul batch axes differ: \(a.shape) and \(b.shape)")
    let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
    let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
    let (m, k) = transposeA ? (ac, ar) : (ar, ac)
    let (k2, n) = transposeB ? (bc, br) : (br, bc)
    precondition(k == k2, "matmul inner extents differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batch = batchShape.reduce(1, *)
    let bStride = b.rank == 2 ? 0 : br * bc
    var out = Tensor(shape: batchShape + [m, n]) { c in
        let pa = a.storage.baseAddress, pb = b.storage.baseAddress, pc = c.baseAddress!
        for i in 0..<batch {
            MatrixProduct.multiply(pa + i * ar * ac, rows: ar, columns: ac, transposed: transposeA,
                                   pb + i * bStride, rows: br, columns: bc, transposed: transposeB,
                                   into: pc + i * m * n)
        }
    }
    if Tensor.needsGradient(a, b) {
        let (sa, sb) = (a.detached(), b.detached())
        let (da, db) = (a.requiresGradient, b.requiresGradient)
        out = out.recorded(from: [a, b]) { g in
            // d op(A) = G · op(B)ᵀ; with A stored transposed, dA is its transpose (batch-wise, so a
            // 2-D `b` shared by every batch element works too).
            var ga: Tensor? = nil
            if da {
                let d = matmul(g, sb, transposeB: !transposeB)
                ga = transposeA ? d.transposed() : d
            }
            var gb: Tensor? = nil
            if db {
                var full = transposeB
                    ? matmul(g, sa, transposeA: true, transposeB: transposeA)
                    : matmul(sa, g, transposeA: !transposeA)
                // A 2-D `b` shared by every batch element collects all of their gradients.
                if sb.rank == 2 && full.rank > 2 {
                    full = full.reshaped([-1, full.shape[full.rank - 2], full.shape[full.rank - 1]]).sum(alongAxis: 0)
                }
                gb = full
            }
            return [ga, gb]
        }
    }
    return out
}

/// Matrix–vector product `matrix · vector` (or `matrixᵀ · vector`) through `cblas_sgemv`.
/// `matrix` is [M, N]; `vector` has N elements (M when transposed); the result is 1-D.
public func matvec(_ matrix: Tensor, _ vector: Tensor, transposed: Bool = false) -> Tensor {
    precondition(matrix.rank == 2, "matvec needs a 2-D matrix, got \(matrix.shape)")
    let v = vector.reshaped([vector.count, 1])
    return matmul(matrix, v, transposeA: transposed).reshaped([-1])
}

/// One row-major single-precision product `C = op(A) · op(B)`, choosing gemv for vector shapes.
enum MatrixProduct {
    static func multiply(_ a: UnsafePointer<Float>, rows ar: Int, columns ac: Int, transposed ta: Bool,
                         _ b: UnsafePointer<Float>, rows br: Int, columns bc: Int, transposed tb: Bool,
                         into c: UnsafeMutablePointer<Float>) {
        let m = ta ? ac : ar
        let k = ta ? ar : ac
        let n = tb ? br : bc
        if m == 0 || n == 0 { return }
        if k == 0 { c.initialize(repeating: 0, count: m * n); return }
        if m == 1 {
            // c[1, n] = a · op(B): op(B)ᵀ · a as a gemv over B as stored. `a` is contiguous either way.
            gemv(tb ? CblasNoTrans : CblasTrans, b, rows: br, columns: bc, a, into: c)
        } else if n == 1 {
            // c[m, 1] = op(A) · b, with `b` a contiguous vector either way.
            gemv(ta ? CblasTrans : CblasNoTrans, a, rows: ar, columns: ac, b, into: c)
        } else {
            cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(ac), b, Int32(bc), 0, c, Int32(n))
        }
    }

    /// OpenBLAS runs a gemv of fewer than this many matrix elements on the calling thread
    /// (`2304 · GEMM_MULTITHREAD_THRESHOLD` in its interface/gemv.c, with the default threshold 4).
    static let singleThreadedGemvElements = 2304 * 4

    /// `y = op(M) · x` for `M` `[rows, columns]` row-major. Large products are cut along the output
    /// into pieces below ``singleThreadedGemvElements`` that the suite's worker pool spreads over
    /// its threads: OpenBLAS's own threads spin while they wait, and batch-1 decoding, which is a
    /// chain of such products, collapsed from 47 to 9 tokens/s through them when another process
    /// took a core. The cut depends only on the shape, never on the thread count, so results do
    /// not change with it.
    static func gemv(_ transpose: CBLAS_TRANSPOSE, _ matrix: UnsafePointer<Float>, rows: Int, columns: Int,
                     _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let transposed = transpose == CblasTrans
        let (outputs, inner) = transposed ? (columns, rows) : (rows, columns)
        let per = max(1, (singleThreadedGemvElements - 1) / inner)
        if outputs * inner < 2 * singleThreadedGemvElements || per >= outputs {
            cblas_sgemv(CblasRowMajor, transpose, Int32(rows), Int32(columns), 1, matrix, Int32(columns), x, 1, 0, y, 1)
            return
        }
        let pieces = (outputs + per - 1) / per
        Parallelism.forEachPiece(count: pieces) { piece in
            let lo = piece * per, count = min(outputs, lo + per) - lo
            let out = y + lo
            if transposed {
                // Columns lo..<lo+count of M: the same rows, starting `lo` floats in.
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(count), 1, matrix + lo, Int32(columns),
                            x, 1, 0, out, 1)
            } else {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(count), Int32(columns), 1, matrix + lo * columns,
                            Int32(columns), x, 1, 0, out, 1)
            }
        }
    }
}
