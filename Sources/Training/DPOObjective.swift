import MiniCPMModel
import TensorCore

/// Direct Preference Optimization (Rafailov et al. 2023), the alignment stage MiniCPM's paper
/// applies after SFT: the policy learns to prefer the chosen reply over the rejected one more than
/// a frozen reference model (the SFT model) does, without a separate reward model.
///
/// For a pair (x, y_w, y_l), with log π(y|x) the SUM of the reply tokens' log-probabilities and the
/// implicit reward r(y) = β (log π(y|x) − log π_ref(y|x)),
///
///     loss = −log σ(r(y_w) − r(y_l)) = softplus(−(r(y_w) − r(y_l)))
///
/// computed through `Tensor/softplus()`, which stays finite and exact for any margin
/// (the naive `−log(sigmoid(z))` gives `log 0 = −∞` once σ(z) rounds to 0). When the policy equals
/// the reference both rewards are 0 and the loss is log 2.
///
/// Each pair is one unit: ``weight(of:)`` is 1, and the trainer's mean is over pairs. Metrics (sums
/// over the micro-batch, to be divided by the pair count): `reward_accuracy` (pairs whose chosen
/// reward is strictly higher; ties, as at the start, count as not preferred), `reward_margin`
/// (r(y_w) − r(y_l)), `chosen_reward` and `rejected_reward`.
///
/// The reference model is a value copy of the policy taken before training: parameter updates write
/// through copy-on-write storage, so they never reach the copy, and its forward passes run
/// `withoutGradients`. Its log-probabilities are fixed, so compute them once with
/// ``cachingReference(in:batchSize:)`` before training; a pair drawn without them has them computed
/// in its micro-batch, every time it is drawn.
public struct DPOObjective: TrainingObjective {
    /// The frozen model the policy is measured against (usually the SFT model).
    public var reference: MiniCPM
    /// How strongly the policy is kept near the reference: the scale of the implicit reward.
    public var beta: Float
    /// The input id placed after a shorter sequence's end in a micro-batch.
    public var paddingID: Int

    /// - Precondition: `beta > 0` and finite.
    public init(reference: MiniCPM, beta: Float = 0.1, paddingID: Int = 0) {
        precondition(beta > 0 && beta.isFinite, "DPOObjective: beta must be positive and finite, got \(beta)")
        self.reference = reference
        self.beta = beta
        self.paddingID = paddingID
    }

    public func weight(of example: PreferencePair) -> Int { 1 }

    /// The tokens of the forward pass: the prompt twice, once before each reply.
    public func tokenCount(of pairs: [PreferencePair]) -> Int {
        pairs.reduce(0) { $0 + 2 * $1.prompt.count + $1.chosen.count + $1.rejected.count }
    }

    /// The reference model's log-probabilities of each pair's chosen and rejected replies, computed
    /// without gradients in batches of `batchSize` pairs.
    public func referenceLogProbabilities(of pairs: [PreferencePair], batchSize: Int = 8) throws -> [ReferenceLogProbabilities] {
        precondition(batchSize > 0, "batchSize must be positive")
        var result: [ReferenceLogProbabilities] = []
        result.reserveCapacity(pairs.count)
        for start in stride(from: 0, to: pairs.count, by: batchSize) {
            let batch = Array(pairs[start..<min(start + batchSize, pairs.count)])
            let sums = try withoutGradients { try logProbabilities(of: reference, on: batch).scalars }
            for i in batch.indices {
                result.append(ReferenceLogProbabilities(chosen: Double(sums[i]), rejected: Double(sums[batch.count + i])))
            }
        }
        return result
    }

    /// `pairs` with ``PreferencePair/reference`` filled in by the reference model: do this once,
    /// before training, so that no training step runs the reference model.
    public func cachingReference(in pairs: [PreferencePair], batchSize: Int = 8) throws -> [PreferencePair] {
        let scores = try referenceLogProbabilities(of: pairs, batchSize: batchSize)
        return zip(pairs, scores).map { pair, score in
            var pair = pair
            pair.reference = score
            return pair
        }
    }

    public func loss(of model: MiniCPM, on pairs: [PreferencePair]) throws -> ObjectiveOutput {
        guard !pairs.isEmpty else { return ObjectiveOutput(lossSum: Tensor(0)) }
        let missing = pairs.indices.filter { pairs[$0].reference == nil }
        var references = pairs.map { $0.reference ?? ReferenceLogProbabilities(chosen: 0, rejected: 0) }
        if !missing.isEmpty {
            let computed = try referenceLogProbabilities(of: missing.map { pairs[$0] }, batchSize: missing.count)
            for (i, score) in zip(missing, computed) { references[i] = score }
        }
        let policy = try logProbabilities(of: model, on: pairs)
        return Self.preferenceLoss(policyLogProbabilities: policy, references: references, beta: beta)
    }

    /// log π(y|x) of every pair's chosen reply, then every pair's rejected reply: a `[2P]` tensor
    /// from one forward pass over the padded batch.
    func logProbabilities(of model: MiniCPM, on pairs: [PreferencePair]) throws -> Tensor {
        let sequences = pairs.map { ResponseLogProbabilities.sequence(prompt: $0.prompt, response: $0.chosen) }
            + pairs.map { ResponseLogProbabilities.sequence(prompt: $0.prompt, response: $0.rejected) }
        let (inputs, targets) = ResponseLogProbabilities.padded(sequences, paddingID: paddingID)
        let v = model.configuration.vocabularySize
        for id in targets.joined() where id != TrainingSequence.ignoredTarget && !(0..<v).contains(id) {
            throw MiniCPMError.tokenOutOfRange(id: id, vocabularySize: v)
        }
        return ResponseLogProbabilities.sums(logits: try model.logits(forBatch: inputs), targets: targets)
    }

    /// The summed DPO loss and metrics from the policy's `[2P]` log-probabilities (chosen replies,
    /// then rejected ones) and the reference's.
    static func preferenceLoss(policyLogProbabilities policy: Tensor, references: [ReferenceLogProbabilities],
                               beta: Float) -> ObjectiveOutput {
        let p = references.count
        precondition(policy.shape == [2 * p], "expected \(2 * p) log-probabilities, got \(policy.shape)")
        let referenceChosen = Tensor(shape: [p], scalars: references.map { Float($0.chosen) })
        let referenceRejected = Tensor(shape: [p], scalars: references.map { Float($0.rejected) })
        let chosenRatio = policy.sliced(alongAxis: 0, 0..<p) - referenceChosen
        let rejectedRatio = policy.sliced(alongAxis: 0, p..<(2 * p)) - referenceRejected
        let margins = (chosenRatio - rejectedRatio) * beta
        let lossSum = (-margins).softplus().sum()

        // Metrics in Double from the detached values.
        let values = policy.scalars.map(Double.init)
        let b = Double(beta)
        var metrics = ["reward_accuracy": 0.0, "reward_margin": 0.0, "chosen_reward": 0.0, "rejected_reward": 0.0]
        for i in 0..<p {
            let chosen = b * (values[i] - references[i].chosen)
            let rejected = b * (values[p + i] - references[i].rejected)
            metrics["chosen_reward"]! += chosen
            metrics["rejected_reward"]! += rejected
            metrics["reward_margin"]! += chosen - rejected
            if chosen > rejected { metrics["reward_accuracy"]! += 1 }
        }
        return ObjectiveOutput(lossSum: lossSum, metrics: metrics)
    }
}
