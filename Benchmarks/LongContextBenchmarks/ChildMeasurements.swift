import BenchmarkSupport
import Foundation
import MiniCPMModel
import TensorCore

/// One prefill in a fresh process: its time, the process's peak resident size and the cache's bytes.
struct PrefillResult: Codable {
    var length: Int
    /// `chunked` (512 tokens a forward pass, the default) or `whole` (the prompt in one pass, as
    /// before chunking).
    var mode: String
    var seconds: Double
    /// CPU time of all threads (a shared machine's load inflates the wall time, hardly this).
    var cpuSeconds: Double
    var tokensPerSecond: Double
    /// Resident size after the model was built, before the prefill.
    var residentBeforeBytes: Int
    /// `VmHWM` at the end, after resetting it just before the prefill: the prefill's peak.
    var peakResidentBytes: Int
    var cacheResidentBytes: Int
    var cacheMemoryBytes: Int
}

/// Decoding steps after a prefill of `length` tokens, at 1 and 2 threads.
struct DecodeResult: Codable {
    var context: Int
    var steps: Int
    /// `f32` or `f16` (nil in reports from before the half-precision cache: f32).
    var storage: String?
    /// Threads → tokens per second (median over rounds).
    var tokensPerSecond: [String: Double]
}

enum ChildMeasurements {
    static func prefill(shape: BenchmarkShape, length: Int, whole: Bool) -> PrefillResult {
        var model = shape.model(maximumLength: length + 64)
        if whole { model.prefillChunkLength = Int.max }
        let prompt = shape.prompt(length: length)
        let cache = KVCache(configuration: model.configuration, maximumLength: length + 64)
        let before = MemorySnapshot.now().residentBytes
        if !resetPeakResidentBytes() { progress("warning: could not reset VmHWM; the peak includes model construction") }
        let c0 = processCPUSeconds()
        let t = seconds { _ = try! withoutGradients { try model.nextTokenLogits(for: prompt, cache: cache) } }
        let cpu = processCPUSeconds() - c0
        return PrefillResult(length: length, mode: whole ? "whole" : "chunked", seconds: t, cpuSeconds: cpu,
                             tokensPerSecond: Double(length) / t, residentBeforeBytes: before,
                             peakResidentBytes: peakResidentBytes(), cacheResidentBytes: cache.residentBytes,
                             cacheMemoryBytes: cache.memoryBytes)
    }

    static func decode(shape: BenchmarkShape, context: Int, steps: Int, rounds: Int, storage: KVCacheStorage) -> DecodeResult {
        let model = shape.model(maximumLength: context + steps + 8)
        let prompt = shape.prompt(length: context)
        let cache = KVCache(configuration: model.configuration, maximumLength: context + steps + 8, storage: storage)
        _ = try! withoutGradients { try model.nextTokenLogits(for: prompt, cache: cache) }
        var rates: [String: Double] = [:]
        for threads in [1, 2] {
            Parallelism.threadCount = threads
            var samples: [Double] = []
            for _ in 0..<rounds {
                cache.trim(to: context)
                var token = 5
                _ = try! withoutGradients { try model.nextTokenLogits(for: [token], cache: cache) }   // warm-up
                let t = seconds {
                    for _ in 0..<steps {
                        let logits = try! withoutGradients { try model.nextTokenLogits(for: [token], cache: cache) }
                        token = logits.argmax(alongAxis: 0)[0]
                    }
                }
                samples.append(Double(steps) / t)
            }
            rates["\(threads)"] = median(samples)
        }
        return DecodeResult(context: context, steps: steps, storage: Options.name(storage), tokensPerSecond: rates)
    }
}
