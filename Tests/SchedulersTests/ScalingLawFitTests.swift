import Foundation
import XCTest
import Schedulers
import TestSupport

final class ScalingLawFitTests: XCTestCase {
    let truth = LossScalingLaw(modelCoefficient: 200, modelExponent: 0.29, dataCoefficient: 300, dataExponent: 0.23,
                               irreducibleLoss: 1.7)

    /// A wind-tunnel-like grid: 8 model sizes (10M–3B) × 8 data sizes (1B–1T tokens).
    func observations(noise: Double, seed: UInt64) -> [LossObservation] {
        var generator = SeededGenerator(seed: seed)
        var result: [LossObservation] = []
        for i in 0..<8 {
            for j in 0..<8 {
                let n = 1e7 * pow(300, Double(i) / 7), d = 1e9 * pow(1_000, Double(j) / 7)
                let loss = truth.loss(parameters: n, tokens: d) + noise * generator.nextGaussian()
                result.append(LossObservation(parameters: n, tokens: d, loss: loss))
            }
        }
        return result
    }

    func testRecoversTheParametersFromExactData() throws {
        let fit = try LossScalingLaw.fit(observations(noise: 0, seed: 1))
        XCTAssertEqual(fit.law.modelExponent, 0.29, accuracy: 1e-5)
        XCTAssertEqual(fit.law.dataExponent, 0.23, accuracy: 1e-5)
        XCTAssertEqual(fit.law.irreducibleLoss, 1.7, accuracy: 1e-5)
        XCTAssertEqual(fit.law.modelCoefficient, 200, accuracy: 200 * 1e-3)
        XCTAssertEqual(fit.law.dataCoefficient, 300, accuracy: 300 * 1e-3)
        XCTAssertLessThan(fit.rootMeanSquareError, 1e-8)
    }

    func testRecoversTheParametersFromNoisyData() throws {
        let sigma = 0.003
        let data = observations(noise: sigma, seed: 20_240_406)
        let fit = try LossScalingLaw.fit(data)
        XCTAssertEqual(fit.law.modelExponent, 0.29, accuracy: 0.02)
        XCTAssertEqual(fit.law.dataExponent, 0.23, accuracy: 0.02)
        XCTAssertEqual(fit.law.irreducibleLoss, 1.7, accuracy: 0.05)
        XCTAssertEqual(fit.law.allocationExponent, truth.allocationExponent, accuracy: 0.03)
        // The residuals are the noise: RMSE close to σ, R² close to 1.
        XCTAssertEqual(fit.residuals.count, data.count)
        XCTAssertEqual(fit.rootMeanSquareError, sigma, accuracy: sigma * 0.35)
        XCTAssertGreaterThan(fit.rSquared, 0.999)
        for (observation, residual) in zip(fit.observations, fit.residuals) {
            assertClose(observation.loss - fit.law.loss(parameters: observation.parameters, tokens: observation.tokens),
                        residual, relative: 1e-6)
        }
        // The fit predicts a held-out, larger run well.
        let held = truth.loss(parameters: 1e10, tokens: 2e12)
        XCTAssertEqual(fit.law.loss(parameters: 1e10, tokens: 2e12), held, accuracy: 0.02)
    }

    func testReportListsParametersAndResiduals() throws {
        let fit = try LossScalingLaw.fit(observations(noise: 0.001, seed: 7))
        let report = fit.report
        XCTAssertTrue(report.contains("α = 0.2"), report)
        XCTAssertTrue(report.contains("η = (β − α)/(α + β)"), report)
        XCTAssertEqual(report.split(separator: "\n", omittingEmptySubsequences: false).count, 8 + 64)
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try LossScalingLaw.fit(Array(observations(noise: 0, seed: 1).prefix(5)))) { error in
            XCTAssertEqual(error as? ScalingLawFitError, .tooFewPoints(count: 5, required: 6))
        }
        var data = observations(noise: 0, seed: 1)
        data[3].tokens = 0
        XCTAssertThrowsError(try LossScalingLaw.fit(data)) { error in
            XCTAssertEqual(error as? ScalingLawFitError, .invalidPoint(index: 3))
        }
    }
}
