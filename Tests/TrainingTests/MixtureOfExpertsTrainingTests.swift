import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import Training
import XCTest

/// Training a mixture-of-experts model: the load-balancing loss joins the objective, the step
/// records report the tokens per expert, and continued training of an upcycled model makes its
/// copied experts diverge while the balance loss stays near its uniform value of 1.
final class MixtureOfExpertsTrainingTests: XCTestCase {
    /// The objective's loss sum is (cross-entropy + coefficient · balance loss) × scored tokens, the
    /// balance loss being recomputed here from the model's recorded router statistics; the metric
    /// and the expert loads are reported with it.
    func testObjectiveAddsTheWeightedBalanceLoss() throws {
        var c = TinyRun.configuration
        c.expertCount = 4
        c.expertsPerToken = 2
        let model = try MiniCPM(configuration: c, seed: 3)
        let examples = [TrainingSequence(window: [1, 5, 9, 13, 2, 7]), TrainingSequence(window: [4, 8, 15, 16, 23, 42])]
        let objective = LanguageModelingObjective(loadBalancingCoefficient: 0.5)
        let output = try objective.loss(of: model, on: examples)

        let (crossEntropy, routing) = try model.recordingRouting {
            try model.loss(inputs: examples.map(\.inputs), targets: examples.map(\.targets))
        }
        XCTAssertEqual(routing.count, 2)
        // The balance loss by its formula, from the probabilities and loads alone.
        var balance = 0.0
        for record in routing {
            let p = record.probabilities.scalars, loads = record.tokensPerExpert
            let tokens = record.probabilities.shape[0]
            var layer = 0.0
            for e in 0..<4 {
                let meanP = (0..<tokens).reduce(0.0) { $0 + Double(p[$1 * 4 + e]) } / Double(tokens)
                layer += Double(loads[e]) / Double(2 * tokens) * meanP
            }
            balance += 4 * layer / 2
        }
        XCTAssertEqual(Double(output.lossSum.scalar), (Double(crossEntropy.scalar) + 0.5 * balance) * 10, accuracy: 1e-4)
        XCTAssertEqual(output.metrics["balance_loss"] ?? 0, balance * 10, accuracy: 1e-4)
        XCTAssertEqual(output.expertTokens, routing.map(\.tokensPerExpert))
        XCTAssertEqual(output.expertTokens?.map { $0.reduce(0, +) }, [20, 20], "10 tokens × 2 experts per layer")

        let dense = try LanguageModelingObjective().loss(of: try MiniCPM(configuration: TinyRun.configuration, seed: 3), on: examples)
        XCTAssertNil(dense.expertTokens)
        XCTAssertNil(dense.metrics["balance_loss"])
    }

    /// A dense tiny model, upcycled to 4 experts (top-2, router N(0, 0.01²)), then trained for a
    /// few steps: the distance between expert 0 and the other experts grows from exactly 0, the
    /// balance loss stays near 1 (bounded by 1.5, against a collapse value of 4), and each step's
    /// record carries the loads, which its JSON line writes as `expert_tokens`.
    func testUpcycledExpertsDivergeUnderContinuedTraining() throws {
        let dense = try MiniCPM(configuration: TinyRun.configuration, seed: 1)
        let moe = try dense.upcycled(experts: 4, activePerToken: 2, routerStandardDeviation: 0.01, seed: 7)
        let denseBefore = dense.namedParameters.map { $0.value.scalars }
        func spread(_ model: MiniCPM) -> Float {
            let p = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.value.scalars) })
            return (1..<4).map { e -> Float in
                zip(p["model.layers.0.mlp.experts.0.w1.weight"]!, p["model.layers.0.mlp.experts.\(e).w1.weight"]!)
                    .reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            }.min()!
        }
        XCTAssertEqual(spread(moe), 0)

        let schedule = ConstantSchedule(learningRate: 0.01)
        let optimizer = AdamW(groups: .miniCPM(moe, widthMultiplier: Double(TinyRun.configuration.widthMultiplier), weightDecay: 0),
                              schedule: schedule, maxGradientNorm: 1)
        var trainer = Trainer(model: moe, optimizer: optimizer, source: TokenWindowSource(tokens: TinyRun.tokens, length: 16, seed: 3),
                              objective: LanguageModelingObjective(), batchSize: .examples(4), microBatchSize: 2)
        var spreads: [Float] = []
        var balances: [Double] = []
        for _ in 0..<6 {
            let record = try trainer.step()
            let balance = try XCTUnwrap(record.metrics["balance_loss"])
            balances.append(balance)
            XCTAssertGreaterThanOrEqual(balance, 0.99)
            XCTAssertLessThan(balance, 1.5)
            let loads = try XCTUnwrap(record.expertTokens)
            XCTAssertEqual(loads.map { $0.reduce(0, +) }, [128, 128], "4 × 16 tokens × 2 experts per layer")
            spreads.append(spread(trainer.model))
        }
        print("upcycled continued training: expert distance \(spreads.map { String(format: "%.4f", $0) }), " +
              "balance loss \(balances.map { String(format: "%.4f", $0) })")
        XCTAssertGreaterThan(spreads[0], 0)
        XCTAssertGreaterThan(spreads[5], spreads[0], "\(spreads)")
        // The experts shared the dense model's storage (copy-on-write): training copied, not wrote through.
        XCTAssertEqual(dense.namedParameters.map { $0.value.scalars }, denseBefore)

        let last = try trainer.step()
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(last)) as! [String: Any]
        XCTAssertEqual((json["expert_tokens"] as? [[Int]])?.count, 2)
        XCTAssertEqual(try JSONDecoder().decode(StepRecord.self, from: JSONEncoder().encode(last)), last)
    }
}
