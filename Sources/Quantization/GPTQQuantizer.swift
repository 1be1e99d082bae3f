import CBLAS
import TensorCore

/// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative
/// Pre-trained Transformers"): quantises a linear weight one input column at a time, spreading
/// each column's rounding error over the columns not yet quantised so that the layer's output on
/// the calibration inputs, `W X`, changes as little as possible.
///
/// The steps follow the reference implementation (IST-DASLab's `gptq`, AutoGPTQ's
/// `fasterquant`):
/// 1. Dead inputs (`H[i, i] = 0`, never active on the calibration data) get `H[i, i] = 1` and a
///    zero weight column.
/// 2. With act-order, the inputs are permuted by decreasing `H[i, i]`.
/// 3. `U`, the upper Cholesky factor of `(H + λI)⁻¹`, with `λ` a fraction of the mean diagonal,
///    raised and retried when the factorisation fails (``GPTQOptions/dampingGrowth``).
/// 4. Columns in blocks of ``GPTQOptions/blockSize``: each column is rounded to its group's grid,
///    its error `e = (w − q) / U[i, i]` updates the rest of the block at once, and the columns after
///    the block receive the block's errors in one product `W[:, i₂:] −= E · U[i₁:i₂, i₂:]`.
/// 5. A group's scale and zero point are fitted (``PackedInt4Weight``'s grid, so that with an
///    identity Hessian GPTQ is round-to-nearest) when its first column comes up, on the weights as
///    updated by the blocks *before* the current one — the reference reads the full matrix there,
///    not the block being worked on — or, with ``GPTQOptions/staticGroups``, on the original weight.
///
/// Internally everything is Float64; the weight is stored transposed, `[in, out]`, so that a column
/// of W is contiguous.
public struct GPTQQuantizer: Sendable {
    /// The settings used by ``quantize(_:hessian:name:)``.
    public var options: GPTQOptions

    /// A quantizer with `options`.
    public init(options: GPTQOptions = GPTQOptions()) {
        self.options = options
    }

    /// Quantises `weight` (`[out, in]`) against the Hessian of the layer's inputs.
    /// - Parameter name: the layer, for errors.
    /// - Throws: ``QuantizationError/invalidSetting(name:reason:)`` for bad options,
    ///   ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` when the weight does not fit
    ///   the int4 layout or the Hessian, ``QuantizationError/singularHessian(layer:dampingFraction:)``
    ///   when no damping up to the maximum makes the Hessian positive definite.
    public func quantize(_ weight: Tensor, hessian: GPTQHessian, name: String = "weight") throws(QuantizationError) -> GPTQResult {
        try quantize(weight, hessian: hessian.matrix, name: name)
    }

