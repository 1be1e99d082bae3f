import ArgumentParser
import MiniCPMModel
import TensorCore

/// A command that takes ``SamplingOptions``: it says what they default to.
protocol SamplingDefaults {
    /// The sampling values used for the options not given (`maxTokens` and stop ids are ignored).
    static var defaultSampling: GenerateParameters { get }
}

/// The sampling and threading options that `generate` and `chat` share, with the defaults of the
/// command `Command` (so `--help` shows each command's own).
struct SamplingOptions<Command: SamplingDefaults>: ParsableArguments {
    @Option(help: "Sampling temperature; 0 picks the most likely token (greedy).")
    var temperature: Float = Command.defaultSampling.temperature

    @Flag(help: "Pick the most likely token every time (the same as --temperature 0, which it overrides).")
    var greedy = false

    @Option(help: "Keep the K most likely tokens (0 disables).")
    var topK: Int = Command.defaultSampling.topK

    @Option(help: "Keep the smallest set of tokens whose probability adds up to at least P (1 disables).")
    var topP: Double = Command.defaultSampling.topP

    @Option(help: "Keep the tokens at least P times as likely as the most likely one (0 disables).")
    var minP: Double = Command.defaultSampling.minP

    @Option(help: "Penalise tokens of the recent context: positive logits are divided by it, negative ones multiplied (1 disables).")
    var repetitionPenalty: Float = Command.defaultSampling.repetitionPenalty

    @Option(name: [.customLong("repetition-window"), .customLong("repeat-last-n")],
            help: "How many of the most recent tokens the repetition penalty looks at (llama.cpp's --repeat-last-n).")
    var repetitionWindow: Int = Command.defaultSampling.repetitionContextSize ?? 64

    @Option(help: "Seed of the sampler: the same seed, prompt and options give the same text.")
    var seed: UInt64 = Command.defaultSampling.seed

    @Option(help: "Threads for the kernels and OpenBLAS, 1...1024 (default: all cores).")
    var threads: Int?

    /// The most threads `--threads` accepts (per-thread buffers are allocated for each).
    static var maximumThreads: Int { 1024 }

    /// Rejects values no run can use before a model is loaded (the same ranges as
    /// `GenerateParameters.validate`, which the library applies again).
    func validate() throws {
        if let threads, !(1...Self.maximumThreads).contains(threads) {
            throw ValidationError("--threads must be in 1...\(Self.maximumThreads), not \(threads).")
        }
        guard temperature.isFinite, temperature >= 0 else {
            throw ValidationError("--temperature must be finite and >= 0 (0 is greedy), not \(temperature).")
        }
        guard topK >= 0 else { throw ValidationError("--top-k must be >= 0 (0 disables), not \(topK).") }
        guard topP > 0, topP <= 1 else { throw ValidationError("--top-p must be in (0, 1] (1 disables), not \(topP).") }
        guard minP >= 0, minP <= 1 else { throw ValidationError("--min-p must be in [0, 1] (0 disables), not \(minP).") }
        guard repetitionPenalty.isFinite, repetitionPenalty > 0 else {
            throw ValidationError("--repetition-penalty must be finite and > 0 (1 disables), not \(repetitionPenalty).")
        }
        guard repetitionWindow >= 0 else {
            throw ValidationError("--repetition-window must be >= 0, not \(repetitionWindow).")
        }
    }

    /// Applies `--threads` (call before loading, so buffers are made for the right thread count).
    func applyThreads() {
        if let threads { Parallelism.threadCount = threads }
    }

    /// The generation parameters these options describe (``validate()`` has rejected out-of-range
    /// values; generation checks them again, as a `GenerationError` naming the parameter).
    func parameters(maxTokens: Int) -> GenerateParameters {
        GenerateParameters(maxTokens: maxTokens, temperature: greedy ? 0 : temperature, topK: topK, topP: topP,
                           minP: minP, repetitionPenalty: repetitionPenalty,
                           repetitionContextSize: repetitionWindow, seed: seed)
    }

    /// The sampling settings in one line, as `chat` reports them.
    var summary: String {
        let p = parameters(maxTokens: 0)
        var parts = p.temperature == 0 ? ["greedy"] : [
            "temperature \(p.temperature)", "top-k \(p.topK)", "top-p \(p.topP)", "min-p \(p.minP)", "seed \(p.seed)",
        ]
        if p.repetitionPenalty != 1 {
            parts.append("repetition penalty \(p.repetitionPenalty) over the last \(repetitionWindow) tokens")
        }
        return parts.joined(separator: ", ")
    }
}
