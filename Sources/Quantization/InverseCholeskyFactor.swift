import CBLAS

/// The upper Cholesky factor `U` of `(H + λI)⁻¹` (`(H + λI)⁻¹ = UᵀU`), which GPTQ reads row by
/// row: row `i` of `U`, divided by `U[i, i]`, is how the error of input `i` spreads over the inputs
/// not yet quantised (Frantar et al. 2022, §4 step 3).
///
/// Computed as in the reference implementation: Cholesky of `H + λI`, the inverse from that
/// factor, then Cholesky of the inverse, all with LAPACK in Float64.
enum InverseCholeskyFactor {
    /// `U`, row-major `[n, n]` with zeros below the diagonal, or nil when `H + λI` (or its inverse,
    /// numerically) is not positive definite. `λ = dampingFraction · mean(diag H)`.
    static func compute(_ hessian: [Double], size n: Int, dampingFraction: Double) -> [Double]? {
        var a = hessian
        var meanDiagonal = 0.0
        for i in 0..<n { meanDiagonal += a[i * n + i] }
        meanDiagonal /= Double(n)
        let damping = dampingFraction * meanDiagonal
        for i in 0..<n { a[i * n + i] += damping }
        // A symmetric matrix is its own transpose, so LAPACK's column-major "L" is our row-major
        // upper triangle: every call below reads and writes the row-major upper triangle.
        guard lapack(dpotrf_, &a, n), lapack(dpotri_, &a, n) else { return nil }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        guard lapack(dpotrf_, &a, n) else { return nil }
        for i in 0..<n { for j in 0..<i { a[i * n + j] = 0 } }
        for value in a where !value.isFinite { return nil }
        return a
    }

    private typealias Routine = (UnsafePointer<CChar>?, UnsafePointer<Int32>?, UnsafeMutablePointer<Double>?,
                                 UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?, Int) -> Void

    /// Runs a LAPACK routine on the column-major lower triangle; false when it reports failure.
    private static func lapack(_ routine: Routine, _ a: inout [Double], _ n: Int) -> Bool {
        var size = Int32(n), lda = Int32(n), info: Int32 = 0
        let lower: CChar = 0x4C   // "L"
        withUnsafePointer(to: lower) { uplo in
            a.withUnsafeMutableBufferPointer { buffer in
                routine(uplo, &size, buffer.baseAddress, &lda, &info, 1)
            }
        }
        return info == 0
    }
}
