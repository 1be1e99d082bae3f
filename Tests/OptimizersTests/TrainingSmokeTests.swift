import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import XCTest

/// AdamW with MiniCPM's muP groups, weight decay, warmup and clipping memorises a short sequence
/// within a few dozen steps. (The base rate is 0.1, not the paper's 0.01: memorising one sequence
/// in 40 steps calls for a larger rate than a 10⁵-step pre-training run.)
final class TrainingSmokeTests: XCTestCase {
    func testAdamWWithMuPGroupsDrivesTheLossDown() throws {
        for tied in [false, true] {
            var model = try trainableTinyModel(tied: tied, seed: 5)
            var optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(model.configuration.widthMultiplier),
                                                   weightDecay: 0.1),
                                  schedule: LinearWarmup(ConstantSchedule(learningRate: 0.1), steps: 5),
                                  beta1: 0.9, beta2: 0.95, maxGradientNorm: 1)
            let sequence = [4, 11, 2, 19, 7, 7, 13, 0, 21, 5, 9, 16]
            let input = [Array(sequence.dropLast())], target = [Array(sequence.dropFirst())]
            var losses: [Float] = []
            for _ in 0..<40 {
                let loss = try model.loss(inputs: input, targets: target)
                loss.backward()
                losses.append(loss.scalar)
                let report = try optimizer.step(&model)
                XCTAssertTrue(report.gradientNorm.isFinite)
            }
            XCTAssertGreaterThan(losses[0], 2.5, "an untrained model is near ln(23) ≈ 3.1 (tied: \(tied))")
            XCTAssertLessThan(losses.last!, 0.05, "loss after 40 steps (tied: \(tied)): \(losses)")
            XCTAssertTrue(model.namedParameters.allSatisfy { $0.value.requiresGradient && $0.value.gradient == nil })
        }
    }
}
