import TensorCore

/// An int4 weight in the AutoGPTQ / GPTQModel checkpoint layout (`checkpoint_format` "gptq", v1),
/// round-to-nearest quantised with an integer zero point.
///
/// For `W` of shape `[out, in]` and group size `G`:
/// - ``qweight``: `Int32 [in / 8, out]`; word `[k, o]` holds the codes of inputs `8k ..< 8k + 8` of
///   output `o`, input `8k` in the lowest nibble (bits 0–3) and input `8k + 7` in the highest.
/// - ``qzeros``: `Int32 [in / G, out / 8]`; word `[g, j]` holds the zero points of outputs
///   `8j ..< 8j + 8` of group `g`, lowest nibble first, each stored as `zero − 1` (the v1 convention).
/// - ``scales``: `Float16 [in / G, out]`.
/// - ``groupIndex`` (`g_idx`): `Int32 [in]`, the group of each input row, `i / G` (no act-order, or
///   GPTQ's act-order with static groups, which keeps each input in its own group).
///
/// The weight is `w = scale · (q − zero)` with unsigned q ∈ [0, 15] and an integer zero.
///
/// **How this relates to the paper's scheme** (``GroupQuantizedWeight``): both use
/// `scale = (max − min) / 15`. The paper's zero `−min/scale − 8` is fractional with signed codes;
/// shifting its codes by 8 gives `q + 8 = round(w/scale − min/scale)`, i.e. the *same* affine grid
/// with zero `−min/scale`. AutoGPTQ needs that zero as an integer, so here it is rounded:
/// `zero = round(−min/scale)`, `q = clamp(round(w/scale) + zero, 0, 15)`. The grid moves by less
/// than `scale/2`, so a weight at the far end of the range can round one step past code 15 (or
/// below 0) and be clamped: its error is then below `scale` instead of `scale/2` (every other
/// weight stays within `scale/2`). As in GPTQ the range is widened to include 0 (`min ≤ 0 ≤ max`),
/// which keeps 0 exactly representable. Measured on Gaussian weights (256 × 1024, G = 128,
/// `testIntegerZeroCostsLittleAgainstThePapersZero`), the RMS reconstruction error over the weight
/// standard deviation is 0.1004 for this form against 0.0999 for the paper's fractional zero
/// (0.5 % more).
///
/// Two edge cases keep v1 lossless: a zero point of 0 cannot be stored as `zero − 1` (AutoGPTQ's own
/// packer corrupts the neighbouring nibbles then), so a group whose rounded zero would be 0 (no
/// weight below −scale/2) is re-scaled to `max / 14` with zero 1; an all-zero group takes scale 1 and
/// zero 8. The scale is rounded to Float16 *before* the codes are chosen, so the stored scale is the
/// one the codes were fitted to.
///
/// Reading a foreign file, a stored nibble 15 means zero 16, exactly as AutoGPTQ's kernels compute it.
public struct PackedInt4Weight: Sendable, Equatable {
    /// Rows of `W` (outputs).
    public let outputFeatures: Int
    /// Columns of `W` (inputs), a multiple of 8 and of ``groupSize``.
    public let inputFeatures: Int
    /// Consecutive inputs sharing a scale and zero.
    public let groupSize: Int
    /// Packed codes, `[inputFeatures / 8, outputFeatures]`.
    public let qweight: [Int32]
    /// Packed zero points minus one, `[inputFeatures / groupSize, outputFeatures / 8]`.
    public let qzeros: [Int32]
    /// Scales, `[inputFeatures / groupSize, outputFeatures]`.
    public let scales: [Float16]
    /// The group of each input, `[inputFeatures]`.
    public let groupIndex: [Int32]

