import BenchmarkSupport
import MiniCPMModel
import TensorCore

/// Where a training step's forward and backward time goes: every kind of operation of the step,
/// run in isolation at the step's shapes through the same public API the model uses (forward, then
/// backward from a fixed upstream gradient), timed once after an untimed warm-up run, and multiplied
/// by how often a step performs it. The sum is compared with the measured step by the report; the
/// difference is what no isolated operation covers (the autograd walk itself, reshapes, the
/// loss's bookkeeping).
enum OperationBreakdown {
    static func measure(configuration c: MiniCPMConfiguration, batch: Int, sequence: Int) -> [BreakdownEntry] {
        var rng = SeededRandom(seed: 11)
        let n = batch * sequence
        let (d, f, v, l) = (c.hiddenSize, c.intermediateSize, c.vocabularySize, c.layerCount)
        let (heads, kvHeads, hd) = (c.attentionHeadCount, c.keyValueHeadCount, c.headDimension)
        func random(_ shape: [Int], _ std: Float = 0.05) -> Tensor {
            Tensor.normal(shape, standardDeviation: std, using: &rng)
        }
        var entries: [BreakdownEntry] = []
        func add(_ part: String, _ perStep: Double) { entries.append(BreakdownEntry(part: part, seconds: perStep)) }

        // Linear layers: y = x Wᵀ, with dX and dW in backward.
        func linear(_ inFeatures: Int, _ outFeatures: Int) -> Double {
            timeForwardBackward([random([n, inFeatures]), random([outFeatures, inFeatures])]) {
                matmul($0[0], $0[1], transposeB: true)
            }
        }
        let square = linear(d, d), kvProjection = linear(d, kvHeads * hd)
        let widen = linear(d, f), narrow = linear(f, d)
        add("linear layers q/k/v/o, gate/up/down (sgemm)",
            Double(l) * (2 * square + 2 * kvProjection + 2 * widen + narrow))

        let frequencies = RotaryEmbedding(configuration: c).frequencies(sequenceLength: sequence)
        add("attention softmax(qkᵀ)v", Double(l) * timeForwardBackward(
            [random([batch, sequence, heads, hd], 1), random([batch, sequence, kvHeads, hd], 1),
             random([batch, sequence, kvHeads, hd], 1)]) {
                scaledDotProductAttention(query: $0[0], key: $0[1], value: $0[2], isCausal: true)
            })
        add("RMSNorm", Double(2 * l + 1) * timeForwardBackward([random([batch, sequence, d], 1), random([d], 1)]) {
            $0[0].rmsNorm(weight: $0[1], epsilon: c.rmsNormEpsilon)
        })
        add("RoPE (q, k)", Double(l) * (
            timeForwardBackward([random([batch, sequence, heads, hd], 1)]) { frequencies($0[0], positionOffset: 0) } +
            timeForwardBackward([random([batch, sequence, kvHeads, hd], 1)]) { frequencies($0[0], positionOffset: 0) }))
        add("silu(gate) · up", Double(l) * timeForwardBackward([random([n, f], 1), random([n, f], 1)]) {
            $0[0].silu() * $0[1]
        })
        // Two residual increments per layer, plus the embedding's and the LM head input's scaling.
        let residual = timeForwardBackward([random([batch, sequence, d], 1), random([batch, sequence, d], 1)]) {
            $0[0] + $0[1] * c.residualScale
        }
        let scaling = timeForwardBackward([random([n, d], 1)]) { $0[0] * c.embeddingScale }
        add("residual scale + add, scalings", Double(2 * l) * residual + 2 * scaling)
        let ids = (0..<n).map { ($0 * 7_919) % v }
        add("embedding gather", timeForwardBackward([random([v, d])]) { $0[0].gatheringRows(ids) })
        let targets = (0..<n).map { ($0 * 104_729) % v }
        add("output layer + loss (linearCrossEntropy: 3 sgemm + softmax)",
            timeForwardBackward([random([n, d], 1), random([v, d], 0.1)]) {
                linearCrossEntropy(input: $0[0], weight: $0[1], targets: targets)
            })
        // A value read by several operations sums their gradients: per layer the normalised input
        // (q, k, v: two sums), the post-attention one (gate, up: one), and the two residual streams
        // (one each); once for the tied embedding (gather and LM head).
        add("gradient accumulation (fan-out sums)",
            Double(5 * l) * timeAccumulate(random([n, d])) + timeAccumulate(random([v, d])))
        return entries
    }

    /// Seconds of `body`'s forward and backward on leaves made from `inputs`: the faster of two
    /// runs after a warm-up run (on a shared machine the faster is the less disturbed).
    static func timeForwardBackward(_ inputs: [Tensor], _ body: ([Tensor]) -> Tensor) -> Double {
        let shape = withoutGradients { body(inputs).shape }
        let seed = shape.isEmpty ? nil : Tensor(repeating: 1e-3, shape: shape)
        var best = Double.infinity
        for run in 0..<3 {
            let leaves = inputs.map { $0.requiringGradient() }
            let t = seconds {
                let y = body(leaves)
                y.backward(seed: seed)
            }
            if run > 0 { best = min(best, t) }
            blackHole(leaves[0].gradient.map { $0.scalar(at: 0) } ?? 0)
        }
        return best
    }

    /// Seconds of adding one gradient into another of the same shape (as backward does when a value
    /// has several readers): the faster of two runs after a warm-up run.
    static func timeAccumulate(_ gradient: Tensor) -> Double {
        var best = Double.infinity
        for run in 0..<3 {
            var total = Tensor(repeating: 0, shape: gradient.shape)
            let t = seconds { total.addInPlace(gradient) }
            if run > 0 { best = min(best, t) }
            blackHole(total.scalar(at: 0))
        }
        return best
    }
}

private extension Tensor {
    func scalar(at i: Int) -> Float { withUnsafeBufferPointer { $0[i] } }
}
