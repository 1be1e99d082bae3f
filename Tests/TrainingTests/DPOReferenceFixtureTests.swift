import Foundation
import TensorCore
@testable import Training
import XCTest

/// The DPO loss and its gradient against an independent float64 NumPy implementation
/// (Reference/dpo_reference.py, which wrote Fixtures/dpo_reference.json).
final class DPOReferenceFixtureTests: XCTestCase {
    struct Fixture: Decodable {
        var beta: Float
        var pairCount, length, vocabularySize: Int
        var policyLogits: [Double]
        var targets: [[Int]]
        var referenceChosen, referenceRejected: [Double]
        var sequenceLogProbabilities, pairLosses: [Double]
        var lossSum: Double
        var gradient: [Double]
        var metrics: [String: Double]
    }

    func testLossGradientAndMetricsMatchNumPy() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "dpo_reference", withExtension: "json", subdirectory: "Fixtures"))
        let f = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let logits = Tensor(shape: [2 * f.pairCount, f.length, f.vocabularySize],
                            scalars: f.policyLogits.map { Float($0) }).requiringGradient()
        let references = zip(f.referenceChosen, f.referenceRejected).map { ReferenceLogProbabilities(chosen: $0, rejected: $1) }

        let sums = ResponseLogProbabilities.sums(logits: logits, targets: f.targets)
        let output = DPOObjective.preferenceLoss(policyLogProbabilities: sums, references: references, beta: f.beta)
        output.lossSum.backward()

        // Float32 tolerances: the log-probabilities are sums of up to 6 log-softmax values of size
        // ~10 (absolute error ~1e-5); the loss and metrics are O(1) with relative error ~1e-6; the
        // gradient entries are O(β) = O(0.1) with absolute error ~1e-7. The gradient tolerance is
        // 1e-5, far below a wrong β (errors ~0.1), a wrong sign or a missing softmax term.
        for (got, expected) in zip(sums.scalars, f.sequenceLogProbabilities) {
            XCTAssertEqual(Double(got), expected, accuracy: 1e-4)
        }
        XCTAssertEqual(Double(output.lossSum.scalar), f.lossSum, accuracy: 1e-5)
        for (name, expected) in f.metrics {
            XCTAssertEqual(try XCTUnwrap(output.metrics[name], name), expected, accuracy: 1e-5, name)
        }
        let gradient = try XCTUnwrap(logits.gradient).scalars
        XCTAssertEqual(gradient.count, f.gradient.count)
        var worst = 0.0
        for (got, expected) in zip(gradient, f.gradient) { worst = max(worst, abs(Double(got) - expected)) }
        XCTAssertLessThan(worst, 1e-5)
        XCTAssertGreaterThan(f.gradient.map(abs).max()!, 1e-2, "the fixture's gradient is not trivially small")
    }
}