    /// Wraps checkpoint tensors after checking their sizes and that `g_idx` is `i / groupSize`
    /// (act-order checkpoints are not supported).
    /// - Throws: ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` or
    ///   ``QuantizationError/invalidSetting(name:reason:)``.
    public init(outputFeatures: Int, inputFeatures: Int, groupSize: Int,
                qweight: [Int32], qzeros: [Int32], scales: [Float16], groupIndex: [Int32]? = nil) throws(QuantizationError) {
        let shape = [outputFeatures, inputFeatures]
        guard groupSize > 0, inputFeatures > 0, outputFeatures > 0 else {
            throw .invalidSetting(name: "groupSize", reason: "group size and features must be positive")
        }
        guard inputFeatures % 8 == 0, inputFeatures % groupSize == 0, outputFeatures % 8 == 0 else {
            throw .incompatibleShape(tensor: "qweight", shape: shape,
                                     reason: "input features must be a multiple of 8 and of the group size \(groupSize), outputs of 8")
        }
        let groups = inputFeatures / groupSize
        guard qweight.count == inputFeatures / 8 * outputFeatures else {
            throw .incompatibleShape(tensor: "qweight", shape: [qweight.count], reason: "expected \(inputFeatures / 8) × \(outputFeatures) words")
        }
        guard qzeros.count == groups * outputFeatures / 8 else {
            throw .incompatibleShape(tensor: "qzeros", shape: [qzeros.count], reason: "expected \(groups) × \(outputFeatures / 8) words")
        }
        guard scales.count == groups * outputFeatures else {
            throw .incompatibleShape(tensor: "scales", shape: [scales.count], reason: "expected \(groups) × \(outputFeatures) scales")
        }
        let expectedIndex = (0..<inputFeatures).map { Int32($0 / groupSize) }
        if let groupIndex, groupIndex != expectedIndex {
            throw .invalidSetting(name: "g_idx", reason: "only i / group_size is supported (no act-order)")
        }
        self.outputFeatures = outputFeatures
        self.inputFeatures = inputFeatures
        self.groupSize = groupSize
        self.qweight = qweight
        self.qzeros = qzeros
        self.scales = scales
        self.groupIndex = expectedIndex
    }

