import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
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
        let (status, output) = try run(["chat", "--model", model.path, "--max-tokens", "24", "--greedy"],
                                       input: "What is the capital of France?\nAnd of Germany?\n/quit\nignored\n")
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("The capital of France is Paris."), output)
        XCTAssertTrue(output.contains("Berlin"), output)
        XCTAssertTrue(output.contains("cached"), output)
        XCTAssertFalse(output.contains("ignored"), output)
    }

    /// The `(default: …)` that `--help` shows for each option, by option name (every long name of an
    /// option with several gets it). An option's entry starts on a line indented by two spaces with
    /// its names, and goes on over the lines indented further.
    private func helpDefaults(_ command: String) throws -> [String: String] {
        let (status, help) = try run([command, "--help"])
        XCTAssertEqual(status, 0, help)
        var entries: [(names: [String], text: String)] = []
        for line in help.split(separator: "\n").map(String.init) {
            if line.hasPrefix("  -") {
                // The names end where the description begins, after a run of spaces.
                let header = line.dropFirst(2).components(separatedBy: "  ").first ?? ""
                let names = header.split(whereSeparator: { $0 == " " || $0 == "," })
                    .filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) }
                entries.append((names, line))
            } else if line.hasPrefix("   "), !entries.isEmpty {
                entries[entries.count - 1].text += " " + line.trimmingCharacters(in: .whitespaces)
            }
        }
        var defaults: [String: String] = [:]
        for entry in entries {
            guard let start = entry.text.range(of: "(default: "),
                  let end = entry.text[start.upperBound...].firstIndex(of: ")") else { continue }
            for name in entry.names { defaults[name] = String(entry.text[start.upperBound..<end]) }
        }
        return defaults
    }

    /// `chat` samples with llama.cpp's defaults; `generate` stays greedy; both take --min-p and the
    /// repetition window.
    func testChatDefaultsAreLlamaCppsAndGenerateIsGreedy() throws {
        let chat = try helpDefaults("chat")
        XCTAssertEqual(chat["temperature"], "0.8")
        XCTAssertEqual(chat["top-k"], "40")
        XCTAssertEqual(chat["top-p"], "0.95")
        XCTAssertEqual(chat["min-p"], "0.05")
        XCTAssertEqual(chat["repetition-penalty"], "1.0")
        XCTAssertEqual(chat["repetition-window"], "64")
        XCTAssertEqual(chat["repeat-last-n"], "64")
        XCTAssertEqual(chat["seed"], "0")
        XCTAssertEqual(chat["max-tokens"], "512")
        let generate = try helpDefaults("generate")
        XCTAssertEqual(generate["temperature"], "0.0")
        XCTAssertEqual(generate["top-k"], "0")
        XCTAssertEqual(generate["top-p"], "1.0")
        XCTAssertEqual(generate["min-p"], "0.0")
        XCTAssertEqual(generate["repetition-penalty"], "1.0")
        XCTAssertEqual(generate["max-tokens"], "64")
    }

    /// On the real model: `chat` reports the sampling defaults it runs with, `--greedy` gives the
    /// reference answer, and `generate` answers the same question in plain ChatML greedily,
    /// streaming text from the file's own tokenizer.
    func testChatSamplesByDefaultAndGreedyAndGenerateGiveTheReferenceAnswer() throws {
        let model = try smolLM2URL()
        let question = "What is the capital of France?"
        let sampled = try run(["chat", "--model", model.path, "--prompt", question, "--max-tokens", "24"])
        XCTAssertEqual(sampled.status, 0, sampled.output)
        XCTAssertTrue(sampled.output.contains("Sampling: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, seed 0\n"),
                      sampled.output)

        let greedy = try run(["chat", "--model", model.path, "--prompt", question, "--max-tokens", "24", "--greedy"])
        XCTAssertEqual(greedy.status, 0, greedy.output)
        XCTAssertTrue(greedy.output.contains("Sampling: greedy\n"), greedy.output)
        XCTAssertTrue(greedy.output.contains("The capital of France is Paris.\n"), greedy.output)

        let generated = try run(["generate", "--model", model.path, "--prompt", question, "--chat",
                                 "--template", "chatml", "--max-tokens", "24"])
        XCTAssertEqual(generated.status, 0, generated.output)
        let lines = generated.output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "The capital of France is Paris.")
        XCTAssertTrue(lines.last?.hasPrefix("prompt 16 tokens,") == true, generated.output)
        XCTAssertTrue(generated.output.contains("generated 7 tokens,"), generated.output)
        XCTAssertTrue(generated.output.contains("stop: stopToken(2)"), generated.output)
    }

    /// `generate` with a plain text prompt on the GGUF file: no BOS (SmolLM2's add_bos_token is
    /// false), so the prompt is exactly the tokenizer's ids of the text.
    func testGenerateContinuesPlainTextWithoutBOSForSmolLM2() throws {
        let model = try smolLM2URL()
        let text = "The capital of France is"
        let expectedCount = try GGUFFile(contentsOf: model).makeTokenizer().encode(text).count
        let (status, output) = try run(["generate", "--model", model.path, "--prompt", text, "--max-tokens", "4"])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.hasPrefix(" Paris."), output)
        XCTAssertTrue(output.contains("prompt \(expectedCount) tokens,"), output)
        XCTAssertTrue(output.contains("generated 4 tokens"), output)
    }

    func testChatNamesAMissingModel() throws {
        let (status, output) = try run(["chat", "--model", "/nonexistent/model.gguf", "--prompt", "Hi"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("/nonexistent/model.gguf"), output)
    }
}
