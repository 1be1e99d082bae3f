import Foundation
import Training

/// Runs (or, after an interruption, resumes) each run of the experiment and keeps its held-out
/// losses.
struct ExperimentRunner {
    let base: RunConfiguration
    let root: URL
    let evaluations: Int
    /// Held-out evaluations by run name, in step order.
    private(set) var results: [String: [EvaluationRecord]] = [:]
    /// Mean wall seconds per training step, by run name (this process's steps only).
    private(set) var secondsPerStep: [String: Double] = [:]

    init(base: RunConfiguration, root: URL, evaluations: Int) {
        var base = base
        base.decayData = nil          // every run draws from the same mixture
        self.base = base
        self.root = root
        self.evaluations = max(1, evaluations)
    }

    static let stableName = "stable"
    static func decayName(from branch: Int, steps: Int) -> String { "wsd-\(branch)+\(steps)" }
    static func cosineName(length: Int) -> String { "cosine-\(length)" }

    var constantSchedule: ScheduleSpecification {
        ScheduleSpecification(kind: .constant, peak: base.schedule.peak, warmup: base.schedule.warmup)
    }

    mutating func runStable(until steps: Int, branchPoints: Set<Int>) throws {
        var configuration = base
        configuration.schedule = constantSchedule
        configuration.steps = steps
        configuration.checkpointEvery = 0
        configuration.evalEvery = max(1, steps / (evaluations * 3))
        var run = try Pretraining.makeRun(configuration, directory: root.appendingPathComponent(Self.stableName))
        run.options.milestoneSteps = branchPoints
        run.options.checkpointsKept = 1
        try complete(&run, name: Self.stableName) { _ in }
    }

    /// An exponential decay over `steps` whose rate ends at a tenth of the peak, like Cosine's floor:
    /// half-life `steps · log 2 / log 10`.
    mutating func runDecay(from branch: Int, steps: Int, label: String) throws {
        var configuration = base
        configuration.schedule = constantSchedule
        configuration.evalEvery = max(1, steps / evaluations)
        let decay = DecaySpecification(kind: .exponential, halfLife: Double(steps) * log(2) / log(10))
        let checkpoint = root.appendingPathComponent(Self.stableName).appendingPathComponent("checkpoints")
            .appendingPathComponent(CheckpointStore.name(forStep: branch))
        let name = Self.decayName(from: branch, steps: steps)
        var run = try Pretraining.makeRun(configuration, stage: .decay(from: checkpoint, steps: steps, decay: decay),
                                          directory: root.appendingPathComponent(name))
        run.options.checkpointsKept = 1
        try complete(&run, name: name) { run in
            try run.start(fromCheckpoint: checkpoint, restoringSourcePosition: true)
            try run.evaluateNow()       // the branch point, so each decay curve starts on the stable one
        }
    }

    mutating func runCosine(length: Int) throws {
        var configuration = base
        configuration.schedule = ScheduleSpecification(kind: .cosine, peak: base.schedule.peak, warmup: base.schedule.warmup,
                                                       end: length, minimumFraction: 0.1)
        configuration.steps = length
        configuration.checkpointEvery = 0
        configuration.evalEvery = max(1, length / evaluations)
        let name = Self.cosineName(length: length)
        var run = try Pretraining.makeRun(configuration, directory: root.appendingPathComponent(name))
        run.options.checkpointsKept = 1
        try complete(&run, name: name) { _ in }
    }

    /// Resumes `run` from its own checkpoint, or starts it with `start`, and trains it to the end.
    private mutating func complete<S, O>(_ run: inout TrainingRun<S, O>, name: String,
                                         start: (inout TrainingRun<S, O>) throws -> Void) throws {
        print("== \(name): steps to \(run.options.totalSteps)")
        if try run.resume(log: { print("   \($0)") }) == nil { try start(&run) }
        let records = try run.run()
        if !records.isEmpty {
            secondsPerStep[name] = records.map { Double($0.tokens) / max($0.tokensPerSecond, 1e-9) }.reduce(0, +) / Double(records.count)
        }
        results[name] = run.metrics.evaluations()
        if let last = results[name]?.last {
            print(String(format: "   held-out loss at step %d: %.4f", last.step, last.lossPerToken))
        }
    }
}
