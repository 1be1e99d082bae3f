import TestSupport
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import XCTest

/// Runs the `minicpm` executable that `swift test` builds beside the test bundle.
final class CommandLineToolTests: XCTestCase {
    func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        try CommandLineTool.run(arguments, input: input.map { Data($0.utf8) })
    }

    /// Runs the tool with `bytes` (any bytes, UTF-8 or not) on its standard input.
    func run(_ arguments: [String], bytes input: Data?) throws -> (status: Int32, output: String) {
        try CommandLineTool.run(arguments, input: input)
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

    /// `--kv-cache f16` generates the same greedy ids; an unknown storage is a usage error.
    func testGenerateWithAHalfPrecisionCache() throws {
        let dir = fixtureURL("tiny-minicpm")
        let expected = try ExpectedOutput(fixture: "tiny-minicpm")
        let prompt = expected.ids.map(String.init).joined(separator: ",")
        let (status, output) = try run(["generate", "--model", dir.path, "--prompt-ids", prompt, "--max-tokens", "8",
                                        "--kv-cache", "f16"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init), expected.greedy.map(String.init).joined(separator: ","))
        let bad = try run(["generate", "--model", dir.path, "--prompt-ids", prompt, "--kv-cache", "q8"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("kv-cache"), bad.output)
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
        XCTAssertTrue(missing.output.contains("/nonexistent-model is not a model: no such file or directory; expected a GGUF file"),
                      missing.output)
    }

    // MARK: Issue 11, hole 9: --model is recognised by content, and a wrong one says what was expected

    /// A file that is neither a GGUF file nor a directory: every command that takes --model names
    /// it, what it starts with and the two formats it could have been (it used to say
    /// "checkpoint file not found: …/config.json").
    func testAModelThatIsNeitherFormatSaysWhatWasExpected() throws {
        let config = fixtureURL("tiny-minicpm").appendingPathComponent("config.json")
        let hex = Array(try Data(contentsOf: config).prefix(4)).map { String(format: "%02X", $0) }.joined(separator: " ")
        let expected = "\(config.path) is not a model: the file starts with the bytes \(hex), not \"GGUF\"; "
            + "expected a GGUF file (starting with the bytes \"GGUF\") or a Hugging Face checkpoint directory"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("unused-\(UUID().uuidString).safetensors")
        for arguments in [["generate", "--model", config.path, "--prompt-ids", "1"],
                          ["chat", "--model", config.path, "--prompt", "Hi"],
                          ["logits", "--model", config.path, "--ids", "1", "--out", out.path]] {
            let (status, output) = try run(arguments)
            XCTAssertNotEqual(status, 0, "\(arguments): \(output)")
            XCTAssertTrue(output.contains(expected), "\(arguments): \(output)")
            XCTAssertFalse(output.contains("config.json/config.json"), output)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// A GGUF file is recognised by its magic, not its extension.
    func testAGGUFFileWithoutTheExtensionGenerates() throws {
        let expected = try ExpectedOutput(fixture: "float16-weights")
        let renamed = FileManager.default.temporaryDirectory.appendingPathComponent("weights-\(UUID().uuidString).bin")
        try FileManager.default.copyItem(at: fixtureURL("gguf").appendingPathComponent("minicpm-f32.gguf"), to: renamed)
        defer { try? FileManager.default.removeItem(at: renamed) }
        let (status, output) = try run(["generate", "--model", renamed.path,
                                        "--prompt-ids", expected.ids.map(String.init).joined(separator: ","),
                                        "--max-tokens", "\(expected.greedy.count)"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init),
                       expected.greedy.map(String.init).joined(separator: ","))
    }

    // MARK: Issue 11, hole 5: numbers that must be positive

    /// Every numeric option out of its range is a usage error before anything is loaded (`--threads
    /// 0` and `-4` used to run).
    func testNumericOptionsOutOfRangeAreUsageErrors() throws {
        let dir = fixtureURL("tiny-minicpm").path
        let generate = ["generate", "--model", dir, "--prompt-ids", "1,2", "--max-tokens", "2"]
        let cases: [([String], String)] = [
            (generate + ["--threads", "0"], "--threads must be in 1...1024, not 0."),
            (generate + ["--threads=-4"], "--threads must be in 1...1024, not -4."),
            (generate + ["--threads", "5000"], "--threads must be in 1...1024, not 5000."),
            (generate + ["--top-k=-1"], "--top-k must be >= 0 (0 disables), not -1."),
            (generate + ["--top-p", "0"], "--top-p must be in (0, 1] (1 disables), not 0.0."),
            (generate + ["--top-p", "1.5"], "--top-p must be in (0, 1] (1 disables), not 1.5."),
            (generate + ["--min-p", "2"], "--min-p must be in [0, 1] (0 disables), not 2.0."),
            (generate + ["--temperature", "nan"], "--temperature must be finite and >= 0 (0 is greedy), not nan."),
            (generate + ["--temperature=-1"], "--temperature must be finite and >= 0 (0 is greedy), not -1.0."),
            (generate + ["--repetition-penalty", "0"], "--repetition-penalty must be finite and > 0 (1 disables), not 0.0."),
            (generate + ["--repeat-last-n=-1"], "--repetition-window must be >= 0, not -1."),
            (generate + ["--max-tokens=-1"], "--max-tokens must be >= 0, not -1."),
            (["chat", "--model", dir, "--prompt", "Hi", "--max-tokens", "0"], "--max-tokens must be > 0, not 0."),
            (["chat", "--model", dir, "--prompt", "Hi", "--context-length", "0"], "--context-length must be > 0, not 0."),
            (["chat", "--model", dir, "--context-length=-1"], "--context-length must be > 0, not -1."),
            (["chat", "--model", dir, "--threads", "0"], "--threads must be in 1...1024, not 0."),
        ]
        for (arguments, message) in cases {
            let (status, output) = try run(arguments, input: "Hello\n")
            XCTAssertEqual(status, 64, "\(arguments): \(output)")   // EX_USAGE, ArgumentParser's validation failure
            XCTAssertTrue(output.contains("Error: \(message)"), "\(arguments): \(output)")
        }
        // In range: runs.
        let ok = try run(generate + ["--threads", "1", "--top-k", "0", "--repeat-last-n", "0"])
        XCTAssertEqual(ok.status, 0, ok.output)
        XCTAssertTrue(ok.output.contains("generated 2 tokens"), ok.output)
    }

    /// A checkpoint directory that `chat` can run: the tiny fixture's weights, a SentencePiece
    /// tokenizer trained here to fit its 512 ids, and MiniCPM's chat template.
    private func chatModelDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chat-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtureURL("tiny-minicpm").appendingPathComponent(name),
                                             to: directory.appendingPathComponent(name))
        }
        let sentences = ["In the beginning was the word, and the word was with the model.",
                         "The quick brown fox jumps over the lazy dog.",
                         "What is the capital of France? Paris is the capital of France.",
                         "Small language models can be trained with scalable strategies."]
        var options = TokenizerTrainingOptions(vocabularySize: 400)
        options.userDefinedSymbols = ["<用户>", "<AI>"]
        options.addDummyPrefix = false
        let tokenizer = try TokenizerTrainer.train(sentences: Array(repeating: sentences, count: 20).flatMap { $0 },
                                                   options: options)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.model"))
        let jinja = "{% for message in messages %}{% if message['role'] == 'user' %}{{'<用户>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}{% endif %}{% endfor %}"
        try JSONSerialization.data(withJSONObject: ["chat_template": jinja])
            .write(to: directory.appendingPathComponent("tokenizer_config.json"))
        return directory
    }

    /// A chat read from a pipe whose turns fail ends with an error, not exit 0 (it used to print an
    /// error per turn and exit 0).
    func testChatWhoseTurnsFailFromStandardInputExitsNonZero() throws {
        let model = try chatModelDirectory()
        let failing = try run(["chat", "--model", model.path, "--context-length", "3", "--max-tokens", "2", "--greedy"],
                              input: "Hello there, how are you today?\nWhat is the capital of France?\n")
        XCTAssertEqual(failing.status, 1, failing.output)
        XCTAssertTrue(failing.output.contains("Error: 2 of 2 turns failed"), failing.output)
        XCTAssertTrue(failing.output.contains("error: "), failing.output)

        let fine = try run(["chat", "--model", model.path, "--max-tokens", "2", "--greedy"], input: "Hello there\n")
        XCTAssertEqual(fine.status, 0, fine.output)
        XCTAssertTrue(fine.output.contains("reply 2 tokens"), fine.output)
    }

    /// A context longer than the model was trained for runs, with a warning (as llama.cpp's
    /// "possible training context overflow"); one within it says nothing.
    func testChatWarnsAboutAContextBeyondTheTrainedOne() throws {
        let model = try chatModelDirectory()
        let beyond = try run(["chat", "--model", model.path, "--prompt", "Hello", "--max-tokens", "2", "--greedy",
                              "--context-length", "4096"])
        XCTAssertEqual(beyond.status, 0, beyond.output)
        XCTAssertTrue(beyond.output.contains("warning: --context-length 4096 is more than the model's trained context of 2048 tokens"),
                      beyond.output)
        let within = try run(["chat", "--model", model.path, "--prompt", "Hello", "--max-tokens", "2", "--greedy",
                              "--context-length", "2048"])
        XCTAssertEqual(within.status, 0, within.output)
        XCTAssertFalse(within.output.contains("warning"), within.output)
    }

    // MARK: Issue 11, hole 8: text that is not UTF-8 is refused, not repaired

    /// A chat line that is not UTF-8 is refused with its line and byte offset; the other lines are
    /// answered, and the run fails.
    func testChatRefusesALineThatIsNotUTF8() throws {
        let model = try chatModelDirectory()
        var input = Data("Hello there\n".utf8)
        input += Data([0x48, 0x69, 0x20, 0xC3, 0x28, 0x0A])   // "Hi " + a lead byte with no continuation
        let (status, output) = try run(["chat", "--model", model.path, "--max-tokens", "2", "--greedy"], bytes: input)
        XCTAssertEqual(status, 1, output)
        XCTAssertTrue(output.contains("error: line 2 of standard input is not valid UTF-8: ill-formed sequence at byte offset 3 (byte 0xC3)"),
                      output)
        XCTAssertTrue(output.contains("reply 2 tokens"), output)   // the first line was answered
        XCTAssertTrue(output.contains("Error: 1 of 2 turns failed"), output)
        XCTAssertFalse(output.contains("\u{FFFD}"), output)
    }

    /// `chat --prompt` or `--system` with bytes that are not UTF-8 (passed through a shell, since
    /// `Process` takes Swift strings, which are always valid) is refused before anything runs (it
    /// used to chat about U+FFFD and exit 0).
    func testPromptThatIsNotUTF8IsRefused() throws {
        let model = try chatModelDirectory().path
        for (form, source, offset) in [("--prompt \"$(printf 'ab\\377c')\"", "--prompt", 2),
                                       ("--prompt Hi \"--system=$(printf 'x\\355\\240\\200')\"", "--system", 1)] {
            let (status, output) = try CommandLineTool.runThroughShell("chat --model \"$1\" \(form) --max-tokens 1 --greedy",
                                                                       parameters: [model])
            XCTAssertEqual(status, 64, output)
            XCTAssertTrue(output.contains("Error: \(source) is not valid UTF-8: ill-formed sequence at byte offset \(offset)"),
                          "\(form): \(output)")
        }
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
