import BenchmarkSupport
import MiniCPMModel
import TensorCore

/// Consumes a tensor: reads its first and last element, so the work that made it cannot be dropped.
@inline(never) func blackHole(_ t: Tensor) {
    t.withUnsafeBufferPointer { blackHole($0) }
}

/// The index of the largest logit (greedy decoding).
func argmax(_ logits: Tensor) -> Int {
    logits.withUnsafeBufferPointer { b in
        var best = 0
        var value = -Float.infinity
        for i in b.indices where b[i] > value { value = b[i]; best = i }
        return best
    }
}

/// A deterministic prompt of `n` token ids (avoiding the special ids 0–2).
func benchmarkPrompt(_ n: Int, vocabulary: Int, salt: Int = 0) -> [Int] {
    (0..<n).map { i in 3 + Int(BenchmarkModel.splitMix(UInt64(i &+ 1_000 &* salt)) % UInt64(vocabulary - 3)) }
}

struct DecodeRun {
    var seconds: Double
    var tokens: Int
    var stepSeconds: [Double]
    var memoryBefore: MemorySnapshot
    var memoryAfter: MemorySnapshot
    var poolIdleBefore: Int
    var poolIdleAfter: Int
    var generated: [Int]
}

/// Prefills `prompt`, then decodes `tokens` tokens one at a time by greedy argmax over
/// `nextTokenLogits` through one `KVCache`. Only the decode steps are timed (each step includes its
/// argmax); process memory is sampled after the first decode step and after the last one, so the
/// difference is what the loop itself accumulated. `between` runs (untimed) after every `every`
/// steps: the bandwidth samples of the roofline, taken under the same conditions as the steps.
func decodeRun(_ model: MiniCPM, prompt: [Int], tokens: Int, every: Int = 0, between: () -> Void = {}) throws -> DecodeRun {
    let cache = KVCache(configuration: model.configuration)
    var next = argmax(try model.nextTokenLogits(for: prompt, cache: cache))
    var generated = [next]
    // First step outside the measured memory window: it may fault in the pool's blocks.
    let first = seconds { next = argmax(try! model.nextTokenLogits(for: [next], cache: cache)) }
    generated.append(next)
    var steps = [first]
    steps.reserveCapacity(tokens)
    let before = MemorySnapshot.now()
    let poolBefore = BufferPool.idleBytes
    for step in 1..<tokens {
        if every > 0 && step % every == 0 { between() }
        let t = try seconds { next = argmax(try model.nextTokenLogits(for: [next], cache: cache)) }
        steps.append(t)
        generated.append(next)
    }
    let after = MemorySnapshot.now()
    return DecodeRun(seconds: steps.reduce(0, +), tokens: tokens, stepSeconds: steps, memoryBefore: before,
                     memoryAfter: after, poolIdleBefore: poolBefore, poolIdleAfter: BufferPool.idleBytes,
                     generated: generated)
}

/// One `nextTokenLogits` call over `prompt` on a fresh cache (created outside the timing, with room
/// for the whole prompt). Returns seconds and the argmax.
func prefillRun(_ model: MiniCPM, prompt: [Int]) throws -> (seconds: Double, token: Int, memory: (MemorySnapshot, MemorySnapshot)) {
    let cache = KVCache(configuration: model.configuration, reservedLength: prompt.count)
    let before = MemorySnapshot.now()
    var logits: Tensor? = nil
    let t = try seconds { logits = try model.nextTokenLogits(for: prompt, cache: cache) }
    let after = MemorySnapshot.now()
    return (t, argmax(logits!), (before, after))
}
