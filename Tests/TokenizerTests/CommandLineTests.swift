import TestSupport
import Foundation
import Tokenizer
import XCTest

/// Runs the `minicpm` executable that `swift test` builds beside the test bundle.
final class CommandLineTests: XCTestCase {
    func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        try CommandLineTool.run(arguments, input: input.map { Data($0.utf8) })
    }

    /// Runs the tool with `input` (any bytes) on its standard input.
    func run(_ arguments: [String], bytes input: Data?) throws -> (status: Int32, output: String) {
        try CommandLineTool.run(arguments, input: input)
    }

    var model: String { fixtureURL("tokenizer.model.v1").path }

    func testTokenizePrintsIDsAndPieces() throws {
        let item = Golden.shared.cases.first { $0.name == "mixed languages" }!
        let (status, output) = try run(["tokenize", "--tokenizer", model, "--text", item.text])
        XCTAssertEqual(status, 0, output)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], item.ids.map(String.init).joined(separator: ","))
        for (index, (id, piece)) in zip(item.ids, item.pieces).enumerated() {
            XCTAssertEqual(lines[1 + index], "\(id)\t\(piece)")
        }
        XCTAssertTrue(lines[1 + item.ids.count].hasPrefix("\(item.ids.count) tokens"), output)
    }

    func testTokenizeFromStandardInputWithBOSAndEOS() throws {
        let (status, output) = try run(["tokenize", "--tokenizer", model, "--bos", "--eos"], input: "Hello world\n")
        XCTAssertEqual(status, 0, output)
        let ids = [1] + (try mistral.encode("Hello world")) + [2]
        XCTAssertEqual(output.split(separator: "\n").first.map(String.init), ids.map(String.init).joined(separator: ","))
    }

    /// Issue 11, hole 8: the empty text reports the tokenizer's real vocabulary (it printed
    /// "vocabulary 0": `String(format:)` was given an Int for `%.2f`).
    func testTokenizeEmptyTextReportsTheVocabulary() throws {
        let (status, output) = try run(["tokenize", "--tokenizer", model, "--text", ""])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output, "\n0 tokens (0 control), 0 bytes of text, 0.00 bytes/token; vocabulary 32000\n")
        let hello = try run(["tokenize", "--tokenizer", model, "--text", "Hello world"])
        XCTAssertTrue(hello.output.hasSuffix("2 tokens (0 control), 11 bytes of text, 5.50 bytes/token; vocabulary 32000\n"),
                      hello.output)
    }

    /// Issue 11, hole 8: standard input that is not UTF-8 is refused with its byte offset, not
    /// repaired into U+FFFD and tokenized.
    func testTokenizeRefusesStandardInputThatIsNotUTF8() throws {
        let (status, output) = try run(["tokenize", "--tokenizer", model], bytes: Data([0x48, 0x69, 0x20, 0xFF, 0x21, 0x0A]))
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("Error: standard input is not valid UTF-8: ill-formed sequence at byte offset 3 (byte 0xFF)"),
                      output)
        XCTAssertFalse(output.contains("tokens ("), output)
    }

    /// Issue 11, hole 8: `--text` with bytes that are not UTF-8 (through a shell: `Process` takes
    /// Swift strings, always valid) is refused with the option and the offset.
    func testTokenizeRefusesTextThatIsNotUTF8() throws {
        // An overlong encoding of "/" (C0 AF) after "abc".
        let (status, output) = try CommandLineTool.runThroughShell("tokenize --tokenizer \"$1\" --text \"$(printf 'abc\\300\\257')\"",
                                                                   parameters: [model])
        XCTAssertEqual(status, 64, output)
        XCTAssertEqual(output, "Error: --text is not valid UTF-8: ill-formed sequence at byte offset 3 (byte 0xC0)\n")
    }

    func testTokenizeDecodesIDs() throws {
        let (status, output) = try run(["tokenize", "--tokenizer", model, "--ids", "1,22557,28725,1526"])
        XCTAssertEqual(status, 0, output)
        XCTAssertEqual(output, "Hello, world\n")
    }

    func testTokenizeErrorsNameTheFileOrValue() throws {
        let missing = try run(["tokenize", "--tokenizer", "/nonexistent/tokenizer.model", "--text", "x"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("/nonexistent/tokenizer.model"), missing.output)
        let notAModel = fixtureURL("corpus.txt").path
        let bad = try run(["tokenize", "--tokenizer", notAModel, "--text", "x"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.output.contains("is not a SentencePiece model"), bad.output)
        let range = try run(["tokenize", "--tokenizer", model, "--ids", "5,32000"])
        XCTAssertNotEqual(range.status, 0)
        XCTAssertTrue(range.output.contains("token id 32000 at index 1"), range.output)
    }

    /// `generate --tokenizer --prompt [--chat]` on the tiny 512-id checkpoint of MiniCPMModelTests,
    /// with a 512-piece tokenizer trained here: the streamed text is the decoding of the ids that
    /// `--prompt-ids` produces for the same prompt.
    func testGenerateStreamsText() throws {
        let checkpoint = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../MiniCPMModelTests/Fixtures/tiny-minicpm").standardizedFileURL
        guard FileManager.default.fileExists(atPath: checkpoint.appendingPathComponent("config.json").path) else {
            throw XCTSkip("no tiny-minicpm checkpoint at \(checkpoint.path)")
        }
        let english = try corpusLines().filter { $0.unicodeScalars.allSatisfy(\.isASCII) }
        let tokenizer = try TokenizerTrainer.train(sentences: english, options: TokenizerTrainingOptions(vocabularySize: 512))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: url) }
        try tokenizer.write(to: url)

        for chat in [false, true] {
            let prompt = chat ? try MiniCPMChatTemplate().encode([.user("And God said")], tokenizer: tokenizer)
                              : try tokenizer.encode("And God said", addBOS: true)
            let reference = try run(["generate", "--model", checkpoint.path, "--prompt-ids",
                                     prompt.map(String.init).joined(separator: ","), "--max-tokens", "10"])
            XCTAssertEqual(reference.status, 0, reference.output)
            let ids = reference.output.split(separator: "\n")[0].split(separator: ",").map { Int($0)! }
            let text = try run(["generate", "--model", checkpoint.path, "--tokenizer", url.path,
                                "--prompt", "And God said", "--max-tokens", "10"] + (chat ? ["--chat"] : []))
            XCTAssertEqual(text.status, 0, text.output)
            let lines = text.output.split(separator: "\n", omittingEmptySubsequences: false)
            let streamed = lines.dropLast(2).joined(separator: "\n")
            XCTAssertEqual(streamed, try tokenizer.decode(ids), "chat: \(chat)")
            XCTAssertTrue(text.output.contains("prompt \(prompt.count) tokens"), text.output)
        }
    }

    func testGenerateValidatesItsOptions() throws {
        let noTokenizer = try run(["generate", "--model", "/tmp", "--prompt", "hi"])
        XCTAssertNotEqual(noTokenizer.status, 0)
        XCTAssertTrue(noTokenizer.output.contains("--prompt needs --tokenizer"), noTokenizer.output)
        let both = try run(["generate", "--model", "/tmp", "--prompt", "hi", "--prompt-ids", "1"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.output.contains("exactly one of --prompt-ids and --prompt"), both.output)
    }
}
