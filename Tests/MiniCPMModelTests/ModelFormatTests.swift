import Foundation
import MiniCPMModel
import Tokenizer
import XCTest

/// ``ModelFormat/detect(at:)`` tells a GGUF file from a checkpoint directory by content, and names
/// what it found when it is neither (issue 11, hole 9); ``MiniCPM/init(contentsOf:)`` loads either.
final class ModelFormatTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("model-format-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func reason(_ url: URL) -> String? {
        do {
            _ = try ModelFormat.detect(at: url)
            return nil
        } catch {
            guard case let .unrecognizedModel(path, reason) = error else {
                XCTFail("unexpected error \(error)")
                return nil
            }
            XCTAssertEqual(path, url.path)
            return reason
        }
    }

    func testDetectsByContentNotByName() throws {
        let gguf = fixtureURL("gguf").appendingPathComponent("minicpm-f32.gguf")
        XCTAssertEqual(try ModelFormat.detect(at: gguf), .gguf)
        XCTAssertEqual(try ModelFormat.detect(at: fixtureURL("tiny-minicpm")), .checkpointDirectory)
        // A GGUF file without the extension is still one.
        let renamed = scratch.appendingPathComponent("weights.bin")
        try FileManager.default.copyItem(at: gguf, to: renamed)
        XCTAssertEqual(try ModelFormat.detect(at: renamed), .gguf)
        let network = try MiniCPM(contentsOf: renamed)
        let reference = try MiniCPM(ggufFile: gguf)
        XCTAssertEqual(network.configuration, reference.configuration)
        XCTAssertEqual(try MiniCPM(contentsOf: fixtureURL("tiny-minicpm")).configuration,
                       try MiniCPM(directory: fixtureURL("tiny-minicpm")).configuration)
    }

    func testNeitherFormatSaysWhatWasFoundAndWhatWasExpected() throws {
        let config = fixtureURL("tiny-minicpm").appendingPathComponent("config.json")
        let head = Array(try Data(contentsOf: config).prefix(4))
        let hex = head.map { String(format: "%02X", $0) }.joined(separator: " ")
        XCTAssertEqual(reason(config), "the file starts with the bytes \(hex), not \"GGUF\"")

        let empty = scratch.appendingPathComponent("empty.gguf")
        try Data().write(to: empty)
        XCTAssertEqual(reason(empty), "the file is only 0 bytes long")

        XCTAssertEqual(reason(scratch), "the directory has no config.json")
        XCTAssertEqual(reason(scratch.appendingPathComponent("missing")), "no such file or directory")

        // The message names the path and both formats.
        XCTAssertThrowsError(try MiniCPM(contentsOf: config)) { error in
            XCTAssertEqual("\(error)", "\(config.path) is not a model: the file starts with the bytes \(hex), not \"GGUF\"; "
                + "expected a GGUF file (starting with the bytes \"GGUF\") or a Hugging Face checkpoint directory "
                + "(config.json and safetensors weights)")
        }
        XCTAssertThrowsError(try LanguageModel(contentsOf: empty)) { error in
            XCTAssertEqual(error as? LanguageModelError,
                           .unrecognizedModel(path: empty.path, reason: "the file is only 0 bytes long"))
        }
    }

    /// The context a model was trained for: `max_position_embeddings`, times a linear or dynamic
    /// RoPE factor; what a cache holds by default.
    func testTrainedContextLengthIncludesTheRopeFactor() throws {
        XCTAssertEqual(try MiniCPM(directory: fixtureURL("tiny-minicpm")).configuration.trainedContextLength, 2048)
        let linear = try MiniCPM(directory: fixtureURL("rope-linear")).configuration
        XCTAssertEqual(linear.trainedContextLength, 8192)
        XCTAssertEqual(KVCache(configuration: linear).maximumLength, 8192)
        XCTAssertEqual(try MiniCPM(directory: fixtureURL("rope-dynamic")).configuration.trainedContextLength, 16)
    }
}
