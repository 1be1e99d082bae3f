import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import Training
import XCTest

final class DPOObjectiveTests: XCTestCase {
    let template = MiniCPMChatTemplate()
    let tokenizer = TinyChatTokenizer()

    func pairs() throws -> [PreferencePair] {
        try [
            PreferencePair(prompt: [.user("What is 7 + 8?")], chosen: "15", rejected: "16", template: template, tokenizer: tokenizer),
            PreferencePair(prompt: [.user("Which book?")], chosen: "Psalms", rejected: "John", template: template, tokenizer: tokenizer),
        ]
    }

    /// Prompt ids end where the reply starts; each reply ends with EOS; together they are the whole
    /// conversation's encoding.
    func testPairFromTextSplitsAtTheReply() throws {
        let pair = try pairs()[0]
        XCTAssertEqual(pair.prompt, try template.encode([.user("What is 7 + 8?")], tokenizer: tokenizer))
        XCTAssertEqual(pair.chosen, try tokenizer.encode("15") + [2])
        XCTAssertEqual(pair.rejected, try tokenizer.encode("16") + [2])
        XCTAssertEqual(pair.prompt + pair.chosen.dropLast(),
                       try template.encode([.user("What is 7 + 8?"), .assistant("15")], addGenerationPrompt: false, tokenizer: tokenizer))
    }

    /// When the policy is the reference, both rewards are 0 and the loss is log 2 per pair, whether
    /// the reference log-probabilities are cached or computed in the step.
    func testLossIsLogTwoWhenThePolicyIsTheReference() throws {
        let model = try TinyModels.model(seed: 1)
        let objective = DPOObjective(reference: model)
        let pairs = try pairs()
        for examples in [pairs, try objective.cachingReference(in: pairs)] {
            let output = try objective.loss(of: model, on: examples)
            XCTAssertEqual(Double(output.lossSum.scalar), 2 * log(2.0), accuracy: 1e-6)
            XCTAssertEqual(output.metrics["reward_accuracy"], 0, "ties are not preferences")
            XCTAssertEqual(output.metrics["reward_margin"]!, 0, accuracy: 1e-6)
        }
        XCTAssertEqual(objective.weight(of: pairs[0]), 1)
    }

    /// Cached reference log-probabilities are the reference model's sums over the reply tokens, and
    /// the loss is the same with or without the cache.
    func testCachedReferenceMatchesTheReferenceModel() throws {
        let reference = try TinyModels.model(seed: 2)
        let policy = TinyModels.perturbed(reference, scale: 0.1, seed: 3)
        let objective = DPOObjective(reference: reference, beta: 0.2)
        let cached = try objective.cachingReference(in: try pairs(), batchSize: 1)
        for pair in cached {
            let score = try XCTUnwrap(pair.reference)
            XCTAssertEqual(score.chosen, try summedLogProbability(reference, pair.prompt, pair.chosen), accuracy: 1e-4)
            XCTAssertEqual(score.rejected, try summedLogProbability(reference, pair.prompt, pair.rejected), accuracy: 1e-4)
        }
        let fresh = try objective.loss(of: policy, on: try pairs())
        let reused = try objective.loss(of: policy, on: cached)
        XCTAssertEqual(fresh.lossSum.scalar, reused.lossSum.scalar, accuracy: 1e-5)
    }

    /// The metrics are the implicit rewards β(log π − log π_ref), recomputed here from the models.
    func testMetricsAreTheImplicitRewards() throws {
        let reference = try TinyModels.model(seed: 2)
        let policy = TinyModels.perturbed(reference, scale: 0.2, seed: 4)
        let beta = 0.3
        let output = try DPOObjective(reference: reference, beta: Float(beta)).loss(of: policy, on: try pairs())
        var chosen = 0.0, rejected = 0.0, preferred = 0.0, loss = 0.0
        for pair in try pairs() {
            let rc = try beta * (summedLogProbability(policy, pair.prompt, pair.chosen) - summedLogProbability(reference, pair.prompt, pair.chosen))
            let rr = try beta * (summedLogProbability(policy, pair.prompt, pair.rejected) - summedLogProbability(reference, pair.prompt, pair.rejected))
            chosen += rc
            rejected += rr
            preferred += rc > rr ? 1 : 0
            loss += log(1 + exp(-(rc - rr)))
        }
        XCTAssertEqual(output.metrics["chosen_reward"]!, chosen, accuracy: 1e-4)
        XCTAssertEqual(output.metrics["rejected_reward"]!, rejected, accuracy: 1e-4)
        XCTAssertEqual(output.metrics["reward_margin"]!, chosen - rejected, accuracy: 1e-4)
        XCTAssertEqual(output.metrics["reward_accuracy"]!, preferred)
        XCTAssertEqual(Double(output.lossSum.scalar), loss, accuracy: 1e-4)
        XCTAssertNotEqual(chosen, 0)
    }

    /// A few plain gradient steps on the DPO loss make the policy prefer every chosen reply: the
    /// loss falls below log 2 and the reward accuracy reaches 1 (the loss points the right way).
    func testGradientStepsLearnThePreferences() throws {
        let reference = try TinyModels.model(seed: 12)
        let objective = DPOObjective(reference: reference, beta: 0.5)
        let pairs = try objective.cachingReference(in: try pairs())
        var policy = reference
        var losses: [Float] = []
        var last = ObjectiveOutput(lossSum: Tensor(0))
        for _ in 0..<15 {
            policy = policy.requiringGradients()
            last = try objective.loss(of: policy, on: pairs)
            losses.append(last.lossSum.scalar / Float(pairs.count))
            last.lossSum.backward()
            let gradients = Dictionary(uniqueKeysWithValues: policy.namedParameters.map { ($0.name, $0.value.gradient) })
            policy.updateParameters(prefix: "") { name, tensor in
                guard let g = gradients[name] ?? nil else { return }
                tensor = tensor.detached() - g * 0.5
            }
        }
        XCTAssertEqual(Double(losses[0]), log(2.0), accuracy: 1e-6)
        XCTAssertLessThan(losses.last!, 0.5 * losses[0], "\(losses)")
        XCTAssertEqual(last.metrics["reward_accuracy"], Double(pairs.count))
        XCTAssertGreaterThan(last.metrics["reward_margin"]!, 0)
    }

    /// The reference is a value copy: updating the policy's weights in place does not move it.
    func testReferenceCopyStaysFrozenWhenThePolicyIsUpdated() throws {
        var policy = try TinyModels.model(seed: 8)
        let objective = DPOObjective(reference: policy)
        let before = try objective.referenceLogProbabilities(of: try pairs())
        policy.updateParameters(prefix: "") { _, tensor in
            tensor.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= 1.5 } }
        }
        XCTAssertEqual(try objective.referenceLogProbabilities(of: try pairs()), before)
        XCTAssertNotEqual(try DPOObjective(reference: policy).referenceLogProbabilities(of: try pairs()), before)
    }

    /// Σ log p(reply token) under `model`, token by token from the single-sequence logits.
    func summedLogProbability(_ model: MiniCPM, _ prompt: [Int], _ reply: [Int]) throws -> Double {
        let ids = prompt + reply
        let logits = try withoutGradients { try model.logits(for: Array(ids.dropLast())) }
        let v = model.configuration.vocabularySize
        let values = logits.scalars
        var total = 0.0
        for position in (prompt.count - 1)..<(ids.count - 1) {
            let row = values[(position * v)..<((position + 1) * v)].map(Double.init)
            let m = row.max()!
            total += row[ids[position + 1]] - m - log(row.reduce(0) { $0 + exp($1 - m) })
        }
        return total
    }
}
