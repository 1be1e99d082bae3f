import TensorCore
import TestSupport

/// Random weight rows stored as Q4_K, Q6_K, F16 or BF16, for the kernel, layer and model tests.
///
/// Any byte pattern is a valid Q4_K or Q6_K super-block once its binary16 scales are finite, so
/// random bytes under random moderate scales cover every quantised value, 6-bit scale and min.
enum GGUFKQuantFixtures {
    static let types: [GGUFTensorType] = [.q4_K, .q6_K, .f16, .bf16]

    /// `rows` rows of `columns` weights of `type` (a multiple of 256 for Q4_K and Q6_K) whose values
    /// are at most about `magnitude` in size.
    static func randomRows(_ type: GGUFTensorType, rows: Int, columns: Int, magnitude: Float, seed: UInt64) -> [UInt8] {
        precondition(columns % type.blockSize == 0)
        var generator = SeededGenerator(seed: seed)
        let count = rows * columns / type.blockSize * type.bytesPerBlock
        var bytes = (0 ..< count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
        func setHalf(_ value: Float, at offset: Int) {
            let bits = HalfPrecision.float16Bits(value)
            bytes[offset] = UInt8(bits & 0xFF); bytes[offset + 1] = UInt8(bits >> 8)
        }
        func random() -> Float { Float.random(in: -1 ... 1, using: &generator) }
        switch type {
        case .q4_K:
            // |w| ≤ |d|·63·15 + |dmin|·63.
            for b in stride(from: 0, to: count, by: 144) {
                setHalf(random() * magnitude / (63 * 15), at: b)
                setHalf(random() * magnitude / (63 * 15), at: b + 2)
            }
        case .q6_K:
            // |w| ≤ |d|·128·32.
            for b in stride(from: 0, to: count, by: 210) { setHalf(random() * magnitude / (128 * 32), at: b + 208) }
        case .f16:
            for i in stride(from: 0, to: count, by: 2) { setHalf(random() * magnitude, at: i) }
        case .bf16:
            for i in stride(from: 0, to: count, by: 2) {
                let bits = (random() * magnitude).bitPattern >> 16  // truncation: any bfloat16 will do
                bytes[i] = UInt8(bits & 0xFF); bytes[i + 1] = UInt8(bits >> 8)
            }
        default:
            preconditionFailure("no random rows of \(type)")
        }
        return bytes
    }
}
