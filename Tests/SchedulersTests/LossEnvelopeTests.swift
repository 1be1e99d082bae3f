import Foundation
import XCTest
import Schedulers
import TestSupport

/// Appendix B.2: power law `β·C^(−α) + L0` versus exponential `α·e^(−βC) + L0`.
final class LossEnvelopeTests: XCTestCase {
    let computes = (0..<30).map { 1e18 * pow(1_000, Double($0) / 29) }

    func testFrontierKeepsOnlyImprovingPoints() {
        let points = [
            ComputeLossPoint(compute: 3, loss: 2.9), ComputeLossPoint(compute: 1, loss: 3.5),
            ComputeLossPoint(compute: 2, loss: 3.0), ComputeLossPoint(compute: 2, loss: 3.2),
            ComputeLossPoint(compute: 4, loss: 2.95), ComputeLossPoint(compute: 5, loss: 2.5),
            ComputeLossPoint(compute: 6, loss: .nan),
        ]
        XCTAssertEqual(LossEnvelope.frontier(of: points).map(\.compute), [1, 2, 3, 5])
        XCTAssertEqual(LossEnvelope.frontier(of: points).map(\.loss), [3.5, 3.0, 2.9, 2.5])
    }

    func testPowerLawDataPrefersThePowerLawAndRecoversIt() throws {
        let truth = PowerLawEnvelope(coefficient: 2e5, exponent: 0.25, irreducibleLoss: 1.8)
        var generator = SeededGenerator(seed: 42)
        let points = computes.map { ComputeLossPoint(compute: $0, loss: truth.loss(atCompute: $0) + 0.002 * generator.nextGaussian()) }
        let comparison = try LossEnvelope.fit(points)
        XCTAssertEqual(comparison.better, .powerLaw)
        XCTAssertEqual(comparison.powerLaw.curve.exponent, 0.25, accuracy: 0.03)
        XCTAssertEqual(comparison.powerLaw.curve.irreducibleLoss, 1.8, accuracy: 0.1)
        XCTAssertLessThan(comparison.powerLaw.rootMeanSquareError, 0.003)
        XCTAssertGreaterThan(comparison.exponential.sumOfSquaredResiduals, 5 * comparison.powerLaw.sumOfSquaredResiduals)
        let mid = computes[15]
        XCTAssertEqual(comparison.powerLaw.curve.loss(atCompute: mid), truth.loss(atCompute: mid), accuracy: 0.003)
    }

    func testExponentialDataPrefersTheExponentialAndRecoversIt() throws {
        let linearComputes = (1...30).map { Double($0) * 1e19 }
        let truth = ExponentialEnvelope(coefficient: 1.5, rate: 1e-20, irreducibleLoss: 2.0)
        var generator = SeededGenerator(seed: 43)
        let points = linearComputes.map {
            ComputeLossPoint(compute: $0, loss: truth.loss(atCompute: $0) + 0.001 * generator.nextGaussian())
        }
        let comparison = try LossEnvelope.fit(points)
        XCTAssertEqual(comparison.better, .exponential)
        XCTAssertEqual(comparison.exponential.curve.rate, 1e-20, accuracy: 0.05e-20)
        XCTAssertEqual(comparison.exponential.curve.coefficient, 1.5, accuracy: 0.05)
        XCTAssertEqual(comparison.exponential.curve.irreducibleLoss, 2.0, accuracy: 0.01)
        XCTAssertEqual(comparison.exponential.residuals.count, 30)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try LossEnvelope.fit([ComputeLossPoint(compute: 1, loss: 1)]))
        let bad = [1.0, 2, 0, 4].map { ComputeLossPoint(compute: $0, loss: 3) }
        XCTAssertThrowsError(try LossEnvelope.fit(bad)) { error in
            XCTAssertEqual(error as? ScalingLawFitError, .invalidPoint(index: 2))
        }
    }
}

extension LossEnvelopeTests {
    /// The envelope of `L(N, D)` over model sizes at `C = 6ND` is `A·C^(−αβ/(α+β)) + L0` exactly
    /// (both terms scale alike at the optimum), so the power law must win with that exponent.
    func testEnvelopeOfTheJointLawIsAPowerLawWithExponentAlphaBetaOverAlphaPlusBeta() throws {
        let law = LossScalingLaw(modelCoefficient: 200, modelExponent: 0.29, dataCoefficient: 300, dataExponent: 0.23,
                                 irreducibleLoss: 1.7)
        var points: [ComputeLossPoint] = []
        for i in 0...60 {
            let n = 1e7 * pow(1e4, Double(i) / 60)
            for j in 0...60 {
                let d = 1e9 * pow(1e4, Double(j) / 60)
                points.append(ComputeLossPoint(compute: 6 * n * d, loss: law.loss(parameters: n, tokens: d)))
            }
        }
        let frontier = LossEnvelope.frontier(of: points).filter { $0.compute >= 1e19 && $0.compute <= 1e22 }
        XCTAssertGreaterThan(frontier.count, 20)
        let comparison = try LossEnvelope.fit(frontier)
        XCTAssertEqual(comparison.better, .powerLaw)
        XCTAssertEqual(comparison.powerLaw.curve.exponent, 0.29 * 0.23 / 0.52, accuracy: 0.01)
        XCTAssertEqual(comparison.powerLaw.curve.irreducibleLoss, 1.7, accuracy: 0.05)
    }
}
