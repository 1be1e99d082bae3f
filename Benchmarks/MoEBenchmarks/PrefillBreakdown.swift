import BenchmarkSupport
import Foundation
import MiniCPMModel
import TensorCore

/// One phase of a feed-forward block over a prefill batch, in milliseconds.
struct Phase: Codable {
    var phase: String
    /// The fastest round: the least disturbed by the machine's other tenants.
    var bestMilliseconds: Double
    var medianMilliseconds: Double
}

/// Where a prefill's feed-forward time goes: the first layer's MoE block over `tokens` random rows,
/// phase by phase (routing, row gathers, each kind of expert product, the elementwise gate; the
/// combine is what the whole block takes beyond them), beside the dense MLP with the same active
/// parameters. The end-to-end figures say how much slower the MoE is; this says which step.
func prefillBreakdown(moe: MiniCPM, dense: MiniCPM, tokens: Int, rounds: Int) -> [Phase] {
    let block = moe.layers[0].feedForward as! MixtureOfExperts
    var recordedBlock = block
    recordedBlock.usesInferencePath = false
    let mlp = dense.layers[0].feedForward as! MLP
    let hidden = block.routerWeight.shape[1]
    var generator = SeededRandom(seed: 3)
    let rows = Tensor.normal([tokens, hidden], standardDeviation: 1, using: &generator)

    /// Keeps a result alive without copying it.
    func sink(_ t: Tensor) { t.withUnsafeBufferPointer { blackHole($0[0]) } }

    return withoutGradients {
        let (e, k) = (block.experts.count, block.expertsPerToken)
        let probabilities = matmul(rows, block.routerWeight, transposeB: true).softmax(alongAxis: -1)
        let routing = probabilities.withUnsafeBufferPointer {
            ExpertRouting(probabilities: $0, tokenCount: tokens, expertCount: e, expertsPerToken: k)
        }
        let used = (0..<e).filter { !routing.slots[$0].isEmpty }
        let inputs = used.map { rows.gatheringRows(routing.slots[$0].map { $0 / k }) }
        let gates = zip(used, inputs).map { block.experts[$0].gateProjection($1) }
        let ups = zip(used, inputs).map { block.experts[$0].upProjection($1) }
        let gated = zip(gates, ups).map { $0.silu() * $1 }
        let g = mlp.gateProjection(rows), u = mlp.upProjection(rows)
        let h = g.silu() * u

        // Each phase on its own inputs, computed once above; the phases interleaved round by round
        // so that the machine's other tenants slow them alike.
        let phases: [(String, () -> Void)] = [
            ("MoE: router product, softmax, top-k", {
                let p = matmul(rows, block.routerWeight, transposeB: true).softmax(alongAxis: -1)
                _ = p.withUnsafeBufferPointer {
                    ExpertRouting(probabilities: $0, tokenCount: tokens, expertCount: e, expertsPerToken: k)
                }
            }),
            ("MoE: gather each expert's rows", { for e in used { sink(rows.gatheringRows(routing.slots[e].map { $0 / k })) } }),
            ("MoE: w1 and w3 products (\(used.count) experts, ~\(tokens * k / max(1, used.count)) rows each)", {
                for (e, x) in zip(used, inputs) {
                    sink(block.experts[e].gateProjection(x))
                    sink(block.experts[e].upProjection(x))
                }
            }),
            ("MoE: silu(w1 x) ⊙ w3 x", { for (a, b) in zip(gates, ups) { sink(a.silu() * b) } }),
            ("MoE: w2 products", { for (e, x) in zip(used, gated) { sink(block.experts[e].downProjection(x)) } }),
            ("MoE block, inference path", { sink(block(rows)) }),
            ("MoE block, recorded path", { sink(recordedBlock(rows)) }),
            ("dense: gate and up products", { sink(mlp.gateProjection(rows)); sink(mlp.upProjection(rows)) }),
            ("dense: silu(gate) ⊙ up", { sink(g.silu() * u) }),
            ("dense: down product", { sink(mlp.downProjection(h)) }),
            ("dense MLP block", { sink(mlp(rows)) }),
        ]
        var samples = [[Double]](repeating: [], count: phases.count)
        for round in 0...rounds {
            for (i, phase) in phases.enumerated() {
                let start = clock.now
                phase.1()
                if round > 0 { samples[i].append(secondsSince(start) * 1000) }   // round 0 warms up
            }
        }
        return zip(phases, samples).map { Phase(phase: $0.0, bestMilliseconds: $1.min()!, medianMilliseconds: median($1)) }
    }
}
