import Foundation
import MiniCPMModel
import Optimizers
import TensorCore
import XCTest

final class ReadmeSnippetTests: SnippetTestCase {
    func testChatInThreeLines() throws {
        try requireSmolLM2()
        let chat = try READMESnippets.chatInThreeLines()
        XCTAssertEqual(chat.messages.count, 4)
        XCTAssertEqual(chat.messages[1].content, "The capital of France is Paris.")
    }

    func testGenerateTextStopsAtTheNewline() throws {
        try requireSmolLM2()
        let result = try READMESnippets.generateText()
        XCTAssertEqual(result.text, " Paris.")
        XCTAssertEqual(result.summary.stopReason, .stopString("\n"))
    }

    /// The loss against cross-entropy computed here in Double from the same x and w.
    func testTensorCoreInAFewLines() throws {
        let (loss, w, embeddings) = try READMESnippets.tensorCoreInAFewLines()
        var rng = SeededRandom(seed: 0)
        let x = Tensor.normal([4, 8], using: &rng).scalars.map(Double.init)
        let weights = w.scalars.map(Double.init)
        var total = 0.0
        for (row, target) in [(0, 3), (1, 1), (3, 7)] {
            let logits = (0..<16).map { j in (0..<8).reduce(0.0) { $0 + x[row * 8 + $1] * weights[j * 8 + $1] } }
            let top = logits.max()!
            total += top + log(logits.map { exp($0 - top) }.reduce(0, +)) - logits[target]
        }
        XCTAssertEqual(Double(loss.scalar), total / 3, accuracy: 1e-5)
        XCTAssertEqual(w.gradient?.shape, [16, 8])
        XCTAssertEqual(embeddings.shape, [512, 64])
    }

    func testMiniCPMModelInAFewLinesIsSeeded() throws {
        let first = try READMESnippets.miniCPMModelInAFewLines()
        let second = try READMESnippets.miniCPMModelInAFewLines()
        XCTAssertEqual(first.promptTokenCount, 3)
        XCTAssertEqual(first.tokens, second.tokens, "seed 1 samples the same tokens")
        XCTAssertFalse(first.tokens.isEmpty)
        XCTAssertLessThanOrEqual(first.tokens.count, 32)
    }

    /// Streamed text equals what Python's sentencepiece decodes for the same ids (golden.json),
    /// including ids whose bytes make one character only together.
    func testTokenizerInAFewLines() throws {
        let data = try Data(contentsOf: repositoryRoot.appendingPathComponent("Tests/TokenizerTests/Fixtures/golden.json"))
        let golden = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let cases = (golden["decode_cases"] as! [[String: Any]]).filter { ($0["text"] as! String).unicodeScalars.contains { $0.value > 127 } }
        XCTAssertGreaterThan(cases.count, 2)
        for item in cases {
            let ids = item["ids"] as! [Int], text = item["text"] as! String
            XCTAssertEqual(try READMESnippets.tokenizerInAFewLines(generatedIDs: ids).text, text, "\(ids)")
        }
        let ids = try READMESnippets.tokenizerInAFewLines(generatedIDs: []).ids
        XCTAssertEqual(ids.first, 1, "the MiniCPM template starts with BOS")
    }

    /// The step rates are the doc's WSD warmup, `0.01 · (s + 1) / 100`, and every parameter moves.
    func testSchedulersAndOptimizersTrain() throws {
        let configuration = tinyConfiguration()
        let batches = Array(repeating: (inputs: [[1, 5, 9, 2, 7]], targets: [[5, 9, 2, 7, 3]]), count: 3)
        let (model, optimizer) = try READMESnippets.schedulersAndOptimizers(configuration: configuration, batches: batches)
        XCTAssertEqual(optimizer.stepCount, 3)
        let initial = try MiniCPM(configuration: configuration, seed: 0)
        for ((name, trained), (_, start)) in zip(model.namedParameters, initial.namedParameters) {
            XCTAssertNotEqual(trained.scalars, start.scalars, "\(name) was trained")
        }
        XCTAssertEqual(optimizer.schedule.learningRate(atStep: 2), 0.01 * 3 / 100, accuracy: 1e-15)
    }

    func testOptimizersOverview() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("optimizer-snippet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let batches = Array(repeating: (inputs: [[1, 5, 9]], targets: [[5, 9, 2]]), count: 2)
        let (_, optimizer) = try OptimizersSnippets.overview(configuration: tinyConfiguration(), batches: batches, checkpoint: directory)
        XCTAssertEqual(optimizer.stepCount, 2)
        for file in ["optimizer.safetensors", "optimizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), file)
        }
    }

    func testTextGenerationInTheDesignNotes() throws {
        try requireSmolLM2()
        let answer = try MiniCPMModelDesignNotes.textGenerationOneCall()
        XCTAssertEqual(answer.text, "The capital of France is Paris.")
        XCTAssertEqual(answer.summary.stopReason, .stopToken(2))
    }

    private func tinyConfiguration() -> MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.baseModelDimension = 4
        return c
    }
}
