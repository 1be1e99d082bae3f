import ArgumentParser
import Charts
import Foundation
import Schedulers

/// `minicpm schedule`: draw a learning-rate schedule as an SVG line chart (and/or a CSV table).
///
/// ```
/// minicpm schedule --kind wsd --peak 0.01 --warmup 100 --stable-end 8000 \
///     --decay exponential --half-life 5000 --steps 10000 --out wsd.svg --csv wsd.csv
/// minicpm schedule --kind constant --warmup 100 --branch-at 6000 --decay linear --decay-steps 600 \
///     --steps 7000 --out branch.svg
/// ```
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Draw a learning-rate schedule (WSD, cosine, cosine loop, constant) as SVG and/or CSV."
    )

    enum Kind: String, CaseIterable, ExpressibleByArgument {
        case wsd, cosine, cosineLoop = "cosine-loop", constant
    }

    enum Decay: String, CaseIterable, ExpressibleByArgument {
        case exponential, linear, cosine, sqrt
    }

    @Option(help: "Schedule kind: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: Kind = .wsd

    @Option(help: "Peak learning rate η.")
    var peak: Double = 0.01

    @Option(help: "Linear warmup steps W.")
    var warmup: Int = 0

    @Option(help: "WSD: the step T at which the decay begins (the last step at η).")
    var stableEnd: Int?

    @Option(help: "Decay shape for wsd and --branch-at: \(Decay.allCases.map(\.rawValue).joined(separator: ", ")) (sqrt = 1 − √).")
    var decay: Decay = .exponential

    @Option(help: "Exponential decay: steps per halving.")
    var halfLife: Double = 5_000

    @Option(help: "Linear/cosine/sqrt decay: steps to reach the floor (default: from the decay start to --steps).")
    var decaySteps: Int?

    @Option(help: "Decay floor as a fraction of the rate where the decay starts, in 0...1.")
    var floor: Double = 0

    @Option(help: "cosine/cosine-loop: the step T at which the minimum is reached (default: --steps).")
    var cosineEnd: Int?

    @Option(help: "cosine/cosine-loop: the minimum as a fraction of η (the paper uses 0.1).")
    var minimumFraction: Double = 0.1

    @Option(help: "Branch a decay (--decay, --half-life/--decay-steps, --floor) off the schedule at this step.")
    var branchAt: Int?

    @Option(help: "The last step to draw.")
    var steps: Int

    @Option(help: "Number of sampled steps (points of the polyline).")
    var points: Int = 501

    @Option(help: "Write the chart to this SVG file.")
    var out: String?

    @Option(help: "Write the sampled schedule to this CSV file (columns step,learning_rate).")
    var csv: String?

    @Option(help: "Chart title (default: a description of the schedule).")
    var title: String?

    func validate() throws {
        guard out != nil || csv != nil else { throw ValidationError("Give --out (SVG) and/or --csv.") }
        guard steps > 0 else { throw ValidationError("--steps must be > 0.") }
        guard points >= 2 else { throw ValidationError("--points must be >= 2.") }
        guard peak.isFinite, peak >= 0 else { throw ValidationError("--peak must be finite and >= 0.") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be >= 0.") }
        guard halfLife.isFinite, halfLife > 0 else { throw ValidationError("--half-life must be > 0.") }
        guard (0...1).contains(floor) else { throw ValidationError("--floor must be in 0...1.") }
        guard (0...1).contains(minimumFraction) else { throw ValidationError("--minimum-fraction must be in 0...1.") }
        if let decaySteps, decaySteps <= 0 { throw ValidationError("--decay-steps must be > 0.") }
        if let branchAt, branchAt < 0 { throw ValidationError("--branch-at must be >= 0.") }
        switch kind {
        case .wsd:
            guard let stableEnd else { throw ValidationError("--kind wsd needs --stable-end.") }
            guard stableEnd >= warmup else { throw ValidationError("--stable-end must be >= --warmup.") }
        case .cosine, .cosineLoop:
            guard (cosineEnd ?? steps) > warmup else { throw ValidationError("--cosine-end (or --steps) must be > --warmup.") }
        case .constant:
            break
        }
        if decay != .exponential, (kind == .wsd || branchAt != nil), decaySteps == nil {
            let start = branchAt ?? stableEnd ?? 0
            guard steps > start else {
                throw ValidationError("--decay \(decay.rawValue) needs --decay-steps (the decay starts at or after --steps).")
            }
        }
    }

    /// The decay chosen on the command line, starting at `start`, applied by `body`.
    private func withDecay<Result>(startingAt start: Int,
                                   _ body: (any DecayFunction) -> Result) -> Result {
        let length = decaySteps ?? max(steps - start, 1)
        switch decay {
        case .exponential: return body(ExponentialDecay(halfLife: halfLife, floor: floor))
        case .linear: return body(LinearDecay(steps: length, floor: floor))
        case .cosine: return body(CosineDecay(steps: length, floor: floor))
        case .sqrt: return body(OneMinusSquareRootDecay(steps: length, floor: floor))
        }
    }

    private func makeSchedule() -> AnyLearningRateSchedule {
        var schedule: AnyLearningRateSchedule
        switch kind {
        case .wsd:
            let stableEnd = stableEnd!
            schedule = withDecay(startingAt: stableEnd) { decay in
                func make<D: DecayFunction>(_ decay: D) -> AnyLearningRateSchedule {
                    AnyLearningRateSchedule(WSDSchedule(peak: peak, warmupSteps: warmup, stableEnd: stableEnd, decay: decay))
                }
                return make(decay)
            }
        case .cosine:
            schedule = AnyLearningRateSchedule(CosineSchedule(peak: peak, warmupSteps: warmup, endStep: cosineEnd ?? steps,
                                                              minimumFraction: minimumFraction))
        case .cosineLoop:
            schedule = AnyLearningRateSchedule(CosineLoopSchedule(peak: peak, warmupSteps: warmup,
                                                                  endStep: cosineEnd ?? steps,
                                                                  minimumFraction: minimumFraction))
        case .constant:
            schedule = AnyLearningRateSchedule(ConstantSchedule(learningRate: peak).warmingUp(over: warmup))
        }
        if let branchAt {
            let base = schedule
            schedule = withDecay(startingAt: branchAt) { decay in
                func make<D: DecayFunction>(_ decay: D) -> AnyLearningRateSchedule {
                    AnyLearningRateSchedule(base.branchingDecay(at: branchAt, decay))
                }
                return make(decay)
            }
        }
        return schedule
    }

    private var defaultTitle: String {
        let decayText: String
        switch decay {
        case .exponential: decayText = "exponential decay, half-life \(Int(halfLife))"
        case .linear: decayText = "linear decay"
        case .cosine: decayText = "cosine decay"
        case .sqrt: decayText = "1 − √ decay"
        }
        var text: String
        switch kind {
        case .wsd: text = "WSD(η = \(peak), W = \(warmup), T = \(stableEnd!)), \(decayText)"
        case .cosine: text = "Cosine(T = \(cosineEnd ?? steps)), η = \(peak), W = \(warmup)"
        case .cosineLoop: text = "CosineLoop(T = \(cosineEnd ?? steps)), η = \(peak), W = \(warmup)"
        case .constant: text = "Constant η = \(peak), W = \(warmup)"
        }
        if let branchAt { text += "; branch at \(branchAt): \(decayText)" }
        return text
    }

    func run() throws {
        let schedule = makeSchedule()
        let sampled = ChartSeries.evenlySpacedSteps(through: steps, count: points)
        let series = ChartSeries(name: "learning_rate", schedule: schedule, steps: sampled)
        if let out {
            let chart = LineChart(title: title ?? defaultTitle, series: [series])
            try chart.write(to: URL(fileURLWithPath: out))
            print("wrote \(series.points.count) points to \(out)")
        }
        if let csv {
            try CSVExport.write([series], to: URL(fileURLWithPath: csv))
            print("wrote \(series.points.count) rows to \(csv)")
        }
        var marks = [0, max(warmup - 1, 0), steps]
        if kind == .wsd, let stableEnd { marks += [stableEnd, stableEnd + 1] }
        if let branchAt { marks += [branchAt, branchAt + 1] }
        for step in Set(marks.filter { $0 <= steps }).sorted() {
            print("  step \(step): lr = \(schedule.learningRate(atStep: step))")
        }
    }
}
