import ArgumentParser
import Foundation
import TensorCore
import Training

/// `minicpm train`: pre-training from a run configuration, continued, resumed or branched into a
/// decay (the paper's WSD recipe).
///
/// ```
/// minicpm train --config run.json                       # new run (or --resume an interrupted one)
/// minicpm train --config run.json --resume --steps 2000  # continue the stable phase further
/// minicpm train --config run.json --branch-decay runs/stable/checkpoints/step-00000800 --steps 80
/// ```
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Pre-train a MiniCPM model from a run configuration (JSON); resume, continue, or branch a decay."
    )

    @Option(help: "The run configuration (JSON): model, tokenizer, data mixture, schedule, batch, steps, output.")
    var config: String

    @Flag(help: "Continue from the newest valid checkpoint in the run directory (start afresh when there is none).")
    var resume = false

    @Option(help: "Main run: train until this step count instead of the configuration's steps. With --branch-decay: the decay's length D in steps.")
    var steps: Int?

    @Option(help: "Branch a decay from this checkpoint of a stable run (WSD(S, D) with S the checkpoint's step).")
    var branchDecay: String?

    @Option(help: "The branch's decay: exponential, linear, cosine or sqrt (default: the configuration's WSD decay, else exponential).")
    var decay: DecaySpecification.Kind?

    @Option(help: "Exponential decay: steps per halving (default: the configuration's, else D/5).")
    var halfLife: Double?

    @Option(help: "The run directory (default: the configuration's output; a branch appends -decay-from-<S>).")
    var out: String?

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        if let steps, steps < 0 { throw ValidationError("--steps must be >= 0.") }
        if branchDecay != nil, steps == nil { throw ValidationError("--branch-decay needs --steps (the decay's length).") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1.") }
        if let halfLife, !(halfLife > 0) { throw ValidationError("--half-life must be > 0.") }
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        var configuration = try RunConfiguration.load(from: URL(fileURLWithPath: config))
        var stage = PretrainingStage.main
        if let branchDecay, let steps {
            var spec = configuration.schedule.decay ?? DecaySpecification(kind: .exponential)
            if let decay { spec = DecaySpecification(kind: decay, floor: spec.floor) }
            if spec.kind == .exponential { spec.halfLife = halfLife ?? spec.halfLife ?? Double(max(steps, 1)) / 5 }
            if spec.kind != .exponential { spec.steps = steps }
            stage = .decay(from: URL(fileURLWithPath: branchDecay), steps: steps, decay: spec)
        } else if let steps {
            configuration.steps = steps
        }
        var run = try Pretraining.makeRun(configuration, stage: stage, directory: out.map { URL(fileURLWithPath: $0) })
        if !resume, !run.checkpoints.checkpoints().isEmpty {
            throw ValidationError("\(run.checkpoints.directory.path) already holds checkpoints: pass --resume to continue that run, or --out for a new one.")
        }
        if resume, try run.resume() != nil {
            // Continued from the run's own checkpoint.
        } else if case let .decay(checkpoint, _, _) = stage {
            try run.start(fromCheckpoint: checkpoint, restoringSourcePosition: configuration.decayData == nil)
        } else {
            try run.metrics.truncate(toCompletedSteps: 0)
        }
        let start = run.trainer.stepCount
        let records = try run.run()
        let last = records.last.map { String(format: "loss %.4f", $0.loss) } ?? "nothing to do"
        print("trained steps \(start)..<\(run.trainer.stepCount) in \(run.directory.path): \(last)")
        if let evaluation = run.metrics.evaluations().last {
            print(String(format: "held-out loss %.4f nats/token", evaluation.lossPerToken)
                  + (evaluation.bitsPerByte.map { String(format: ", %.4f bits/byte", $0) } ?? ""))
        }
        print("checkpoint: \(run.checkpoints.url(forStep: run.trainer.stepCount).path)")
    }
}

extension DecaySpecification.Kind: ExpressibleByArgument {}
