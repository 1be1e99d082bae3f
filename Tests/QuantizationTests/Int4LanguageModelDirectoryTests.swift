import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import XCTest

/// `LanguageModel(directory:buildingModel:)`: an int4 checkpoint directory with its tokenizer, the
/// tokenizer stored as `tokenizer.gguf` (what `minicpm quantize` writes for a GGUF source).
final class Int4LanguageModelDirectoryTests: XCTestCase {
    /// A tiny int4 directory whose tokenizer is SmolLM2's, carried over as tokenizer.gguf, tokenizes
    /// and templates as the GGUF file itself does.
    func testTokenizerGGUFInADirectoryIsTheSourceFilesTokenizer() throws {
        let source = try GGUFFile(contentsOf: try smolLM2URL())
        var writer = GGUFWriter()
        for key in source.metadataKeys where key.hasPrefix("tokenizer.") || key == "general.name" {
            try writer.setValue(source.metadata[key]!, forKey: key)
        }
        let directory = try makeTemporaryDirectory(prefix: "int4-lm")
        var c = MiniCPMConfiguration(vocabularySize: 49152, hiddenSize: 64, intermediateSize: 128, layerCount: 1,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.tieWordEmbeddings = true
        let quantised = try quantizeLinearLayers(of: try MiniCPM(configuration: c, seed: 3), groupSize: 64)
        try quantised.saveInt4Checkpoint(to: directory, bundledFiles: [
            LanguageModel.tokenizerGGUFFileName: Data(writer.serializedBytes()),
        ])

        let loaded = try LanguageModel(directory: directory, buildingModel: { try MiniCPM(int4CheckpointAt: $0) })
        let reference = try source.makeTokenizer()
        let text = "The capital of France is Paris."
        XCTAssertEqual(try loaded.tokenizer.encode(text), try reference.encode(text))
        XCTAssertNotNil(loaded.chatTemplate, "the GGUF's chat template comes along")
        XCTAssertTrue(loaded.model.linearLayers.contains { $0.layer is Int4Linear })
        XCTAssertEqual(try loaded.model.logits(for: [1, 2, 3]).scalars, try quantised.logits(for: [1, 2, 3]).scalars)
    }

    /// A builder's error names the directory; no tokenizer at all names `tokenizer.model`.
    func testErrorsNameTheDirectory() throws {
        let directory = try makeTemporaryDirectory(prefix: "int4-lm")
        struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }
        XCTAssertThrowsError(try LanguageModel(directory: directory, buildingModel: { _ in throw Refused() })) { error in
            XCTAssertEqual(error as? LanguageModelError, .modelBuilding(path: directory.path, reason: "refused"))
        }
        let c = MiniCPMConfiguration(vocabularySize: 32, hiddenSize: 64, intermediateSize: 64, layerCount: 1,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        try quantizeLinearLayers(of: try MiniCPM(configuration: c, seed: 1), groupSize: 32).saveInt4Checkpoint(to: directory)
        XCTAssertThrowsError(try LanguageModel(directory: directory, buildingModel: { try MiniCPM(int4CheckpointAt: $0) })) { error in
            XCTAssertEqual(error as? LanguageModelError,
                           .missingFile(path: directory.appendingPathComponent("tokenizer.model").path))
        }
    }
}
