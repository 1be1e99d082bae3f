// wsd-experiment: the paper's WSD findings (Section 4, Figures 4 and 5) at wind-tunnel scale.
//
// One stable (constant-rate) run with checkpoints at chosen steps; from them, exponential decays
// of 10 % and 2.5 % of the run; and Cosine(T) runs of the same lengths from scratch. Every run
// reports its held-out loss; the program writes the curves as SVG and the final losses as a table.
import ArgumentParser
import Foundation
import TensorCore
import Training

struct WSDExperiment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsd-experiment",
        abstract: "Stable run + decay branches vs Cosine(T): the paper's WSD findings at small scale."
    )

    @Option(help: "A run configuration (JSON) giving the model, tokenizer, data, batch, optimizer, seed and the peak rate and warmup of its schedule.")
    var config: String

    @Option(help: "Comma-separated stable lengths S: the 10 % decay branches start at S and end at N = 1.1 S, where Cosine(N) also ends.")
    var bases: String = "300,600,1200"

    @Option(help: "The long decay's share of N (the paper: about 10 %).")
    var longDecay: Double = 0.1

    @Option(help: "The short decay's share of N, branched so that it also ends at N.")
    var shortDecay: Double = 0.025

    @Option(help: "Where the runs, figures and summary go.")
    var out: String

    @Option(help: "Held-out evaluations per run (evenly spaced).")
    var evaluations: Int = 12

    @Option(help: "Threads for the kernels and OpenBLAS.")
    var threads: Int?

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        let base = try RunConfiguration.load(from: URL(fileURLWithPath: config))
        let stableLengths = bases.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.sorted()
        guard !stableLengths.isEmpty, stableLengths.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--bases must list positive step counts")
        }
        let plan = ExperimentPlan(stableLengths: stableLengths, longDecay: longDecay, shortDecay: shortDecay)
        let root = URL(fileURLWithPath: out)
        var runner = ExperimentRunner(base: base, root: root, evaluations: evaluations)
        let clock = ContinuousClock()
        let started = clock.now

        try runner.runStable(until: plan.stableEnd, branchPoints: plan.branchPoints)
        for point in plan.points {
            try runner.runDecay(from: point.longBranch, steps: point.total - point.longBranch, label: "long")
            try runner.runDecay(from: point.shortBranch, steps: point.total - point.shortBranch, label: "short")
            try runner.runCosine(length: point.total)
        }
        let summary = try ExperimentSummary(plan: plan, runner: runner)
        try summary.write(to: root)
        print(summary.markdownTable)
        print(String(format: "wall time %.1f min; figures and summary in %@", (clock.now - started).minutes, root.path))
    }
}

extension Duration {
    var minutes: Double {
        let (s, attoseconds) = components
        return (Double(s) + Double(attoseconds) * 1e-18) / 60
    }
}

WSDExperiment.main()
