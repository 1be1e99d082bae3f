import BenchmarkSupport
import MiniCPMModel
import TensorCore

/// The decoding attention kernel alone: one query row of the shape's heads (SmolLM2: 9) against
/// `keys` cached keys of its KV heads (3), at 1 and 2 threads, to show what splitting the keys
/// across threads (flash-decoding) gives when there are only a few KV heads to share out.
struct DecodeKernelTiming: Codable {
    var keys: Int
    /// `f32` or `f16` keys and values (nil in older reports: f32).
    var storage: String?
    /// Threads → microseconds per call (median).
    var microseconds: [String: Double]

    static func measure(keys: Int, rounds: Int, storage: KVCacheStorage, shape: BenchmarkShape) -> DecodeKernelTiming {
        let (hq, hkv, d) = (shape.heads, shape.keyValueHeads, shape.hidden / shape.heads)
        var state: UInt64 = 0x51_7cc1
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            })
        }
        let q = random([1, 1, hq, d]), k = random([1, keys, hkv, d]), v = random([1, keys, hkv, d])
        let halfKeys = k.scalars.map(HalfPrecision.float16Bits), halfValues = v.scalars.map(HalfPrecision.float16Bits)
        func attend() -> Tensor {
            guard storage == .float16 else { return scaledDotProductAttention(query: q, key: k, value: v) }
            return halfKeys.withUnsafeBufferPointer { pk in
                halfValues.withUnsafeBufferPointer { pv in
                    scaledDotProductAttention(query: q, float16Keys: pk.baseAddress!, values: pv.baseAddress!,
                                              keyCount: keys, keyValueHeads: hkv)
                }
            }
        }
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        var result: [String: Double] = [:]
        for threads in [1, 2] {
            Parallelism.threadCount = threads
            var samples: [Double] = []
            for _ in 0..<rounds {
                samples.append(seconds { attend().withUnsafeBufferPointer { blackHole($0) } })
            }
            result["\(threads)"] = median(samples) * 1e6
        }
        return DecodeKernelTiming(keys: keys, storage: Options.name(storage), microseconds: result)
    }
}
