import Charts
import Foundation
import TestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif
import Schedulers
import XCTest

/// Runs the snippets of `Docs/ComposingSchedules.md` (`Snippets/ComposingSchedules.swift`) and checks
/// them against the formulas, tables and printed results of the page itself.
final class SchedulerSnippetTests: SnippetTestCase {
    static let page = "Docs/ComposingSchedules.md"

    func testWorkedWSDExampleMatchesTheTable() throws {
        let wsd = ComposingSchedules.workedWSDExample()
        // The table's formulas, evaluated here.
        let formulas: [Int: Double] = [
            0: 0.01 * 1 / 100, 49: 0.01 * 50 / 100, 99: 0.01, 4_000: 0.01, 8_000: 0.01,
            8_001: 0.01 * pow(0.5, 1.0 / 5_000), 10_000: 0.01 * pow(0.5, 0.4), 13_000: 0.005, 18_000: 0.0025,
        ]
        for (step, rate) in formulas {
            XCTAssertEqual(wsd.learningRate(atStep: step), rate, accuracy: 1e-15, "step \(step)")
        }
        // The table as printed: its steps, and the value after the last "=" or "≈" of each row.
        let rows = try documentationTable(Self.page, headerStartingWith: "| step  | phase")
        XCTAssertEqual(rows.map { Int($0[0])! }.sorted(), formulas.keys.sorted())
        for row in rows {
            let printed = row[2].components(separatedBy: CharacterSet(charactersIn: "=≈")).last!
                .trimmingCharacters(in: .whitespaces)
            assertPrinted(wsd.learningRate(atStep: Int(row[0])!), printed, "step \(row[0])")
        }
        // Warmup multiplies by (step + 1)/W; the decay halves the rate every 5000 steps after T.
        for step in 0..<100 { XCTAssertEqual(wsd.learningRate(atStep: step), 0.01 * Double(step + 1) / 100, accuracy: 1e-15) }
        for step in stride(from: 8_000, through: 30_000, by: 250) {
            XCTAssertEqual(wsd.learningRate(atStep: step), 0.01 * pow(0.5, Double(step - 8_000) / 5_000), accuracy: 1e-15)
        }
        XCTAssertNil(wsd.decayEnd, "an exponential decay without a floor never ends")
        XCTAssertEqual(wsd.learningRate(atStep: -5), wsd.learningRate(atStep: 0), "negative steps are step 0")
    }

    func testWSDIsAComposition() {
        let wsd = ComposingSchedules.workedWSDExample()
        let composed = ComposingSchedules.wsdAsAComposition()
        for step in 0...20_000 {
            XCTAssertEqual(composed.learningRate(atStep: step), wsd.learningRate(atStep: step), "step \(step)")
        }
        XCTAssertNil(composed.decayEnd)
    }

    func testJoinedPhasesCountStepsFromTheirBoundary() {
        let (pretraining, fineTuning, schedule) = ComposingSchedules.pretrainingThenFineTuning()
        for step in 0..<9_000 {
            XCTAssertEqual(schedule.learningRate(atStep: step), pretraining.learningRate(atStep: step), "step \(step)")
        }
        for step in 0...3_000 {
            XCTAssertEqual(schedule.learningRate(atStep: 9_000 + step), max(fineTuning.learningRate(atStep: step), 1e-5),
                           "fine-tuning step \(step)")
        }
        // Pre-training: linear decay over 1000 steps to 10 %, halfway at 8500; fine-tuning warms up
        // from its own step 0 (a discontinuity, as the page says) and ends at 0.1 of its peak.
        XCTAssertEqual(schedule.learningRate(atStep: 8_500), 0.01 * (0.1 + 0.9 * 0.5), accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(atStep: 8_999), 0.01 * (0.1 + 0.9 * 0.001), accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(atStep: 9_000), 0.001 / 50, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(atStep: 9_049), 0.001, accuracy: 1e-15)
        XCTAssertEqual(schedule.learningRate(atStep: 11_000), 0.0001, accuracy: 1e-15)
        XCTAssertTrue((0...12_000).allSatisfy { schedule.learningRate(atStep: $0) >= 1e-5 }, "never below 1e-5")
    }