    /// Quantises `weight` (`[out, in]`) against `hessian`, row-major `[in, in]` and symmetric.
    public func quantize(_ weight: Tensor, hessian: [Double], name: String = "weight") throws(QuantizationError) -> GPTQResult {
        try options.validate()
        let groupSize = options.groupSize
        try GroupQuantizedWeight.validate(weight, groupSize: groupSize, name: name)
        let rows = weight.shape[0], cols = weight.shape[1], groups = cols / groupSize
        guard rows % 8 == 0 else {
            throw .incompatibleShape(tensor: name, shape: weight.shape, reason: "output features must be a multiple of 8")
        }
        guard hessian.count == cols * cols else {
            throw .incompatibleShape(tensor: name + " Hessian", shape: [hessian.count],
                                     reason: "expected \(cols) × \(cols) for \(cols) input features")
        }
        guard hessian.allSatisfy(\.isFinite) else {
            throw .invalidSetting(name: name + " Hessian", reason: "contains a value that is not finite")
        }

        // W transposed to [in, out], so that the column of input i is the contiguous row i.
        var columns = [Double](repeating: 0, count: cols * rows)
        weight.withUnsafeBufferPointer { w in
            for r in 0..<rows { for i in 0..<cols { columns[i * rows + r] = Double(w[r * cols + i]) } }
        }
        var h = hessian
        for i in 0..<cols where h[i * cols + i] == 0 {
            h[i * cols + i] = 1
            for r in 0..<rows { columns[i * rows + r] = 0 }
        }

        var scales = [Double](repeating: 0, count: groups * rows)      // [groups, out]
        var zeros = [Double](repeating: 0, count: groups * rows)
        func fitGroup(_ g: Int, from source: [Double], firstRow: Int) {
            for r in 0..<rows {
                var lo = 0.0, hi = 0.0                                  // the range includes 0
                for i in firstRow..<(firstRow + groupSize) { lo = min(lo, source[i * rows + r]); hi = max(hi, source[i * rows + r]) }
                (scales[g * rows + r], zeros[g * rows + r]) = PackedInt4Weight.grid(low: lo, high: hi)
            }
        }
        if options.staticGroups {
            for g in 0..<groups { fitGroup(g, from: columns, firstRow: g * groupSize) }
        }

        // permutation[j]: the original input quantised j-th.
        var permutation = Array(0..<cols)
        if options.actOrder {
            permutation.sort { h[$0 * cols + $0] > h[$1 * cols + $1] || (h[$0 * cols + $0] == h[$1 * cols + $1] && $0 < $1) }
            let original = columns, originalH = h
            for j in 0..<cols {
                let p = permutation[j]
                for r in 0..<rows { columns[j * rows + r] = original[p * rows + r] }
                for k in 0..<cols { h[j * cols + k] = originalH[p * cols + permutation[k]] }
            }
        }

        var damping = options.dampingFraction
        var factor = InverseCholeskyFactor.compute(h, size: cols, dampingFraction: damping)
        while factor == nil {
            let next = max(damping * options.dampingGrowth, options.minimumRetryDampingFraction)
            guard next <= options.maximumDampingFraction * (1 + 1e-12) else {
                throw .singularHessian(layer: name, dampingFraction: damping)
            }
            damping = next
            factor = InverseCholeskyFactor.compute(h, size: cols, dampingFraction: damping)
        }
        let u = factor!

        var codes = [UInt8](repeating: 0, count: rows * cols)           // [out, in], original input order
        var loss = 0.0
        let blockSize = min(options.blockSize, cols)
        var block = [Double](repeating: 0, count: blockSize * rows)
        var errors = [Double](repeating: 0, count: blockSize * rows)
        for i1 in stride(from: 0, to: cols, by: blockSize) {
            let i2 = min(i1 + blockSize, cols), count = i2 - i1
            for k in 0..<(count * rows) { block[k] = columns[i1 * rows + k] }
            for i in 0..<count {
                let j = i1 + i
                let g: Int
                if options.staticGroups {
                    g = permutation[j] / groupSize
                } else {
                    g = j / groupSize
                    if j % groupSize == 0 { fitGroup(g, from: columns, firstRow: j) }
                }
                let d = u[j * cols + j]
                for r in 0..<rows {
                    let w = block[i * rows + r], scale = scales[g * rows + r], zero = zeros[g * rows + r]
                    let q = PackedInt4Weight.code(w, scale: scale, zero: zero)
                    codes[r * cols + permutation[j]] = q
                    let difference = w - scale * (Double(q) - zero)
                    loss += difference * difference / (d * d) / 2
                    errors[i * rows + r] = difference / d
                }
                // The rest of the block at once, a rank-1 update: column k −= U[j, k] · e.
                if i + 1 < count {
                    u.withUnsafeBufferPointer { uu in
                        errors.withUnsafeBufferPointer { e in
                            block.withUnsafeMutableBufferPointer { b in
                                cblas_dger(CblasRowMajor, Int32(count - i - 1), Int32(rows), -1,
                                           uu.baseAddress! + j * cols + j + 1, 1, e.baseAddress! + i * rows, 1,
                                           b.baseAddress! + (i + 1) * rows, Int32(rows))
                            }
                        }
                    }
                }
            }
            // Columns after the block, lazily: W[i2:, :] −= U[i1:i2, i2:]ᵀ · E (transposed layout).
            if i2 < cols {
                u.withUnsafeBufferPointer { uu in
                    errors.withUnsafeBufferPointer { e in
                        columns.withUnsafeMutableBufferPointer { c in
                            cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols - i2), Int32(rows), Int32(count),
                                        -1, uu.baseAddress! + i1 * cols + i2, Int32(cols), e.baseAddress, Int32(rows),
                                        1, c.baseAddress! + i2 * rows, Int32(rows))
                        }
                    }
                }
            }
        }

        let packed = try PackedInt4Weight(codes: codes, zeroPoints: zeros.map { UInt8($0) },
                                          scales: scales.map { Float16($0) },
                                          outputFeatures: rows, inputFeatures: cols, groupSize: groupSize)
        return GPTQResult(weight: packed, dampingFraction: damping, loss: loss)
    }
}
