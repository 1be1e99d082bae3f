import CBLAS
import TensorCore

/// The Hessian of a linear layer's layer-wise reconstruction loss, `H = 2/n · Σ x xᵀ` over the `n`
/// calibration rows `x` the layer has seen (GPTQ, Frantar et al. 2022, eq. 1).
///
/// Rows arrive in batches, and the sum is kept as a running average as in the reference
/// implementation (`H ← H · n/(n+k) + 2/(n+k) · XᵀX` for a batch of `k` rows), so its magnitude
/// does not grow with the amount of calibration data. It is accumulated in Float64 with BLAS
/// `dsyrk`: the Cholesky factorisation GPTQ needs afterwards is what loses precision first.
public struct GPTQHessian: Sendable {
    /// Inputs of the layer (the side of H).
    public let inputFeatures: Int
    /// Calibration rows accumulated so far.
    public private(set) var sampleCount: Int = 0
    /// `H`, row-major `[inputFeatures, inputFeatures]`, both triangles filled.
    public var matrix: [Double] {
        var full = upper
        let n = inputFeatures
        for i in 0..<n { for j in 0..<i { full[i * n + j] = full[j * n + i] } }
        return full
    }

    /// Only the upper triangle is kept up to date (what `dsyrk` writes).
    private var upper: [Double]

    /// An empty Hessian for a layer with `inputFeatures` inputs.
    public init(inputFeatures: Int) {
        precondition(inputFeatures > 0, "a Hessian needs at least one input feature")
        self.inputFeatures = inputFeatures
        upper = [Double](repeating: 0, count: inputFeatures * inputFeatures)
    }

    /// Adds the rows of `x` (`[..., inputFeatures]`, every leading axis flattened into rows).
    public mutating func add(_ x: Tensor) {
        precondition(x.rank >= 1 && x.shape[x.rank - 1] == inputFeatures,
                     "GPTQHessian expects [..., \(inputFeatures)], got \(x.shape)")
        let k = x.count / inputFeatures
        guard k > 0 else { return }
        let rows = x.withUnsafeBufferPointer { $0.map(Double.init) }
        let total = sampleCount + k
        let n = Int32(inputFeatures)
        // H·n/(n+k) + (2/(n+k))·XᵀX in one call: row-major upper triangle of C = β C + α AᵀA.
        rows.withUnsafeBufferPointer { a in
            upper.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, n, Int32(k),
                            2 / Double(total), a.baseAddress, n,
                            Double(sampleCount) / Double(total), c.baseAddress, n)
            }
        }
        sampleCount = total
    }

    /// The mean over the calibration rows of `‖(W − Ŵ) x‖²`, the squared error of the layer's output
    /// that replacing `original` by `approximation` (both `[out, inputFeatures]`) causes, computed
    /// from H alone: `1/n · Σ ‖Δ x‖² = ½ · tr(Δ H Δᵀ)`.
    public func meanSquaredError(of approximation: Tensor, against original: Tensor) -> Double {
        precondition(original.shape == approximation.shape && original.rank == 2 && original.shape[1] == inputFeatures,
                     "expected two [out, \(inputFeatures)] weights, got \(original.shape) and \(approximation.shape)")
        let rows = original.shape[0], n = inputFeatures
        let delta = original.withUnsafeBufferPointer { a in
            approximation.withUnsafeBufferPointer { b in (0..<a.count).map { Double(a[$0]) - Double(b[$0]) } }
        }
        var product = [Double](repeating: 0, count: rows * n)          // Δ H
        delta.withUnsafeBufferPointer { d in
            upper.withUnsafeBufferPointer { hu in
                product.withUnsafeMutableBufferPointer { p in
                    cblas_dsymm(CblasRowMajor, CblasRight, CblasUpper, Int32(rows), Int32(n), 1,
                                hu.baseAddress, Int32(n), d.baseAddress, Int32(n), 0, p.baseAddress, Int32(n))
                }
            }
        }
        var trace = 0.0
        for k in 0..<(rows * n) { trace += product[k] * delta[k] }
        return trace / 2
    }
}
