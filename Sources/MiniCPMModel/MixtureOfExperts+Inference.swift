import TensorCore

extension MixtureOfExperts {
    /// The block's output when no gradient is recorded: each expert's rows are gathered, run through
    /// the expert, and `weight × output` is added straight into the token's result row.
    ///
    /// The recorded path must keep every step a differentiable tensor operation, so it multiplies
    /// each expert's output by a gathered column of weights, concatenates the experts' outputs,
    /// gathers them back to slot order and sums the `k` slots of each token: four passes over
    /// `n·k` rows and as many temporary tensors per layer. Here the renormalised weights are plain
    /// floats and one pass per expert output writes the result.
    ///
    /// Exactness: each contribution is rounded as `weight × output` and then added, never fused
    /// into one multiply-add, and a token's first contribution is stored rather than added to zero
    /// (which would turn `-0` into `+0`). For `k ≤ 2` that gives the recorded path's values bit for
    /// bit (float addition of two terms is commutative; only the experts' order of arrival
    /// differs), so a zero-router upcycled model still equals its dense model; for `k > 2` the
    /// terms are added in expert order rather than rank order, which may differ in the last bit.
    func inferenceOutput(rows: Tensor, probabilities: Tensor, routing: ExpertRouting) -> Tensor {
        let (n, e, k) = (routing.tokenCount, routing.expertCount, routing.expertsPerToken)
        let hidden = rows.shape[1]
        let chosen = routing.chosenExperts
        // The kept probabilities of each token over their sum, summed in rank order like the
        // recorded path's reduction over the k kept columns.
        let weights: [Float] = probabilities.withUnsafeBufferPointer { p in
            var w = [Float](repeating: 0, count: n * k)
            for t in 0..<n {
                var total: Float = 0
                for j in 0..<k { total += p[t * e + chosen[t * k + j]] }
                for j in 0..<k { w[t * k + j] = p[t * e + chosen[t * k + j]] / total }
            }
            return w
        }
        return Tensor(shape: [n, hidden]) { result in
            guard let out = result.baseAddress else { return }
            // Every token has k ≥ 1 slots, so every row is stored once before anything is added.
            var written = [Bool](repeating: false, count: n)
            for expert in 0..<e where !routing.slots[expert].isEmpty {
                let slots = routing.slots[expert]
                // Every token, in order (a batch-1 decode step, or any expert under k = E): the
                // input itself rather than a copy.
                let input = slots.count == n ? rows : rows.gatheringRows(slots.map { $0 / k })
                let y = experts[expert](input)
                y.withUnsafeBufferPointer { ys in
                    guard let source = ys.baseAddress else { return }
                    for (i, slot) in slots.enumerated() {
                        let token = slot / k
                        Self.accumulate(weight: weights[slot], row: source + i * hidden,
                                        into: out + token * hidden, count: hidden, store: !written[token])
                        written[token] = true
                    }
                }
            }
        }
    }

    /// `destination = weight × row` (`store`) or `destination += weight × row`, the product rounded
    /// before the sum (Swift does not contract `a * b + c` into a fused multiply-add).
    @inline(__always)
    private static func accumulate(weight: Float, row: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>,
                                   count: Int, store: Bool) {
        if store {
            for c in 0..<count { destination[c] = weight * row[c] }
        } else {
            for c in 0..<count { destination[c] = destination[c] + weight * row[c] }
        }
    }
}
