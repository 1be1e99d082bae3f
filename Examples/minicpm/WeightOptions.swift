import ArgumentParser
import Foundation
import MiniCPMModel
import Quantization

/// How `chat`, `generate` and `logits` hold the weights of a model: a GGUF file's quantised linear
/// layers (Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, F16, BF16) stay in their stored form (read in place from
/// the mapped file; the kernels work on them) unless `--dequantize` asks for the float copy the
/// suite used before; an int4 checkpoint directory (AutoGPTQ layout, recognised by its
/// `quantize_config.json`, e.g. written by `minicpm quantize`) is always run on its int4 weights.
struct WeightOptions: ParsableArguments {
    @Flag(help: "Convert a GGUF file's stored weights (Q4_0, Q4_1, Q8_0, Q4_K, Q6_K, F16, BF16) to float32 instead of computing on them in place. An int4 checkpoint directory stays int4.")
    var dequantize = false

    /// Whether `url` is a checkpoint directory of int4 weights in the AutoGPTQ layout.
    static func isInt4Checkpoint(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.appendingPathComponent("quantize_config.json").path)
            && (try? ModelFormat.detect(at: url)) == .checkpointDirectory
    }

    /// The network at `url`.
    func network(at url: URL) throws -> MiniCPM {
        if Self.isInt4Checkpoint(url) { return try MiniCPM(int4CheckpointAt: url) }
        if !dequantize, (try? ModelFormat.detect(at: url)) == .gguf {
            return try MiniCPM(keepingQuantizedBlocksOfGGUFAt: url)
        }
        return try MiniCPM(contentsOf: url)
    }

    /// The network at `url` with its tokenizer and chat template.
    func languageModel(at url: URL) throws -> LanguageModel {
        if Self.isInt4Checkpoint(url) {
            return try LanguageModel(directory: url, buildingModel: { try MiniCPM(int4CheckpointAt: $0) })
        }
        if !dequantize, (try? ModelFormat.detect(at: url)) == .gguf {
            return try LanguageModel(ggufFile: url, buildingModel: { try MiniCPM(keepingQuantizedBlocksOf: $0) })
        }
        return try LanguageModel(contentsOf: url)
    }
}
