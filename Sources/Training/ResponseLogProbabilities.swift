import TensorCore

/// Sums of the log-probabilities of responses, the log π(y|x) of DPO, as one differentiable
/// computation over a padded batch.
enum ResponseLogProbabilities {
    /// The next-token example of `prompt + response`: `targets[t]` is id `t + 1` when that id belongs
    /// to the response, otherwise ignored, so that the scored targets are exactly the response.
    static func sequence(prompt: [Int], response: [Int]) -> TrainingSequence {
        let ids = prompt + response
        let targets = (1..<ids.count).map { $0 >= prompt.count ? ids[$0] : TrainingSequence.ignoredTarget }
        return TrainingSequence(inputs: Array(ids.dropLast()), targets: targets)
    }

    /// Pads sequences to the longest with `paddingID` inputs and ignored targets (the model is
    /// causal, so padding after a sequence changes none of its logits).
    static func padded(_ sequences: [TrainingSequence], paddingID: Int) -> (inputs: [[Int]], targets: [[Int]]) {
        let length = sequences.map(\.inputs.count).max() ?? 0
        return (sequences.map { $0.inputs + Array(repeating: paddingID, count: length - $0.inputs.count) },
                sequences.map { $0.targets + Array(repeating: TrainingSequence.ignoredTarget, count: length - $0.targets.count) })
    }

    /// `Σ_t log softmax(logits[b, t])[targets[b][t]]` over the scored targets of each row: a `[B]`
    /// tensor, differentiable with respect to `logits` `[B, T, V]`.
    ///
    /// The scored log-probabilities are picked out of the flattened `[B·T·V, 1]` log-softmax with
    /// one row gather and summed per sequence by a `[B, K]` 0/1 matrix product: both are existing
    /// differentiable ops, and nothing of size `[B, T, V]` is built besides the log-softmax and
    /// its gradient.
    static func sums(logits: Tensor, targets: [[Int]]) -> Tensor {
        let (b, t, v) = (logits.shape[0], logits.shape[1], logits.shape[2])
        precondition(targets.count == b && targets.allSatisfy { $0.count == t }, "targets do not match logits \(logits.shape)")
        var picked: [Int] = []
        var owner: [Int] = []
        for (row, sequence) in targets.enumerated() {
            for (position, target) in sequence.enumerated() where target != TrainingSequence.ignoredTarget {
                picked.append((row * t + position) * v + target)
                owner.append(row)
            }
        }
        let logProbabilities = logits.logSoftmax(alongAxis: -1).reshaped([b * t * v, 1]).gatheringRows(picked)
        let membership = Tensor(shape: [b, picked.count]) { m in
            m.initialize(repeating: 0)
            for (k, row) in owner.enumerated() { m[row * picked.count + k] = 1 }
        }
        return matmul(membership, logProbabilities).reshaped([b])
    }
}
