import Foundation
import TensorCore
import TestSupport

/// A tiny round-to-nearest quantiser into llama.cpp's Q8_0, Q4_0 and Q4_1 blocks, written from
/// ggml's `quantize_row_*_ref`, for making test weights; the layouts it writes are checked by
/// decoding them with TensorCore's ``GGUFDequantization`` (itself tested against gguf-py).
enum GGUFBlockFixtures {
    /// The blocks of `values` (a multiple of 32 of them) as `type`.
    static func quantize(_ values: [Float], as type: GGUFTensorType) -> [UInt8] {
        precondition(values.count % 32 == 0)
        var out: [UInt8] = []
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = Array(values[start ..< start + 32])
            func appendHalf(_ value: Float) {
                let bits = HalfPrecision.float16Bits(value)
                out.append(UInt8(bits & 0xFF)); out.append(UInt8(bits >> 8))
            }
            switch type {
            case .q8_0:
                let amax = block.map(abs).max()!
                let d = amax / 127, id = d == 0 ? 0 : 1 / d
                appendHalf(d)
                for v in block { out.append(UInt8(bitPattern: Int8((v * id).rounded()))) }
            case .q4_0:
                // ggml: d = max / −8 with max the value of largest magnitude, q = min(15, x/d + 8.5).
                let max = block.max(by: { abs($0) < abs($1) })!
                let d = max / -8, id = d == 0 ? 0 : 1 / d
                appendHalf(d)
                for j in 0 ..< 16 {
                    let lo = UInt8(min(15, Int8(block[j] * id + 8.5)))
                    let hi = UInt8(min(15, Int8(block[j + 16] * id + 8.5)))
                    out.append(lo | hi << 4)
                }
            case .q4_1:
                let lo = block.min()!, hi = block.max()!
                let d = (hi - lo) / 15, id = d == 0 ? 0 : 1 / d
                appendHalf(d); appendHalf(lo)
                for j in 0 ..< 16 {
                    let a = UInt8(min(15, Int8((block[j] - lo) * id + 0.5)))
                    let b = UInt8(min(15, Int8((block[j + 16] - lo) * id + 0.5)))
                    out.append(a | b << 4)
                }
            default:
                preconditionFailure("no test quantiser for \(type)")
            }
        }
        return out
    }

    /// `count` Gaussian values.
    static func gaussian(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var generator = SeededGenerator(seed: seed)
        return (0 ..< count).map { _ in Float(generator.nextGaussian()) * scale }
    }

    /// ggml's decoding of `blocks` of `type`, `count` values.
    static func dequantize(_ blocks: [UInt8], as type: GGUFTensorType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        blocks.withUnsafeBytes { source in
            out.withUnsafeMutableBufferPointer { GGUFDequantization.dequantize(type, from: source, into: $0) }
        }
        return out
    }
}
