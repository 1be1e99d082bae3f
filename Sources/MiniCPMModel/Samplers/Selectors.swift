import Foundation
import TensorCore

/// Greedy selection: the token with the largest finite logit, the **lowest id on ties**.
///
/// Non-finite entries are skipped; when no entry is finite the result is 0. Uses no randomness.
public struct ArgmaxSelector: TokenSelector, Hashable {
    /// The greedy selector.
    public init() {}

    public func select(from logits: [Float], using generator: inout SeededRandom) -> Int {
        Self.argmax(logits)
    }

    /// The index of the largest finite value, the lowest such index on ties; 0 when none is finite.
    static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        var found = false
        for (i, v) in logits.enumerated() where v.isFinite && (!found || v > bestValue) {
            best = i
            bestValue = v
            found = true
        }
        return best
    }
}

/// Random selection from the softmax of the logits (categorical sampling), seeded and reproducible.
///
/// Probabilities are `exp(logit − max)` over the finite logits, normalised in `Double`; a draw `u`
/// uniform in `[0, 1)` (`SeededRandom.nextDouble()`, exactly one generator step per call, also when
/// nothing can be drawn) picks the first token, in id order, whose cumulative weight exceeds `u ·
/// total`. Removed (`-infinity`) and `NaN` entries have probability zero; when no entry is finite the
/// result is that of ``ArgmaxSelector``. Nothing is allocated: the weights are recomputed in a second pass.
public struct CategoricalSelector: TokenSelector, Hashable {
    /// The categorical selector.
    public init() {}

    public func select(from logits: [Float], using generator: inout SeededRandom) -> Int {
        let u = generator.nextDouble()
        return logits.withUnsafeBufferPointer { l -> Int in
            var m = -Float.infinity
            var found = false
            for v in l where v.isFinite && (!found || v > m) {
                m = v
                found = true
            }
            guard found else { return ArgmaxSelector.argmax(logits) }
            let max = Double(m)
            var total = 0.0
            for v in l where v.isFinite { total += exp(Double(v) - max) }
            let threshold = u * total
            var cumulative = 0.0
            var lastPositive = 0
            for i in l.indices where l[i].isFinite {
                let w = exp(Double(l[i]) - max)
                guard w > 0 else { continue }
                cumulative += w
                lastPositive = i
                if cumulative > threshold { return i }
            }
            // Only reachable when u · total rounds up to total.
            return lastPositive
        }
    }
}
