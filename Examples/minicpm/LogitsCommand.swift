import ArgumentParser
import Foundation
import MiniCPMModel
import TensorCore

/// `minicpm logits`: one full-sequence forward, logits written as safetensors.
struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Write the logits [T, vocab] of one full-sequence forward pass to a safetensors file."
    )

    @Option(help: "A Hugging Face checkpoint directory (config.json + safetensors) or a GGUF file.")
    var model: String

    @Option(help: "Comma-separated input token ids, e.g. 1,5,9.")
    var ids: TokenList

    @Option(help: "Output safetensors file; its tensor \"logits\" is float32 [T, vocab].")
    var out: String

    func run() throws {
        let network = try MiniCPM(contentsOf: URL(fileURLWithPath: model))
        let logits = try withoutGradients { try network.logits(for: ids.ids) }
        var writer = SafetensorsWriter(metadata: ["producer": "minicpm logits"])
        try writer.add(logits, named: "logits")
        try writer.add(ids.ids.map { Int32($0) }, shape: [ids.ids.count], named: "input_ids")
        try writer.write(to: URL(fileURLWithPath: out))
        print("wrote logits \(logits.shape) to \(out)")
    }
}
