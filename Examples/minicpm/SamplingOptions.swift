import ArgumentParser
import MiniCPMModel
import TensorCore

/// The sampling and threading options that `generate` and `chat` share.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Sampling temperature; 0 picks the most likely token (greedy).")
    var temperature: Float = 0

    @Option(help: "Keep the smallest set of tokens whose probability adds up to at least P (1 disables).")
    var topP: Double = 1

    @Option(help: "Keep the K most likely tokens (0 disables).")
    var topK = 0

    @Option(help: "Penalise tokens already in the context (1 disables).")
    var repetitionPenalty: Float = 1

    @Option(help: "Seed of the sampler.")
    var seed: UInt64 = 0

    @Option(help: "Threads for the kernels and OpenBLAS (default: all cores).")
    var threads: Int?

    /// Applies `--threads` (call before loading, so buffers are made for the right thread count).
    func applyThreads() {
        if let threads { Parallelism.threadCount = threads }
    }

    /// The generation parameters these options describe.
    func parameters(maxTokens: Int) -> GenerateParameters {
        GenerateParameters(maxTokens: maxTokens, temperature: temperature, topK: topK, topP: topP,
                           repetitionPenalty: repetitionPenalty, seed: seed)
    }
}
