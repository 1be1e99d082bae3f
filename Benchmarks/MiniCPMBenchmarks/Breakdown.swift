import BenchmarkSupport
import MiniCPMModel
import TensorCore

/// Where a forward pass spends its time: the model's own forward, step by step through the public
/// layer API, with a clock read around every operation (about 30 ns each, ~1,000 per decode step:
/// negligible), the same operations in the same order as `MiniCPM.nextTokenLogits`.
///
/// Differences from the real call, all negligible in cost: the KV cache is replaced by
/// preallocated key/value tensors of the same length (decode) or by the freshly projected keys and
/// values (prefill), so the cache's row copy (2 KB per layer and token) is not timed.
enum Breakdown {
    enum Part: Int, CaseIterable {
        case embedding, norms, qkvProjection, rope, attention, outputProjection, gateUpProjection,
             siluGate, downProjection, residual, lmHead

        var label: String {
            switch self {
            case .embedding: return "embedding lookup + scale"
            case .norms: return "RMSNorm (2 per layer + final)"
            case .qkvProjection: return "q/k/v projections"
            case .rope: return "RoPE (q and k)"
            case .attention: return "attention (softmax(qkᵀ)v)"
            case .outputProjection: return "o projection"
            case .gateUpProjection: return "gate/up projections"
            case .siluGate: return "silu(gate) · up"
            case .downProjection: return "down projection"
            case .residual: return "residual scale + add"
            case .lmHead: return "LM head (scale + gemv/gemm)"
            }
        }
    }

    struct Timers {
        var seconds = [Double](repeating: 0, count: Part.allCases.count)
        @inline(__always)
        mutating func time<R>(_ part: Part, _ body: () -> R) -> R {
            let start = clock.now
            let r = body()
            seconds[part.rawValue] += secondsSince(start)
            return r
        }
    }

    /// One instrumented forward of `tokens` positions after `context` cached ones, returning the
    /// timers. `cachedKeys`/`cachedValues` (one pair per layer, `[1, context + T, Hkv, D]`) stand in for
    /// the cache when `context > 0`.
    static func forward(_ model: MiniCPM, tokens: [Int], context: Int,
                        cachedKeys: [Tensor], cachedValues: [Tensor]) -> Timers {
        let c = model.configuration
        var timers = Timers()
        let t = tokens.count
        var h = timers.time(.embedding) {
            model.embedding(tokens).reshaped([1, t, c.hiddenSize]) * c.embeddingScale
        }
        let rope = timers.time(.rope) { model.rotary.frequencies(sequenceLength: context + t) }
        for (i, layer) in model.layers.enumerated() {
            let a = layer.attention
            guard let mlp = layer.feedForward as? MLP else { preconditionFailure("the breakdown times the dense MLP") }
            let x = timers.time(.norms) { layer.inputNorm(h) }
            var q = timers.time(.qkvProjection) { a.queryProjection(x).reshaped([1, t, a.headCount, a.headDimension]) }
            var k = timers.time(.qkvProjection) { a.keyProjection(x).reshaped([1, t, a.keyValueHeadCount, a.headDimension]) }
            var v = timers.time(.qkvProjection) { a.valueProjection(x).reshaped([1, t, a.keyValueHeadCount, a.headDimension]) }
            q = timers.time(.rope) { rope(q, positionOffset: context) }
            k = timers.time(.rope) { rope(k, positionOffset: context) }
            if context > 0 { k = cachedKeys[i]; v = cachedValues[i] }
            let attended = timers.time(.attention) {
                scaledDotProductAttention(query: q, key: k, value: v, isCausal: true)
            }
            let o = timers.time(.outputProjection) {
                a.outputProjection(attended.reshaped([1, t, a.headCount * a.headDimension]))
            }
            let h1 = timers.time(.residual) { h + o * layer.residualScale }
            let y = timers.time(.norms) { layer.postAttentionNorm(h1) }
            let gate = timers.time(.gateUpProjection) { mlp.gateProjection(y) }
            let up = timers.time(.gateUpProjection) { mlp.upProjection(y) }
            let g = timers.time(.siluGate) { gate.silu() * up }
            let down = timers.time(.downProjection) { mlp.downProjection(g) }
            h = timers.time(.residual) { h1 + down * layer.residualScale }
        }
        let last = timers.time(.norms) {
            model.finalNorm(h).reshaped([t, c.hiddenSize]).sliced(alongAxis: 0, (t - 1)..<t)
        }
        let logits = timers.time(.lmHead) { () -> Tensor in
            let scaled = last * (1 / c.widthMultiplier)
            if let head = model.outputHead { return head(scaled) }
            return matmul(scaled, model.embedding.weight, transposeB: true)
        }
        blackHole(logits)
        return timers
    }

    /// Average timers of `steps` instrumented decode steps at `context` cached positions.
    static func decode(_ model: MiniCPM, context: Int, steps: Int) -> [Double] {
        let c = model.configuration
        let total = context + 1
        let kvShape = [1, total, c.keyValueHeadCount, c.headDimension]
        let keys = (0..<c.layerCount).map { i in BenchmarkModel.filled(kvShape, seed: UInt64(2 * i), halfWidth: 1) }
        let values = (0..<c.layerCount).map { i in BenchmarkModel.filled(kvShape, seed: UInt64(2 * i + 1), halfWidth: 1) }
        var sum = [Double](repeating: 0, count: Part.allCases.count)
        _ = forward(model, tokens: [5], context: context, cachedKeys: keys, cachedValues: values)   // warm-up
        for s in 0..<steps {
            let timers = forward(model, tokens: [5 + s], context: context, cachedKeys: keys, cachedValues: values)
            for i in sum.indices { sum[i] += timers.seconds[i] }
        }
        return sum.map { $0 / Double(steps) }
    }

    /// Timers of an instrumented prefill of `prompt` (best of `runs` by total time).
    static func prefill(_ model: MiniCPM, prompt: [Int], runs: Int) -> [Double] {
        var best: [Double]? = nil
        for _ in 0..<runs {
            let s = forward(model, tokens: prompt, context: 0, cachedKeys: [], cachedValues: []).seconds
            if best == nil || s.reduce(0, +) < best!.reduce(0, +) { best = s }
        }
        return best!
    }
}