    /// Quantises `weight` (`[out, in]`) with round-to-nearest and an integer zero point per group.
    /// - Throws: ``QuantizationError/invalidSetting(name:reason:)`` for a group size other than 32, 64
    ///   or 128; ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` for a weight that is not
    ///   2-D, with inputs not a multiple of the group size or outputs not a multiple of 8.
    public init(quantizing weight: Tensor, groupSize: Int = 128, name: String = "weight") throws(QuantizationError) {
        try GroupQuantizedWeight.validate(weight, groupSize: groupSize, name: name)
        let rows = weight.shape[0], cols = weight.shape[1], groups = cols / groupSize
        guard rows % 8 == 0 else { throw .incompatibleShape(tensor: name, shape: weight.shape, reason: "output features must be a multiple of 8") }
        var codes = [UInt8](repeating: 0, count: rows * cols)          // [out, in]
        var zeros = [UInt8](repeating: 0, count: groups * rows)        // [groups, out]
        var scales = [Float16](repeating: 0, count: groups * rows)     // [groups, out]
        weight.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                for g in 0..<groups {
                    let base = r * cols + g * groupSize
                    var lo: Float = 0, hi: Float = 0                   // the range includes 0, as in GPTQ
                    for i in base..<(base + groupSize) { lo = min(lo, w[i]); hi = max(hi, w[i]) }
                    let (scale, zero) = Self.grid(low: lo, high: hi)
                    for i in base..<(base + groupSize) { codes[i] = Self.code(w[i], scale: scale, zero: zero) }
                    zeros[g * rows + r] = UInt8(zero)
                    scales[g * rows + r] = Float16(scale)
                }
            }
        }
        try self.init(outputFeatures: rows, inputFeatures: cols, groupSize: groupSize,
                      qweight: Self.packCodes(codes, outputFeatures: rows, inputFeatures: cols),
                      qzeros: Self.packZeros(zeros, groups: groups, outputFeatures: rows),
                      scales: scales)
    }

    /// The storable grid of a group whose weights span `low ... high` (`low ≤ 0 ≤ high`): the scale,
    /// already rounded to Float16, and the integer zero point in 1 … 15 (see the type's notes on the
    /// v1 edge cases). GPTQ fits its groups with the same function, so that with an identity
    /// Hessian it reduces to this round-to-nearest path.
    static func grid<T: BinaryFloatingPoint>(low: T, high: T) -> (scale: T, zero: T) {
        if low == high { return (1, 8) }
        var scale = T(Float16((high - low) / 15))
        var zero = (-low / scale).rounded(.toNearestOrEven)
        if zero < 1 {                                                  // zero − 1 must stay ≥ 0 in v1
            scale = T(Float16(high / 14)); zero = 1
        }
        return (scale, min(zero, 15))
    }

    /// The code of `value` on the grid `scale · (q − zero)`, q clamped to 0 … 15.
    static func code<T: BinaryFloatingPoint>(_ value: T, scale: T, zero: T) -> UInt8 {
        UInt8(min(max((value / scale).rounded(.toNearestOrEven) + zero, 0), 15))
    }

    /// Packs unpacked codes `[out, in]`, zero points `[groups, out]` (1 … 16) and scales `[groups, out]`.
    init(codes: [UInt8], zeroPoints: [UInt8], scales: [Float16], outputFeatures: Int, inputFeatures: Int,
         groupSize: Int) throws(QuantizationError) {
        try self.init(outputFeatures: outputFeatures, inputFeatures: inputFeatures, groupSize: groupSize,
                      qweight: Self.packCodes(codes, outputFeatures: outputFeatures, inputFeatures: inputFeatures),
                      qzeros: Self.packZeros(zeroPoints, groups: inputFeatures / groupSize, outputFeatures: outputFeatures),
                      scales: scales)
    }

    /// The unsigned codes q ∈ [0, 15], row-major `[outputFeatures, inputFeatures]`.
    public var codes: [UInt8] { Self.unpackCodes(qweight, outputFeatures: outputFeatures, inputFeatures: inputFeatures) }

    /// The integer zero points (1 … 16 after the v1 `+ 1`), row-major `[inputFeatures / groupSize, outputFeatures]`.
    public var zeroPoints: [UInt8] { Self.unpackZeros(qzeros, groups: inputFeatures / groupSize, outputFeatures: outputFeatures) }

    /// The reconstruction `scale · (q − zero)`, `[outputFeatures, inputFeatures]`.
    public func dequantized() -> Tensor {
        let q = codes, z = zeroPoints, rows = outputFeatures, cols = inputFeatures
        return Tensor(shape: [rows, cols]) { out in
            for r in 0..<rows {
                for i in 0..<cols {
                    let g = (i / groupSize) * rows + r
                    out[r * cols + i] = Float(scales[g]) * (Float(q[r * cols + i]) - Float(z[g]))
                }
            }
        }
    }

    // MARK: Bit layout

    /// Packs codes `[out, in]` (each < 16) into `qweight` `[in / 8, out]`: eight consecutive inputs
    /// of one output per word, the lowest input in the lowest nibble.
    public static func packCodes(_ codes: [UInt8], outputFeatures: Int, inputFeatures: Int) -> [Int32] {
        precondition(codes.count == outputFeatures * inputFeatures && inputFeatures % 8 == 0)
        var words = [Int32](repeating: 0, count: inputFeatures / 8 * outputFeatures)
        for k in 0..<(inputFeatures / 8) {
            for o in 0..<outputFeatures {
                var word: UInt32 = 0
                for j in 0..<8 { word |= UInt32(codes[o * inputFeatures + 8 * k + j] & 0x0F) << (4 * j) }
                words[k * outputFeatures + o] = Int32(bitPattern: word)
            }
        }
        return words
    }

    /// The inverse of ``packCodes(_:outputFeatures:inputFeatures:)``.
    public static func unpackCodes(_ words: [Int32], outputFeatures: Int, inputFeatures: Int) -> [UInt8] {
        var codes = [UInt8](repeating: 0, count: outputFeatures * inputFeatures)
        for k in 0..<(inputFeatures / 8) {
            for o in 0..<outputFeatures {
                let word = UInt32(bitPattern: words[k * outputFeatures + o])
                for j in 0..<8 { codes[o * inputFeatures + 8 * k + j] = UInt8((word >> (4 * j)) & 0x0F) }
            }
        }
        return codes
    }

    /// Packs zero points `[groups, out]` (each 1 … 16) into `qzeros` `[groups, out / 8]`, storing
    /// `zero − 1`, eight consecutive outputs per word, lowest output in the lowest nibble.
    public static func packZeros(_ zeros: [UInt8], groups: Int, outputFeatures: Int) -> [Int32] {
        precondition(zeros.count == groups * outputFeatures && outputFeatures % 8 == 0)
        var words = [Int32](repeating: 0, count: groups * outputFeatures / 8)
        for g in 0..<groups {
            for j in 0..<(outputFeatures / 8) {
                var word: UInt32 = 0
                for n in 0..<8 { word |= UInt32((zeros[g * outputFeatures + 8 * j + n] &- 1) & 0x0F) << (4 * n) }
                words[g * outputFeatures / 8 + j] = Int32(bitPattern: word)
            }
        }
        return words
    }

    /// The inverse of ``packZeros(_:groups:outputFeatures:)``: each nibble plus one.
    public static func unpackZeros(_ words: [Int32], groups: Int, outputFeatures: Int) -> [UInt8] {
        var zeros = [UInt8](repeating: 0, count: groups * outputFeatures)
        for g in 0..<groups {
            for j in 0..<(outputFeatures / 8) {
                let word = UInt32(bitPattern: words[g * outputFeatures / 8 + j])
                for n in 0..<8 { zeros[g * outputFeatures + 8 * j + n] = UInt8((word >> (4 * n)) & 0x0F) + 1 }
            }
        }
        return zeros
    }
}
