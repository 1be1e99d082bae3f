import ArgumentParser
import Foundation
import MiniCPMModel

/// `minicpm upcycle`: a dense Hugging Face checkpoint turned into a mixture-of-experts one whose
/// experts are copies of each layer's MLP (`MiniCPM.upcycled`), ready for continued training.
struct UpcycleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upcycle",
        abstract: "Sparse upcycling: write an MoE checkpoint whose experts all copy the dense model's MLPs."
    )

    @Option(help: "A dense Hugging Face checkpoint directory (config.json + safetensors).")
    var model: String

    @Option(help: "Experts per layer (num_experts).")
    var experts: Int

    @Option(help: "Experts each token is routed to (num_experts_per_tok).")
    var active: Int

    @Option(help: "Standard deviation of the new routers' normal initialisation.")
    var routerStd: Float = 0.01

    @Option(help: "Seed of the routers' initialisation.")
    var seed: UInt64 = 0

    @Option(help: "Output directory (config.json + model.safetensors; tokenizer files are copied over).")
    var out: String

    func run() throws {
        let source = URL(fileURLWithPath: model)
        let dense = try MiniCPM(directory: source)
        let moe = try dense.upcycled(experts: experts, activePerToken: active, routerStandardDeviation: routerStd, seed: seed)
        let destination = URL(fileURLWithPath: out)
        try moe.save(to: destination)
        // The tokenizer does not change: copy its files so the new directory runs on its own.
        let fm = FileManager.default
        for name in (try? fm.contentsOfDirectory(atPath: source.path)) ?? []
        where name.hasPrefix("tokenizer") || name == "special_tokens_map.json" || name == "generation_config.json" {
            let target = destination.appendingPathComponent(name)
            try? fm.removeItem(at: target)
            try fm.copyItem(at: source.appendingPathComponent(name), to: target)
        }
        let c = moe.configuration
        print("wrote \(out): \(c.expertCount) experts, \(c.expertsPerToken) per token; " +
              "non-embedding parameters \(c.nonEmbeddingParameterCount) total, \(c.activeNonEmbeddingParameterCount) active per token")
    }
}
