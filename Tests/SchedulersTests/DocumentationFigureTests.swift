import Charts
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import Schedulers
import TestSupport

/// The figures and the example fit of `Docs/ComposingSchedules.md`.
///
/// Every run checks that the figures build; run with `SCHEDULERS_WRITE_FIGURES=1` to (re)write
/// them under `Docs/images/` and print the example fit's report:
///
/// ```
/// SCHEDULERS_WRITE_FIGURES=1 swift test --filter SchedulersTests.DocumentationFigureTests
/// ```
final class DocumentationFigureTests: XCTestCase {
    static let writeFigures = ProcessInfo.processInfo.environment["SCHEDULERS_WRITE_FIGURES"] != nil

    func save(_ chart: LineChart, as name: String) throws {
        let svg = chart.svg()
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "\(name) is well-formed")
        guard Self.writeFigures else { return }
        let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        try chart.write(to: images.appendingPathComponent(name))
    }

    func testWSDFigures() throws {
        // The worked example: the MiniCPM run's shape.
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000, decay: .exponential(halfLife: 5_000))
        let steps = ChartSeries.evenlySpacedSteps(through: 10_000, count: 501)
        try save(LineChart(title: "WSD: η = 0.01, W = 100, T = 8000, exponential decay (half-life 5000)",
                           series: [ChartSeries(name: "WSD", schedule: wsd, steps: steps)]), as: "wsd.svg")

        // The four decay shapes over the same 2000-step decay.
        let decays: [(String, any LearningRateSchedule)] = [
            ("exponential, half-life 500", WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                                                       decay: .exponential(halfLife: 500))),
            ("linear to 10 %", WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                                           decay: .linear(steps: 2_000, floor: 0.1))),
            ("cosine to 10 %", WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                                           decay: .cosine(steps: 2_000, floor: 0.1))),
            ("1 − sqrt to 10 %", WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000,
                                            decay: .oneMinusSquareRoot(steps: 2_000, floor: 0.1))),
        ]
        try save(LineChart(title: "WSD decay shapes (T = 8000, 2000 decay steps)",
                           series: decays.map { ChartSeries(name: $0.0, schedule: $0.1, steps: steps) }),
                 as: "wsd-decays.svg")

        // One stable run, three branches.
        let main = ConstantSchedule(learningRate: 0.01).warmingUp(over: 100)
        var series = [ChartSeries(name: "stable run", schedule: main, steps: steps)]
        for branch in [2_500, 5_000, 7_500] {
            let decayed = main.branchingDecay(at: branch, .linear(steps: branch / 10))
            let branchSteps = Array(stride(from: branch, through: branch + branch / 10, by: 5))
            series.append(ChartSeries(name: "branch at \(branch)", schedule: decayed, steps: branchSteps))
        }
        try save(LineChart(title: "Branching 10 % linear decays off one stable run", series: series), as: "wsd-branches.svg")

        // Appendix B.1's cosine schedules next to WSD.
        let cosineSteps = ChartSeries.evenlySpacedSteps(through: 12_000, count: 601)
        try save(LineChart(title: "Cosine(T) and CosineLoop(T) (Appendix B.1) and WSD", series: [
            ChartSeries(name: "Cosine(10000)", schedule: CosineSchedule(peak: 0.01, warmupSteps: 100, endStep: 10_000),
                        steps: cosineSteps),
            ChartSeries(name: "CosineLoop(4000)", schedule: CosineLoopSchedule(peak: 0.01, warmupSteps: 100, endStep: 4_000),
                        steps: cosineSteps),
            ChartSeries(name: "WSD(T = 9000, linear)", schedule: WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 9_000,
                                                                          decay: .linear(steps: 1_000, floor: 0.1)),
                        steps: cosineSteps),
        ]), as: "cosine.svg")
    }

    /// The example fit: a wind-tunnel grid from a known law with noise, fitted, plus the loss envelope.
    func testExampleFitAndEnvelope() throws {
        let truth = LossScalingLaw(modelCoefficient: 200, modelExponent: 0.29, dataCoefficient: 300, dataExponent: 0.23,
                                   irreducibleLoss: 1.7)
        var generator = SeededGenerator(seed: 2_404_06395)
        var observations: [LossObservation] = []
        for n in [9e6, 3e7, 1e8, 3e8] {
            for d in [1e9, 3e9, 1e10, 3e10, 1e11] {
                observations.append(LossObservation(parameters: n, tokens: d,
                                                    loss: truth.loss(parameters: n, tokens: d) + 0.004 * generator.nextGaussian()))
            }
        }
        let fit = try LossScalingLaw.fit(observations)
        XCTAssertEqual(fit.law.modelExponent, 0.29, accuracy: 0.05)
        XCTAssertEqual(fit.law.dataExponent, 0.23, accuracy: 0.05)
        if Self.writeFigures {
            print(fit.report)
            for compute in [1e20, 1e22, 1e24] {
                print(String(format: "C = %.0e: N_opt = %.3g, D_opt = %.3g, D/N = %.1f, fitted D/N = %.1f", compute,
                             truth.optimalParameters(forCompute: compute), truth.optimalTokens(forCompute: compute),
                             truth.optimalTokensPerParameter(forCompute: compute),
                             fit.law.optimalTokensPerParameter(forCompute: compute)))
            }
        }

        // Loss against compute C = 6 N D for each model size; the envelope is their lower frontier.
        var curves: [ChartSeries] = []
        var all: [ComputeLossPoint] = []
        for n in [3e7, 1e8, 3e8, 1e9] {
            let points = (0...40).map { i -> ComputeLossPoint in
                let d = 1e9 * pow(1e4, Double(i) / 40)
                return ComputeLossPoint(compute: 6 * n * d, loss: truth.loss(parameters: n, tokens: d))
            }
            all += points
            curves.append(ChartSeries(name: String(format: "N = %.0e", n), points: points.map { .init(x: $0.compute, y: $0.loss) }))
        }
        let frontier = LossEnvelope.frontier(of: all)
        let comparison = try LossEnvelope.fit(frontier)
        XCTAssertEqual(comparison.better, .powerLaw)
        if Self.writeFigures {
            let p = comparison.powerLaw, e = comparison.exponential
            print(String(format: "power law: %.4g·C^(−%.4f) + %.4f, RMSE %.4g", p.curve.coefficient, p.curve.exponent,
                         p.curve.irreducibleLoss, p.rootMeanSquareError))
            print(String(format: "exponential: %.4g·e^(−%.4g·C) + %.4f, RMSE %.4g", e.curve.coefficient, e.curve.rate,
                         e.curve.irreducibleLoss, e.rootMeanSquareError))
        }
        let grid = (0...60).map { frontier.first!.compute * pow(frontier.last!.compute / frontier.first!.compute, Double($0) / 60) }
        curves.append(ChartSeries(name: "envelope (frontier)", points: frontier.map { .init(x: $0.compute, y: $0.loss) },
                                  style: .markers))
        curves.append(ChartSeries(name: "power-law fit", points: grid.map {
            .init(x: $0, y: comparison.powerLaw.curve.loss(atCompute: $0))
        }))
        curves.append(ChartSeries(name: "exponential fit", points: grid.map {
            .init(x: $0, y: comparison.exponential.curve.loss(atCompute: $0))
        }))
        try save(LineChart(title: "Loss envelope over model sizes: power law vs exponential", xLabel: "compute C = 6ND (FLOPs)",
                           yLabel: "loss", series: curves, xScale: .logarithmic, yIncludesZero: false),
                 as: "loss-envelope.svg")
    }
}
