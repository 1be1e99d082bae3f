import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Runs the `minicpm` executable that `swift test` builds beside the test bundle.
final class CommandLineToolTests: XCTestCase {
    func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let tool = Bundle.main.bundleURL.appendingPathComponent("minicpm")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            throw XCTSkip("minicpm executable not built beside the tests (\(tool.path))")
        }
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input.utf8))
            try inputPipe.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testGenerateReproducesTheReferenceGreedyIDs() throws {
        let dir = fixtureURL("tiny-minicpm")
        let expected = try SafetensorsFile(contentsOf: dir.appendingPathComponent("expected.safetensors"))
        let prompt = try expected.int32s(named: "input_ids").map(String.init).joined(separator: ",")
        let greedy = try expected.int32s(named: "greedy_ids").map(String.init).joined(separator: ",")
        let (status, output) = try run(["generate", "--model", dir.path, "--prompt-ids", prompt, "--max-tokens", "8"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init), greedy)
        XCTAssertTrue(output.contains("decode"), output)
    }

    /// A GGUF file converted from a fixture by gguf-py generates the fixture's greedy ids.
    func testGenerateFromAGGUFFileReproducesTheReferenceGreedyIDs() throws {
        let expected = try ExpectedOutput(fixture: "float16-weights")
        let gguf = fixtureURL("gguf").appendingPathComponent("minicpm-f32.gguf")
        let prompt = expected.ids.map(String.init).joined(separator: ",")
        let (status, output) = try run(["generate", "--model", gguf.path, "--prompt-ids", prompt,
                                        "--max-tokens", "\(expected.greedy.count)"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init),
                       expected.greedy.map(String.init).joined(separator: ","))
    }

    func testLogitsWritesTheFullForward() throws {
        let dir = fixtureURL("tiny-minicpm")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("logits-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let (status, output) = try run(["logits", "--model", dir.path, "--ids", "1,316,505", "--out", out.path])
        XCTAssertEqual(status, 0, output)
        let logits = try SafetensorsFile(contentsOf: out).tensor(named: "logits")
        XCTAssertEqual(logits.shape, [3, 512])
        let model = try MiniCPM(directory: dir)
        XCTAssertEqual(logits, try withoutGradients { try model.logits(for: [1, 316, 505]) })
    }

    func testBadInputIsAClearErrorNotACrash() throws {
        let dir = fixtureURL("tiny-minicpm")
        let (status, output) = try run(["logits", "--model", dir.path, "--ids", "1,512", "--out", "/tmp/unused.safetensors"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("token id 512 is outside the vocabulary 0..<512"), output)
        let missing = try run(["generate", "--model", "/nonexistent-model", "--prompt-ids", "1"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("/nonexistent-model/config.json"), missing.output)
    }

    /// `minicpm chat` on the real model, interactively: two turns from standard input, the second
    /// continuing the first's cache, then `/quit`.
    func testChatAnswersFromStandardInputAndKeepsTheConversation() throws {
        let model = try smolLM2URL()
        let (status, output) = try run(["chat", "--model", model.path, "--max-tokens", "24"],
                                       input: "What is the capital of France?\nAnd of Germany?\n/quit\nignored\n")
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("The capital of France is Paris."), output)
        XCTAssertTrue(output.contains("Berlin"), output)
        XCTAssertTrue(output.contains("cached"), output)
        XCTAssertFalse(output.contains("ignored"), output)
    }

    func testChatNamesAMissingModel() throws {
        let (status, output) = try run(["chat", "--model", "/nonexistent/model.gguf", "--prompt", "Hi"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("/nonexistent/model.gguf"), output)
    }
}
