import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import XCTest

/// The seam through which a GGUF model keeps its blocks when loaded with its tokenizer
/// (`LanguageModel(ggufFile:buildingModel:)`), and the CLI that uses it by default.
final class QuantizedLanguageModelTests: XCTestCase {
    private var smolLM2: URL { get throws { try smolLM2URL() } }

    func testKeptBlocksAnswerAsTheFloatModelDoes() throws {
        let url = try smolLM2
        let kept = try LanguageModel(ggufFile: url, buildingModel: { try MiniCPM(keepingQuantizedBlocksOf: $0) })
        let float = try LanguageModel(ggufFile: url)
        XCTAssertTrue(kept.model.linearLayers.contains { $0.layer is GGUFBlockLinear })
        XCTAssertNotNil(kept.chatTemplate)
        let parameters = GenerateParameters(maxTokens: 8, temperature: 0)
        let prompt = LanguageModel.Prompt.chat([.user("What is the capital of France?")])
        let a = try kept.generate(prompt, parameters: parameters) { _ in .continue }
        let b = try float.generate(prompt, parameters: parameters) { _ in .continue }
        XCTAssertEqual(a.text, b.text)
        XCTAssertTrue(a.text.contains("Paris"), a.text)
    }

    func testABuildersErrorNamesTheFile() throws {
        let url = try smolLM2
        struct Refused: Error, CustomStringConvertible { var description: String { "refused by the builder" } }
        XCTAssertThrowsError(try LanguageModel(ggufFile: url, buildingModel: { _ in throw Refused() })) { error in
            XCTAssertEqual(error as? LanguageModelError, .modelBuilding(path: url.path, reason: "refused by the builder"))
        }
    }

    func testCommandLineKeepsBlocksUnlessAskedToDequantize() throws {
        let url = try smolLM2
        let kept = try CommandLineTool.run(["generate", "--model", url.path, "--prompt", "The capital of France is",
                                            "--greedy", "--max-tokens", "4"])
        let dequantized = try CommandLineTool.run(["generate", "--model", url.path, "--prompt", "The capital of France is",
                                                   "--greedy", "--max-tokens", "4", "--dequantize"])
        XCTAssertEqual(kept.status, 0, kept.output)
        XCTAssertEqual(dequantized.status, 0, dequantized.output)
        // The generated text (everything before the summary line) is the same.
        XCTAssertEqual(kept.output.components(separatedBy: "\nprompt ").first,
                       dequantized.output.components(separatedBy: "\nprompt ").first)
    }
}
