/// Which experts each token of a batch goes to, and the same assignment grouped by expert: the
/// plan a ``MixtureOfExperts`` block runs, so that each expert makes one matrix product per batch
/// over the rows routed to it instead of one per token.
///
/// A *slot* is one (token, rank) pair: token `t`'s `j`-th choice is slot `t · k + j`.
public struct ExpertRouting: Sendable, Equatable {
    /// Tokens routed.
    public let tokenCount: Int
    /// Experts in the block.
    public let expertCount: Int
    /// Experts each token goes to (`k`).
    public let expertsPerToken: Int
    /// `chosenExperts[t · k + j]`: token `t`'s `j`-th expert, by descending probability; equal
    /// probabilities are ordered by lower expert index (the reference's stable sort).
    public let chosenExperts: [Int]
    /// `slots[e]`: the slots routed to expert `e`, in token order.
    public let slots: [[Int]]

    /// The top-`k` experts of each row of `probabilities` (`tokenCount` rows of `expertCount`).
    ///
    /// Selection is `k` passes of a strict-greater maximum search, so the earliest of equal values
    /// wins each pass: the order of a stable descending sort, in `O(k · E)` per token.
    /// - Precondition: `1 ≤ k ≤ expertCount` and `probabilities.count == tokenCount · expertCount`.
    public init(probabilities: UnsafeBufferPointer<Float>, tokenCount: Int, expertCount: Int, expertsPerToken k: Int) {
        precondition((1...max(1, expertCount)).contains(k) && probabilities.count == tokenCount * expertCount,
                     "routing \(tokenCount) tokens to \(k) of \(expertCount) experts needs \(tokenCount * expertCount) probabilities")
        self.tokenCount = tokenCount
        self.expertCount = expertCount
        self.expertsPerToken = k
        var chosen = [Int](repeating: 0, count: tokenCount * k)
        var slots = [[Int]](repeating: [], count: expertCount)
        var taken = [Bool](repeating: false, count: expertCount)
        for t in 0..<tokenCount {
            let row = probabilities.baseAddress! + t * expertCount
            for e in 0..<expertCount { taken[e] = false }
            for j in 0..<k {
                var best = -1
                for e in 0..<expertCount where !taken[e] && (best < 0 || row[e] > row[best]) { best = e }
                taken[best] = true
                chosen[t * k + j] = best
                slots[best].append(t * k + j)
            }
        }
        self.chosenExperts = chosen
        self.slots = slots
    }

    /// Slots (token-rank pairs) routed to each expert: what the load-balancing loss calls the
    /// expert's load.
    public var tokensPerExpert: [Int] { slots.map(\.count) }
}
