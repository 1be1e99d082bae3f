import Foundation
import MiniCPMModel
import XCTest

/// Runs the snippets of `Docs/MoE.md`.
final class MoESnippetTests: XCTestCase {
    func testUpcyclingSnippet() throws {
        let dense = try MiniCPM(configuration: MiniCPMConfiguration(vocabularySize: 32, hiddenSize: 16, intermediateSize: 24,
                                                                    layerCount: 2, attentionHeadCount: 2), seed: 1)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moe-snippet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let moe = try MoESnippets.upcycle(dense, into: directory)
        let reloaded = try MiniCPM(directory: directory)
        XCTAssertEqual(reloaded.configuration.expertCount, 8)
        XCTAssertEqual(reloaded.configuration.expertsPerToken, 2)
        XCTAssertEqual(reloaded.namedParameters.map(\.name), moe.namedParameters.map(\.name))
    }
}
