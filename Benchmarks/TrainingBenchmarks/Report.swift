import BenchmarkSupport
import Foundation

/// Swift against PyTorch at one thread count.
struct ConfigurationResult: Codable {
    var threads: Int
    var swift: [RunResult]
    var pytorch: [RunResult]
    /// Tokens per step over the median of every timed step of every run.
    var swiftTokensPerSecond: Double
    var pytorchTokensPerSecond: Double?
    /// Swift / PyTorch tokens/s (the issue's goal: at least 1.5).
    var ratio: Double?
    var swiftPeakBytes: Int?
    var pytorchPeakBytes: Int?
    /// Raw sgemm at the step's FFN shape, and the tokens/s a step would reach if all of its FLOPs
    /// ran at that rate (the roofline), with Swift's fraction of it.
    var sgemmGFLOPS: Double?
    var rooflineTokensPerSecond: Double?
    var swiftFractionOfRoofline: Double?
    /// Whether every Swift run computed bit-identical losses (same inputs, same thread count).
    var swiftLossesIdentical: Bool
    var breakdown: [BreakdownEntry]?

    init(threads: Int, swift: [RunResult], pytorch: [RunResult], cost: StepCost, tokensPerStep: Int) {
        self.threads = threads
        self.swift = swift
        self.pytorch = pytorch
        func tokensPerSecond(_ runs: [RunResult]) -> Double? {
            let steps = runs.flatMap { $0.steps.map(\.seconds) }
            return steps.isEmpty ? nil : Double(tokensPerStep) / median(steps)
        }
        let swiftRate = tokensPerSecond(swift) ?? 0, torchRate = tokensPerSecond(pytorch)
        swiftTokensPerSecond = swiftRate
        pytorchTokensPerSecond = torchRate
        ratio = torchRate.map { swiftRate / $0 }
        swiftPeakBytes = swift.compactMap(\.peakBytes).max()
        pytorchPeakBytes = pytorch.compactMap(\.peakBytes).max()
        sgemmGFLOPS = swift.compactMap(\.sgemmGFLOPS).max()
        if let sgemmGFLOPS {
            let roofline = sgemmGFLOPS * 1e9 / (cost.totalFLOPs / Double(tokensPerStep))
            rooflineTokensPerSecond = roofline
            swiftFractionOfRoofline = swiftRate / roofline
        }
        let losses = swift.map { $0.steps.map { $0.loss.bitPattern } }
        swiftLossesIdentical = losses.allSatisfy { $0 == losses.first }
        breakdown = swift.first(where: { $0.breakdown != nil })?.breakdown
    }
}

struct TrainingReport: Codable {
    var machine: MachineInfo
    var shape: String
    var batch: Int
    var sequence: Int
    var cost: StepCost
    var torchVersion: String?
    var configurations: [ConfigurationResult]

    func markdown() -> String {
        func mib(_ bytes: Int?) -> String { bytes.map { format(Double($0) / 1_048_576, 0) } ?? "–" }
        func value(_ x: Double?, _ digits: Int) -> String { x.map { format($0, digits) } ?? "–" }
        var out: [String] = []
        out.append(markdownTable(
            ["threads", "Swift tokens/s", "PyTorch tokens/s", "Swift / PyTorch", "Swift peak MiB", "PyTorch peak MiB",
             "sgemm GFLOP/s", "roofline tokens/s", "Swift / roofline"],
            configurations.map { c in
                [String(c.threads), format(c.swiftTokensPerSecond, 1), value(c.pytorchTokensPerSecond, 1),
                 c.ratio.map { format($0, 2) + "×" } ?? "–", mib(c.swiftPeakBytes), mib(c.pytorchPeakBytes),
                 value(c.sgemmGFLOPS, 1), value(c.rooflineTokensPerSecond, 0),
                 c.swiftFractionOfRoofline.map { format($0 * 100, 0) + " %" } ?? "–"]
            }, numeric: Set(0...8)))
        out.append("")
        out.append("Median step phases (seconds):\n")
        var rows: [[String]] = []
        for c in configurations {
            for (name, runs) in [("Swift", c.swift), ("PyTorch", c.pytorch)] where !runs.isEmpty {
                let steps = runs.flatMap(\.steps)
                let kernel = steps.compactMap(\.systemSeconds), faults = steps.compactMap(\.minorFaults)
                rows.append([String(c.threads), name, format(median(steps.map(\.forward)), 2),
                             format(median(steps.map(\.backward)), 2), format(median(steps.map(\.optimizer)), 2),
                             format(median(steps.map(\.seconds)), 2),
                             kernel.isEmpty ? "–" : format(median(kernel), 2),
                             faults.isEmpty ? "–" : String(Int(median(faults.map(Double.init)))),
                             steps.map { format($0.loss, 4) }.joined(separator: ", ")])
            }
        }
        out.append(markdownTable(["threads", "implementation", "forward", "backward", "AdamW", "step",
                                  "kernel CPU", "page faults", "losses"], rows, numeric: Set(0...7)))
        for c in configurations {
            guard let breakdown = c.breakdown, let run = c.swift.first else { continue }
            let measured = median(c.swift.flatMap { $0.steps.map(\.seconds) })
            let covered = breakdown.reduce(0) { $0 + $1.seconds }
            out.append("\nWhere a Swift step's \(format(measured, 2)) s go at \(c.threads) thread(s) " +
                       "(operations timed in isolation at the step's shapes, × their count per step):\n")
            var body = breakdown.map { [$0.part, format($0.seconds, 2), format($0.seconds / measured * 100, 1) + " %"] }
            body.append(["rest of the step (autograd walk, reshapes; negative: isolated runs were slower)",
                         format(measured - covered, 2),
                         format((measured - covered) / measured * 100, 1) + " %"])
            out.append(markdownTable(["part", "seconds / step", "share"], body, numeric: [1, 2]))
            let kernel = run.steps.compactMap(\.systemSeconds)
            if !kernel.isEmpty {
                out.append("\nAllocation: \(format(median(kernel), 2)) s of kernel CPU time and " +
                           "\(Int(median(run.steps.compactMap(\.minorFaults).map(Double.init)))) minor page faults per step.")
            }
        }
        out.append("\nSwift losses bit-identical across runs at each thread count: " +
                   configurations.map { "\($0.threads) thread(s): \($0.swift.count < 2 ? "one run" : $0.swiftLossesIdentical ? "yes" : "NO")" }
                       .joined(separator: "; "))
        return out.joined(separator: "\n") + "\n"
    }
}
