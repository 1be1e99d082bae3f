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

    @Option(help: "A Hugging Face checkpoint directory (config.json + safetensors, or int4 AutoGPTQ tensors with quantize_config.json) or a GGUF file.")
    var model: String

    @Option(help: "Comma-separated input token ids, e.g. 1,5,9.")
    var ids: TokenList

    @Option(help: "Output safetensors file; its tensor \"logits\" is float32 [T, vocab].")
    var out: String

    @OptionGroup var weights: WeightOptions

    @Flag(help: "Accept more ids than the model's context (max_position_embeddings, times a linear or dynamic rope_scaling factor): positions past it were never trained.")
    var allowExtrapolation = false

    func run() throws {
        var network = try weights.network(at: URL(fileURLWithPath: model))
        if allowExtrapolation { network.maximumContextLength = .max }
        let logits = try withoutGradients { try network.logits(for: ids.ids) }
        // NaN or infinite logits are never a result worth writing: name the corrupt weight when
        // there is one, else the position and token at fault.
        if let index = logits.firstNonFiniteIndex {
            try network.checkFinite()
            let vocabulary = network.configuration.vocabularySize
            throw NonFiniteLogitsError(position: index / vocabulary, tokenID: index % vocabulary)
        }
        var writer = SafetensorsWriter(metadata: ["producer": "minicpm logits"])
        try writer.add(logits, named: "logits")
        try writer.add(ids.ids.map { Int32($0) }, shape: [ids.ids.count], named: "input_ids")
        try writer.write(to: URL(fileURLWithPath: out))
        print("wrote logits \(logits.shape) to \(out)")
    }
}

/// The forward pass produced NaN or infinity although every weight is finite (activations overflowed).
struct NonFiniteLogitsError: Error, CustomStringConvertible {
    let position: Int
    let tokenID: Int
    var description: String {
        "the logits at position \(position) are not finite (token \(tokenID) is NaN or infinite); nothing was written"
    }
}
