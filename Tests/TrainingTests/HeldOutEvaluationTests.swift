import Foundation
import MiniCPMModel
import TensorCore
import Training
import XCTest

final class HeldOutEvaluationTests: XCTestCase {
    /// Documents A (3 ids + EOS, 10 bytes), B (2 ids + EOS, 9 bytes), C (4 ids + EOS, 20 bytes):
    /// tokens 0..<4, 4..<7, 7..<12.
    private func threeDocuments() throws -> TokenFile {
        try makeTokenFile([[3, 4, 5], [6, 7], [8, 9, 10, 11]], byteCounts: [10, 9, 20], vocabularySize: 23,
                          endOfDocumentID: 2, in: try temporaryFolder(self))
    }

    func testWindowsShareOneTokenAndBytesFollowTheCoveredDocuments() throws {
        let file = try threeDocuments()
        let evaluation = try HeldOutEvaluation(slice: file.allTokens, sequenceLength: 3, maximumWindowCount: 10)
        // (12 - 1) / 3 = 3 windows: tokens 0...3, 3...6, 6...9; targets are tokens 1..<10.
        XCTAssertEqual(evaluation.windows.map(\.inputs), [[3, 4, 5], [2, 6, 7], [2, 8, 9]])
        XCTAssertEqual(evaluation.windows.map(\.targets), [[4, 5, 2], [6, 7, 2], [8, 9, 10]])
        XCTAssertEqual(evaluation.tokenCount, 9)
        // A: 3 of its 4 tokens are targets → 10 · 3/4; B whole → 9; C: 3 of 5 → 20 · 3/5.
        XCTAssertEqual(evaluation.byteCount, 7.5 + 9 + 12, accuracy: 1e-12)

        let capped = try HeldOutEvaluation(slice: file.allTokens, sequenceLength: 3, maximumWindowCount: 2)
        XCTAssertEqual(capped.windows.count, 2)
        XCTAssertEqual(capped.tokenCount, 6)
        XCTAssertEqual(capped.byteCount, 7.5 + 9, accuracy: 1e-12, "targets 1..<7 end exactly with B")
    }

    func testAHeldOutSliceCountsOnlyItsOwnDocuments() throws {
        let file = try threeDocuments()
        let split = try DocumentSplit(file: file, heldOutFraction: 0.5)      // holds out B and C
        XCTAssertEqual(split.heldOut.range, 4..<12)
        let evaluation = try HeldOutEvaluation(slice: split.heldOut, sequenceLength: 7, maximumWindowCount: 5)
        XCTAssertEqual(evaluation.windows.map(\.inputs), [[6, 7, 2, 8, 9, 10, 11]])
        // Targets are tokens 5..<12: B's last 2 of 3 tokens (9 · 2/3) and all of C (20).
        XCTAssertEqual(evaluation.byteCount, 6 + 20, accuracy: 1e-12)
        XCTAssertThrowsError(try HeldOutEvaluation(slice: split.heldOut, sequenceLength: 8, maximumWindowCount: 5))
        XCTAssertThrowsError(try HeldOutEvaluation(slice: split.heldOut, sequenceLength: 2, maximumWindowCount: 0))
    }

    /// The loss per token is the mean over all targets, however the windows are batched: checked
    /// against `model.loss` run on each window alone.
    func testEvaluationMatchesTheModelsLossOnEachWindow() throws {
        let file = try makeTokenFile((0..<6).map { d in (0..<(5 + d)).map { (7 * d + 3 * $0) % 20 + 3 } },
                                     byteCounts: [13, 17, 19, 23, 29, 31], vocabularySize: 23, endOfDocumentID: 2,
                                     in: try temporaryFolder(self))
        var configuration = MiniCPMConfiguration(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                                 attentionHeadCount: 4, keyValueHeadCount: 2)
        configuration.initializerRange = 0.5      // far from uniform, so that windows differ in loss
        let model = try MiniCPM(configuration: configuration, seed: 5)
        let evaluation = try HeldOutEvaluation(slice: file.allTokens, sequenceLength: 6, maximumWindowCount: 7)
        XCTAssertEqual(evaluation.windows.count, 7)

        var nats = 0.0
        var losses: [Double] = []
        for window in evaluation.windows {
            let mean = Double(try model.loss(inputs: [window.inputs], targets: [window.targets]).scalar)
            losses.append(mean)
            nats += mean * Double(window.targets.count)
        }
        XCTAssertGreaterThan(losses.max()! - losses.min()!, 0.01, "the windows' losses differ, so weighting matters")
        for batchSize in [1, 3, 16] {          // 3 leaves a last batch of one window
            let result = try evaluation.evaluate(model: model, batchSize: batchSize)
            XCTAssertEqual(result.tokens, 42)
            XCTAssertEqual(result.lossPerToken, nats / 42, accuracy: 1e-4, "batch size \(batchSize)")
            XCTAssertEqual(result.bitsPerByte, nats / (log(2) * evaluation.byteCount), accuracy: 1e-4)
        }
    }
}