    func testBranchesFromTheStableRun() {
        let (main, branches, rate, end) = ComposingSchedules.branchingDecays()
        XCTAssertEqual(rate, 0.005, accuracy: 1e-15)
        XCTAssertEqual(end, 5_500)
        XCTAssertEqual(branches.map(\.decayEnd), [2_750, 5_500, 8_250])
        for (branch, S) in zip(branches, [2_500, 5_000, 7_500]) {
            // Branching at a stable step S is the WSD schedule with stableEnd S, at every step.
            let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: S, decay: .linear(steps: S / 10))
            for step in 0...9_000 {
                XCTAssertEqual(branch.learningRate(atStep: step), wsd.learningRate(atStep: step), "S = \(S), step \(step)")
            }
            XCTAssertEqual(branch.learningRate(atStep: S - 1), main.learningRate(atStep: S - 1))
            XCTAssertEqual(branch.learningRate(atStep: S + S / 10), 0)
        }
    }

    func testCosineSchedulesFollowTheStatedFormula() {
        let (cosine, loop) = ComposingSchedules.cosineSchedules()
        // lr(s) = 0.1η + 0.9η · (1 + cos(π (s − W)/(T − W))) / 2 for W ≤ s ≤ T.
        func formula(_ s: Int, warmup W: Int, end T: Int) -> Double {
            0.1 * 0.01 + 0.9 * 0.01 * (1 + cos(Double.pi * Double(s - W) / Double(T - W))) / 2
        }
        for s in stride(from: 100, through: 10_000, by: 7) {
            XCTAssertEqual(cosine.learningRate(atStep: s), formula(s, warmup: 100, end: 10_000), accuracy: 1e-15)
        }
        XCTAssertEqual(cosine.learningRate(atStep: 0), 0.0001, accuracy: 1e-15, "warmup before the cosine")
        XCTAssertEqual(cosine.learningRate(atStep: 100), 0.01, accuracy: 1e-15, "η where the cosine starts")
        XCTAssertEqual(cosine.learningRate(atStep: 5_050), 0.0055, accuracy: 1e-15, "0.55η halfway")
        XCTAssertEqual(cosine.learningRate(atStep: 10_000), 0.001, accuracy: 1e-15, "0.1η at T")
        XCTAssertEqual(cosine.learningRate(atStep: 50_000), 0.001, accuracy: 1e-15, "then holds 0.1η")

        for s in stride(from: 100, through: 4_000, by: 3) {
            XCTAssertEqual(loop.learningRate(atStep: s), formula(s, warmup: 100, end: 4_000), accuracy: 1e-15)
        }
        XCTAssertEqual(loop.period, 2 * (4_000 - 100))
        XCTAssertEqual(loop.learningRate(atStep: 4_000), 0.001, accuracy: 1e-15)
        XCTAssertEqual(loop.learningRate(atStep: 2 * 4_000 - 100), 0.01, accuracy: 1e-15, "back up to η at 2T − W")
        for s in stride(from: 100, through: 12_000, by: 11) {
            // Continuing the same formula past T.
            XCTAssertEqual(loop.learningRate(atStep: s), formula(s, warmup: 100, end: 4_000), accuracy: 1e-15)
            XCTAssertEqual(loop.learningRate(atStep: s + loop.period), loop.learningRate(atStep: s), accuracy: 1e-15)
        }
    }

    func testBatchSizes() {
        let (batch, tokens, consumed) = ComposingSchedules.batchSizes()
        XCTAssertEqual(tokens, 4_000_000)
        XCTAssertEqual(consumed, 2_000_000 * 10_000 + 4_000_000 * 2_000)
        XCTAssertEqual(batch.batchSize(atStep: 9_999), 2_000_000)
        // The closed form agrees with summing step by step.
        XCTAssertEqual(consumed, (0..<12_000).reduce(0) { $0 + batch.batchSize(atStep: $1) })
    }

    func testBatchSizeLaw() {
        let (law, batchSize, loss) = ComposingSchedules.batchSizeLaw()
        // bs = 1.21 × 10⁹ / L^6.24
        XCTAssertEqual(batchSize, 1.21e9 / pow(2.5, 6.24), accuracy: 1e-6)
        assertPrinted(batchSize / 1e6, "3.98", "M tokens")
        XCTAssertEqual(loss, pow(1.21e9 / 4e6, 1 / 6.24), accuracy: 1e-12)
        assertPrinted(loss, "2.498")
        XCTAssertEqual(law.optimalBatchSize(forLoss: loss), 4_000_000, accuracy: 1e-3, "4M is optimal at that loss")
    }

    func testCSVAndSVGExport() throws {
        let directory = try enterTemporaryDirectory()
        let wsd = ComposingSchedules.workedWSDExample()
        let (steps, series) = try ComposingSchedules.export(wsd)
        XCTAssertEqual(steps.count, 501)
        XCTAssertEqual(steps.first, 0)
        XCTAssertEqual(steps.last, 10_000, "both ends")
        XCTAssertEqual(steps, Array(stride(from: 0, through: 10_000, by: 20)))
        XCTAssertEqual(series.points.map(\.y), steps.map { wsd.learningRate(atStep: $0) })

        // CSV: a header, then one row per step whose number reads back exactly.
        let csv = try String(contentsOf: directory.appendingPathComponent("wsd.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasSuffix("\n"))
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.first, ["step", "WSD"])
        XCTAssertEqual(rows.count, 502)
        XCTAssertEqual(rows[1], ["0", "0.0001"])
        for (row, step) in zip(rows.dropFirst(), steps) {
            XCTAssertEqual(row.count, 2)
            XCTAssertEqual(Int(row[0]), step)
            XCTAssertEqual(Double(row[1]), wsd.learningRate(atStep: step), "shortest round-trip form, step \(step)")
        }

        // SVG: well-formed, the title, one polyline of 501 points whose heights are the rates.
        let svg = try Data(contentsOf: directory.appendingPathComponent("wsd.svg"))
        let reader = SVGReader()
        let parser = XMLParser(data: svg)
        parser.delegate = reader
        XCTAssertTrue(parser.parse(), "wsd.svg is well-formed XML")
        XCTAssertEqual(reader.root, "svg")
        XCTAssertTrue(reader.texts.contains("WSD"), "the title")
        XCTAssertEqual(reader.polylines.count, 1)
        let points = reader.polylines[0]
        XCTAssertEqual(points.count, 501)
        XCTAssertEqual(points.map(\.x), points.map(\.x).sorted(), "steps left to right")
        // y grows downwards: a rate maps linearly to y, the peak to the top of the line.
        let rates = series.points.map(\.y)
        let (top, bottom) = (points[rates.firstIndex(of: 0.01)!].y, points[0].y)
        for (point, rate) in zip(points, rates) {
            let expected = bottom + (top - bottom) * (rate - rates[0]) / (0.01 - rates[0])
            XCTAssertEqual(point.y, expected, accuracy: 0.02, "pixel coordinates are printed to 0.01")
        }
        XCTAssertLessThan(top, bottom)
    }

    func testScalingLawFitPrintsTheReportOfThePage() throws {
        let (fit, output) = try capturingStandardOutput { try ComposingSchedules.fitting(Self.exampleObservations()) }
        XCTAssertEqual(output, fit.report + "\n")
        // The page prints the report's first lines and rows; "…" stands for the remaining rows.
        let printed = try documentationBlock(Self.page, startingWith: "L(N, D) = C_N·N^(−α)")
        let report = fit.report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(printed.last?.trimmingCharacters(in: .whitespaces), "…")
        XCTAssertEqual(Array(report.prefix(printed.count - 1)), Array(printed.dropLast()))
        XCTAssertEqual(report.count, 8 + 20, "a row per observation")
        XCTAssertTrue(fit.converged)
        // The fit recovers the law the data came from.
        XCTAssertEqual(fit.law.modelExponent, 0.29, accuracy: 0.01)
        XCTAssertEqual(fit.law.dataExponent, 0.23, accuracy: 0.01)
        XCTAssertEqual(fit.law.irreducibleLoss, 1.7, accuracy: 0.05)
        XCTAssertEqual(fit.residuals.count, 20)
        XCTAssertLessThan(fit.rootMeanSquareError, 0.004 * 1.5, "noise of σ = 0.004")
    }

    func testComputeOptimalAllocationMatchesTheTable() throws {
        let fit = try LossScalingLaw.fit(Self.exampleObservations())
        let (k, eta, ratio, tokensPerParameter, parameters, tokens) = ComposingSchedules.computeOptimalAllocation(fit)
        // K = (α C_N / (β C_D))^(1/(α+β)), η = (β − α)/(α + β), as the report prints them.
        let law = fit.law
        let (a, b) = (law.modelExponent, law.dataExponent)
        XCTAssertEqual(k, pow(a * law.modelCoefficient / (b * law.dataCoefficient), 1 / (a + b)), accuracy: 1e-12)
        XCTAssertEqual(eta, (b - a) / (a + b), accuracy: 1e-15)
        assertPrinted(k, "0.772801")
        assertPrinted(eta, "-0.119282")
        // N_opt / D_opt = K² · (C/6)^η, and the optimum spends the compute: C = 6 N D.
        XCTAssertEqual(ratio, k * k * pow(1e22 / 6, eta), accuracy: 1e-12 * ratio)
        XCTAssertEqual(tokensPerParameter, 1 / ratio, accuracy: 1e-12 * tokensPerParameter)
        XCTAssertEqual(parameters / tokens, ratio, accuracy: 1e-9 * ratio)
        XCTAssertEqual(6 * parameters * tokens, 1e22, accuracy: 1e-9 * 1e22)
        // The optimum minimises the law along C = 6 N D.
        let optimum = law.loss(parameters: parameters, tokens: tokens)
        for factor in [0.8, 0.95, 1.05, 1.25] {
            XCTAssertLessThan(optimum, law.loss(parameters: parameters * factor, tokens: tokens / factor))
        }
        // The paper's averaged exponents: η = (0.23 − 0.29)/0.52 = −0.115.
        assertPrinted((0.23 - 0.29) / 0.52, "-0.115")

        // The table: the example (true) law's optimum, and the data-to-model ratio of both laws.
        let rows = try documentationTable(Self.page, headerStartingWith: "| compute C | N_opt")
        XCTAssertEqual(rows.count, 3)
        for row in rows {
            let compute = Double(row[0])!
            assertPrinted(Self.truth.optimalParameters(forCompute: compute), row[1], "N_opt at \(row[0])")
            assertPrinted(Self.truth.optimalTokens(forCompute: compute), row[2], "D_opt at \(row[0])")
            assertPrinted(Self.truth.optimalTokensPerParameter(forCompute: compute), row[3], "true D/N at \(row[0])")
            assertPrinted(law.optimalTokensPerParameter(forCompute: compute), row[4], "fitted D/N at \(row[0])")
        }
        assertPrinted(tokensPerParameter, rows[1][4])
    }

    func testLossEnvelopePrefersThePowerLaw() throws {
        // Curves for four model sizes against C = 6ND, as the page's figure draws them.
        var allPoints: [ComputeLossPoint] = []
        for n in [3e7, 1e8, 3e8, 1e9] {
            allPoints += (0...40).map { i in
                let d = 1e9 * pow(1e4, Double(i) / 40)
                return ComputeLossPoint(compute: 6 * n * d, loss: Self.truth.loss(parameters: n, tokens: d))
            }
        }
        let (envelope, comparison, better, curve, exponentialRMSE) = try ComposingSchedules.lossEnvelope(allPoints)
        // The frontier: compute increasing, loss decreasing, and no point of any run below it.
        XCTAssertFalse(envelope.isEmpty)
        XCTAssertTrue(zip(envelope, envelope.dropFirst()).allSatisfy { $0.compute < $1.compute && $0.loss > $1.loss })
        for point in allPoints {
            let reached = envelope.filter { $0.compute <= point.compute }.map(\.loss).min() ?? .infinity
            XCTAssertLessThanOrEqual(reached, point.loss)
        }
        XCTAssertEqual(better, .powerLaw)
        XCTAssertEqual(curve, comparison.powerLaw.curve)
        XCTAssertGreaterThan(exponentialRMSE, 10 * comparison.powerLaw.rootMeanSquareError)

        // The fits as the page prints them.
        let lines = try documentationBlock(Self.page, startingWith: "power law:")
        XCTAssertEqual(lines.count, 2)
        let power = printedNumbers(in: lines[0]), exponential = printedNumbers(in: lines[1])
        XCTAssertEqual(power.count, 4)
        XCTAssertEqual(exponential.count, 4)
        assertPrinted(curve.coefficient, power[0], "power-law coefficient")
        assertPrinted(curve.exponent, power[1], "power-law exponent")
        assertPrinted(curve.irreducibleLoss, power[2], "power-law L0")
        assertPrinted(comparison.powerLaw.rootMeanSquareError, power[3], "power-law RMSE")
        let fitted = comparison.exponential.curve
        assertPrinted(fitted.coefficient, exponential[0], "exponential coefficient")
        assertPrinted(fitted.rate, exponential[1], "exponential rate")
        assertPrinted(fitted.irreducibleLoss, exponential[2], "exponential L0")
        assertPrinted(exponentialRMSE, exponential[3], "exponential RMSE")
    }

    // MARK: The page's example data

    /// The example law: C_N = 200, α = 0.29, C_D = 300, β = 0.23, L0 = 1.7.
    static let truth = LossScalingLaw(modelCoefficient: 200, modelExponent: 0.29, dataCoefficient: 300,
                                      dataExponent: 0.23, irreducibleLoss: 1.7)

    /// The wind-tunnel grid: 4 model sizes (9M–300M) × 5 data sizes (1B–100B tokens) from the example
    /// law plus noise of σ = 0.004 (the data of `SchedulersTests.DocumentationFigureTests`).
    static func exampleObservations() -> [LossObservation] {
        var generator = SeededGenerator(seed: 2_404_06395)
        var observations: [LossObservation] = []
        for n in [9e6, 3e7, 1e8, 3e8] {
            for d in [1e9, 3e9, 1e10, 3e10, 1e11] {
                observations.append(LossObservation(parameters: n, tokens: d,
                                                    loss: truth.loss(parameters: n, tokens: d) + 0.004 * generator.nextGaussian()))
            }
        }
        return observations
    }
}

/// Collects the root element, text and polyline points of an SVG file.
private final class SVGReader: NSObject, XMLParserDelegate {
    var root: String?
    var texts: [String] = []
    var polylines: [[(x: Double, y: Double)]] = []
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        text = ""
        if name == "polyline", let points = attributes["points"] {
            polylines.append(points.split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            })
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" || name == "title" { texts.append(text) }
        text = ""
    }
}
