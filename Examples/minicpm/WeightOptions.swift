import ArgumentParser
import Foundation
import MiniCPMModel
import Quantization

/// How `chat`, `generate` and `logits` hold the weights of a GGUF file: its Q4_0, Q4_1 and Q8_0
/// linear layers stay in their blocks (read in place from the mapped file; the kernels work on
/// them) unless `--dequantize` asks for the float copy the suite used before.
struct WeightOptions: ParsableArguments {
    @Flag(help: "Convert a GGUF file's quantised weights to float32 instead of computing on their Q4_0/Q4_1/Q8_0 blocks.")
    var dequantize = false

    /// The network at `url`.
    func network(at url: URL) throws -> MiniCPM {
        if !dequantize, (try? ModelFormat.detect(at: url)) == .gguf {
            return try MiniCPM(keepingQuantizedBlocksOfGGUFAt: url)
        }
        return try MiniCPM(contentsOf: url)
    }

    /// The network at `url` with its tokenizer and chat template.
    func languageModel(at url: URL) throws -> LanguageModel {
        if !dequantize, (try? ModelFormat.detect(at: url)) == .gguf {
            return try LanguageModel(ggufFile: url, buildingModel: { try MiniCPM(keepingQuantizedBlocksOf: $0) })
        }
        return try LanguageModel(contentsOf: url)
    }
}
