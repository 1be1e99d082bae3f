import BenchmarkSupport
import Foundation
import TensorCore

/// The prefill attention kernel alone: one 512-row chunk of queries (the shape's query heads of 64)
/// against `keys` cached keys (its KV heads), causal, as the last chunk of a `keys`-token prompt runs it. Its rate
/// shows whether the kernel's `[64, keys]` score block costs more once it outgrows the caches.
/// Measured on one thread, with its CPU time beside the wall time: on a machine shared with other
/// work, the CPU time is the figure that their load does not inflate.
struct AttentionTiming: Codable {
    var keys: Int
    var seconds: Double
    var cpuSeconds: Double
    /// Multiply-adds × 2 per CPU second.
    var gigaflopsPerCPUSecond: Double
}

enum AttentionKernelTiming {
    static func measure(keys: Int, rounds: Int, shape: BenchmarkShape) -> AttentionTiming {
        let (rows, hq, hkv, d) = (512, shape.heads, shape.keyValueHeads, shape.hidden / shape.heads)
        // The chunk is the last 512 of the keys (a prefill chunk over a cache).
        guard keys >= rows else {
            FileHandle.standardError.write(Data("--attention-keys \(keys): the timed chunk of \(rows) rows needs at least \(rows) keys\n".utf8))
            exit(2)
        }
        var state: UInt64 = 0x9e37_79b9
        func random(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 1000
            })
        }
        let q = random([1, rows, hq, d]), k = random([1, keys, hkv, d]), v = random([1, keys, hkv, d])
        let saved = Parallelism.threadCount
        Parallelism.threadCount = 1
        defer { Parallelism.threadCount = saved }
        var samples: [Double] = [], cpu: [Double] = []
        for _ in 0..<rounds {
            let c0 = processCPUSeconds()
            samples.append(seconds { scaledDotProductAttention(query: q, key: k, value: v).withUnsafeBufferPointer { blackHole($0) } })
            cpu.append(processCPUSeconds() - c0)
        }
        let t = median(samples), c = median(cpu)
        // Row i of the chunk sees keys − rows + i + 1 keys; q·k and p·v are 2·D flops per key and head.
        let visible = Double(keys - rows) + Double(rows + 1) / 2
        let flops = Double(rows) * visible * Double(hq) * Double(2 * d) * 2
        return AttentionTiming(keys: keys, seconds: t, cpuSeconds: c, gigaflopsPerCPUSecond: flops / c / 1e9)
    }
}
