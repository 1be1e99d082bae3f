import TensorCore

/// A weight matrix quantised by the MiniCPM paper's group scheme (arXiv 2404.06395, Appendix D),
/// round-to-nearest, with the paper's fractional zero point.
///
/// Each output row is cut into groups of ``groupSize`` consecutive input weights; a group with
/// minimum `min` and maximum `max` gets
///
///     scale = (max − min) / (2^bits − 1)
///     zero  = −min / scale − 2^(bits−1)
///     q     = round(w / scale + zero)
///     w'    = scale · (q − zero)
///
/// For `w = min` the code is `−2^(bits−1)` and for `w = max` it is `2^(bits−1) − 1`, so the
/// formula's codes are *signed*: q ∈ [−8, 7] for 4 bits, [−128, 127] for 8 bits. They are held
/// here as `Int8`; ``storedCodes`` gives the unsigned form `q + 2^(bits−1)` (∈ [0, 15] for 4 bits)
/// that fits a nibble. Every reconstruction error is at most `scale / 2`.
///
/// Rounding is half-to-even (as `torch.round` and `numpy.rint`), computed in `Double` from the
/// `Float` weights so that the codes match a float64 reference exactly; the clamp to the code range
/// only absorbs rounding at the ends. A degenerate group (`max == min`) would divide by zero, so it
/// takes `scale = |min|` (1 for an all-zero group): then `zero = ∓1 − 2^(bits−1)`, every code is
/// `−2^(bits−1)` and `w' = min` exactly.
///
/// This is the in-memory form of the paper's scheme. The AutoGPTQ checkpoint layout needs an
/// integer zero point; ``PackedInt4Weight`` rounds it (see there for how the two compare).
public struct GroupQuantizedWeight: Sendable, Equatable {
    /// Bits per code: 4 or 8.
    public let bits: Int
    /// Consecutive input weights that share a scale and zero.
    public let groupSize: Int
    /// Rows of the weight (`W` is `[outputFeatures, inputFeatures]`, Hugging Face layout).
    public let outputFeatures: Int
    /// Columns of the weight.
    public let inputFeatures: Int
    /// Signed codes q, row-major `[outputFeatures, inputFeatures]`.
    public let codes: [Int8]
    /// Scales, row-major `[outputFeatures, inputFeatures / groupSize]`.
    public let scales: [Float]
    /// Fractional zero points, row-major `[outputFeatures, inputFeatures / groupSize]`.
    public let zeros: [Float]

    /// Quantises `weight` (`[out, in]`) with round-to-nearest.
    /// - Parameters:
    ///   - weight: A rank-2 float weight.
    ///   - bits: 4 (the paper's int4) or 8.
    ///   - groupSize: 32, 64 or 128 (the default, as in the paper); `in` must be a multiple of it.
    ///   - name: The tensor's name, for errors.
    /// - Throws: ``QuantizationError/invalidSetting(name:reason:)`` for other bits or group sizes,
    ///   ``QuantizationError/incompatibleShape(tensor:shape:reason:)`` when the weight is not 2-D or
    ///   its input features are not a multiple of the group size.
    public init(quantizing weight: Tensor, bits: Int = 4, groupSize: Int = 128, name: String = "weight") throws(QuantizationError) {
        guard bits == 4 || bits == 8 else { throw .invalidSetting(name: "bits", reason: "must be 4 or 8, got \(bits)") }
        try Self.validate(weight, groupSize: groupSize, name: name)
        let rows = weight.shape[0], cols = weight.shape[1], groups = cols / groupSize
        let half = 1 << (bits - 1), levels = Double((1 << bits) - 1)
        var codes = [Int8](repeating: 0, count: rows * cols)
        var scales = [Float](repeating: 0, count: rows * groups)
        var zeros = [Float](repeating: 0, count: rows * groups)
        weight.withUnsafeBufferPointer { w in
            for r in 0..<rows {
                for g in 0..<groups {
                    let base = r * cols + g * groupSize
                    var lo = Double(w[base]), hi = lo
                    for i in base..<(base + groupSize) {
                        lo = min(lo, Double(w[i])); hi = max(hi, Double(w[i]))
                    }
                    let scale = hi > lo ? (hi - lo) / levels : (lo == 0 ? 1 : abs(lo))
                    let zero = -lo / scale - Double(half)
                    for i in base..<(base + groupSize) {
                        let q = (Double(w[i]) / scale + zero).rounded(.toNearestOrEven)
                        codes[i] = Int8(min(max(q, Double(-half)), Double(half - 1)))
                    }
                    scales[r * groups + g] = Float(scale)
                    zeros[r * groups + g] = Float(zero)
                }
            }
        }
        self.bits = bits
        self.groupSize = groupSize
        self.outputFeatures = rows
        self.inputFeatures = cols
        self.codes = codes
        self.scales = scales
        self.zeros = zeros
    }

    /// The codes shifted to unsigned, `q + 2^(bits−1)` (∈ [0, 15] for 4 bits, [0, 255] for 8), as
    /// they would be stored in a nibble or byte.
    public var storedCodes: [UInt8] {
        let half = 1 << (bits - 1)
        return codes.map { UInt8(Int($0) + half) }
    }

    /// The reconstruction `scale · (q − zero)`, `[outputFeatures, inputFeatures]`.
    public func dequantized() -> Tensor {
        let groups = inputFeatures / groupSize, cols = inputFeatures
        return Tensor(shape: [outputFeatures, inputFeatures]) { out in
            for r in 0..<outputFeatures {
                for i in 0..<cols {
                    let g = r * groups + i / groupSize
                    out[r * cols + i] = scales[g] * (Float(codes[r * cols + i]) - zeros[g])
                }
            }
        }
    }

    /// Checks the group size and that `weight` is `[out, in]` with `in` a multiple of it.
    static func validate(_ weight: Tensor, groupSize: Int, name: String) throws(QuantizationError) {
        guard [32, 64, 128].contains(groupSize) else {
            throw .invalidSetting(name: "groupSize", reason: "must be 32, 64 or 128, got \(groupSize)")
        }
        guard weight.rank == 2 else { throw .incompatibleShape(tensor: name, shape: weight.shape, reason: "a linear weight must be 2-D") }
        guard weight.shape[1] % groupSize == 0, weight.shape[1] > 0 else {
            throw .incompatibleShape(tensor: name, shape: weight.shape,
                                     reason: "input features must be a positive multiple of the group size \(groupSize)")
        }
    }
}
