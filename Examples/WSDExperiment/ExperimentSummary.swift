import Charts
import Foundation
import Training

/// The experiment's findings: the final held-out losses at equal tokens, the figures and a JSON
/// record.
struct ExperimentSummary {
    struct Row: Codable {
        var totalSteps: Int
        var tokens: Int
        var stableAtLongBranch: Double?
        var longBranch: Int
        var wsdLong: Double?
        var shortBranch: Int
        var wsdShort: Double?
        var cosine: Double?
    }

    let rows: [Row]
    let runner: ExperimentRunner
    let plan: ExperimentPlan

    init(plan: ExperimentPlan, runner: ExperimentRunner) throws {
        self.plan = plan
        self.runner = runner
        let results = runner.results
        let tokensPerStep = (runner.base.batchTokens / runner.base.data.sequenceLength) * runner.base.data.sequenceLength
        rows = plan.points.map { point in
            let long = ExperimentRunner.decayName(from: point.longBranch, steps: point.total - point.longBranch)
            let short = ExperimentRunner.decayName(from: point.shortBranch, steps: point.total - point.shortBranch)
            return Row(totalSteps: point.total, tokens: point.total * tokensPerStep,
                       stableAtLongBranch: results[long]?.first(where: { $0.step == point.longBranch })?.lossPerToken,
                       longBranch: point.longBranch, wsdLong: results[long]?.last?.lossPerToken,
                       shortBranch: point.shortBranch, wsdShort: results[short]?.last?.lossPerToken,
                       cosine: results[ExperimentRunner.cosineName(length: point.total)]?.last?.lossPerToken)
        }
    }

    var markdownTable: String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "–" }
        var lines = [
            "| N (steps) | tokens | stable at S (no decay) | WSD(S, \(Int(plan.longDecay * 100)) %) | WSD(N − \(plan.shortDecay * 100) %, \(plan.shortDecay * 100) %) | Cosine(N) |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            lines.append("| \(r.totalSteps) | \(r.tokens) | \(f(r.stableAtLongBranch)) (S = \(r.longBranch)) | \(f(r.wsdLong)) | \(f(r.wsdShort)) (from \(r.shortBranch)) | \(f(r.cosine)) |")
        }
        return lines.joined(separator: "\n")
    }

    func write(to root: URL) throws {
        let results = runner.results
        // The first evaluations (loss near ln V) would squeeze the decays' drops into a few pixels.
        let firstStep = (plan.points.first?.longBranch ?? 0) / 2
        func points(_ name: String) -> [ChartPoint] {
            (results[name] ?? []).filter { $0.step >= firstStep }.map { ChartPoint(x: Double($0.step), y: $0.lossPerToken) }
        }
        // Figure 5 of the paper: the stable run and the sharp drop of each decay branched from it.
        var branches = [ChartSeries(name: "stable (constant rate)", points: points(ExperimentRunner.stableName))]
        for point in plan.points {
            branches.append(ChartSeries(name: "WSD(\(point.longBranch), \(point.total - point.longBranch))",
                                        points: points(ExperimentRunner.decayName(from: point.longBranch, steps: point.total - point.longBranch))))
            branches.append(ChartSeries(name: "WSD(\(point.shortBranch), \(point.total - point.shortBranch))",
                                        points: points(ExperimentRunner.decayName(from: point.shortBranch, steps: point.total - point.shortBranch))))
        }
        try LineChart(title: "Decays branched from one stable run", xLabel: "step", yLabel: "held-out loss (nats/token)",
                      series: branches, yIncludesZero: false).write(to: root.appendingPathComponent("wsd-branches.svg"))

        // Figure 4: Cosine(N) against WSD at the same N.
        var cosine = [ChartSeries(name: "stable (constant rate)", points: points(ExperimentRunner.stableName))]
        for point in plan.points {
            cosine.append(ChartSeries(name: "Cosine(\(point.total))", points: points(ExperimentRunner.cosineName(length: point.total))))
            cosine.append(ChartSeries(name: "WSD(\(point.longBranch), \(point.total - point.longBranch))",
                                      points: points(ExperimentRunner.decayName(from: point.longBranch, steps: point.total - point.longBranch))))
        }
        try LineChart(title: "Cosine(T) vs WSD at equal steps", xLabel: "step", yLabel: "held-out loss (nats/token)",
                      series: cosine, yIncludesZero: false).write(to: root.appendingPathComponent("wsd-vs-cosine.svg"))

        // The final losses against tokens.
        func final(_ key: KeyPath<Row, Double?>, _ name: String) -> ChartSeries {
            ChartSeries(name: name, points: rows.compactMap { r in r[keyPath: key].map { ChartPoint(x: Double(r.tokens), y: $0) } })
        }
        try LineChart(title: "Final held-out loss at equal tokens", xLabel: "tokens", yLabel: "held-out loss (nats/token)",
                      series: [final(\.cosine, "Cosine(N)"), final(\.wsdLong, "WSD, \(Int(plan.longDecay * 100)) % decay"),
                               final(\.wsdShort, "WSD, \(plan.shortDecay * 100) % decay"), final(\.stableAtLongBranch, "stable at S, no decay")],
                      xScale: .logarithmic, yIncludesZero: false).write(to: root.appendingPathComponent("final-loss.svg"))

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let document: [String: AnyEncodable] = [
            "rows": AnyEncodable(rows),
            "seconds_per_step": AnyEncodable(runner.secondsPerStep),
            "evaluations": AnyEncodable(results.mapValues { $0.map { [Double($0.step), $0.lossPerToken] } }),
        ]
        try encoder.encode(document).write(to: root.appendingPathComponent("summary.json"), options: .atomic)
        try Data((markdownTable + "\n").utf8).write(to: root.appendingPathComponent("summary.md"), options: .atomic)
    }
}

/// An encodable value of any type, for a JSON object with mixed members.
struct AnyEncodable: Encodable {
    let encodeValue: (Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = { try value.encode(to: $0) } }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}
