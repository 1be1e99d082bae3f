import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import TestSupport
import Tokenizer
import XCTest

/// `minicpm quantize` on a tiny random model, and `logits`/`generate` loading its int4 output: the
/// CLI's logits are those of the same model quantised in-process with the same settings.
final class QuantizeCommandTests: XCTestCase {
    private static let sentences = [
        "In the beginning was the word, and the word was with the model.",
        "The quick brown fox jumps over the lazy dog.",
        "What is the capital of France? Paris is the capital of France.",
        "Small language models can be trained with scalable strategies.",
    ]
    private let probe = [1, 5, 9, 40, 77, 120, 3]

    /// A float checkpoint directory with a SentencePiece tokenizer trained here, and a calibration
    /// text; returns the directory, the text file and the in-memory model and tokenizer.
    /// With `experts` > 0, a mixture of that many experts (top 2).
    private func tinyModel(experts: Int = 0) throws -> (directory: URL, calibration: URL, model: MiniCPM, tokenizer: SentencePieceTokenizer) {
        let root = try makeTemporaryDirectory(prefix: "quantize-cli")
        let directory = root.appendingPathComponent("float")
        var c = MiniCPMConfiguration(vocabularySize: 512, hiddenSize: 64, intermediateSize: 128, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.tieWordEmbeddings = false
        if experts > 0 { (c.expertCount, c.expertsPerToken, c.intermediateSize) = (experts, 2, 32) }
        let model = try MiniCPM(configuration: c, seed: 11)
        try model.save(to: directory)
        var options = TokenizerTrainingOptions(vocabularySize: 300)
        options.addDummyPrefix = false
        let tokenizer = try TokenizerTrainer.train(sentences: Array(repeating: Self.sentences, count: 20).flatMap { $0 },
                                                   options: options)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.model"))
        let calibration = root.appendingPathComponent("calibration.txt")
        try Data(Array(repeating: Self.sentences.joined(separator: " "), count: 3).joined(separator: "\n").utf8).write(to: calibration)
        return (directory, calibration, try MiniCPM(directory: directory), tokenizer)
    }

    /// The windows `quantize` cuts: `count` evenly spaced, non-overlapping windows of `length` tokens.
    private func windows(_ tokens: [Int], count: Int, length: Int) -> [[Int]] {
        let n = min(count, tokens.count / length), last = tokens.count - length
        return (0..<n).map { i in let s = n == 1 ? 0 : i * last / (n - 1); return Array(tokens[s..<s + length]) }
    }

    /// `minicpm logits` on `model` for ``probe``.
    private func cliLogits(_ model: URL) throws -> [Float] {
        let out = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("logits.safetensors")
        let run = try CommandLineTool.run(["logits", "--model", model.path, "--ids", probe.map(String.init).joined(separator: ","),
                                           "--out", out.path])
        XCTAssertEqual(run.status, 0, run.output)
        return try SafetensorsFile(contentsOf: out).tensor(named: "logits").scalars
    }

    private func assertClose(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 1e-4, file: file, line: line)
    }

    func testRoundToNearestDirectoryRunsAsTheInProcessModel() throws {
        let tiny = try tinyModel()
        let out = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("rtn")
        let run = try CommandLineTool.run(["quantize", "--model", tiny.directory.path, "--method", "rtn", "--group-size", "32",
                                           "--out", out.path])
        XCTAssertEqual(run.status, 0, run.output)
        let config = try QuantizeConfig(contentsOf: out.appendingPathComponent("quantize_config.json"))
        XCTAssertEqual(config.method, "rtn")
        XCTAssertEqual(config.groupSize, 32)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("tokenizer.model").path))
        let expected = try quantizeLinearLayers(of: tiny.model, groupSize: 32)
        assertClose(try cliLogits(out), try expected.logits(for: probe).scalars)

        let generated = try CommandLineTool.run(["generate", "--model", out.path, "--prompt", "The quick brown fox",
                                                 "--max-tokens", "3", "--greedy"])
        XCTAssertEqual(generated.status, 0, generated.output)
        XCTAssertTrue(generated.output.contains("generated 3 tokens") || generated.output.contains("stop:"), generated.output)
    }

    func testGPTQDirectoryRunsAsTheInProcessModel() throws {
        let tiny = try tinyModel()
        let text = try String(contentsOf: tiny.calibration, encoding: .utf8)
        let calibration = windows(try tiny.tokenizer.encode(text), count: 3, length: 24)
        XCTAssertEqual(calibration.count, 3)
        for actOrder in [false, true] {
            let out = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("gptq")
            let run = try CommandLineTool.run(["quantize", "--model", tiny.directory.path, "--calibration", tiny.calibration.path,
                                               "--calibration-samples", "3", "--calibration-tokens", "24", "--group-size", "32",
                                               "--damping", "0.02", "--out", out.path] + (actOrder ? ["--act-order"] : []))
            XCTAssertEqual(run.status, 0, run.output)
            XCTAssertTrue(run.output.contains("[14/14] model.layers.1.mlp.down_proj"), run.output)
            let config = try QuantizeConfig(contentsOf: out.appendingPathComponent("quantize_config.json"))
            XCTAssertEqual(config.method, "gptq")
            XCTAssertEqual(config.descAct, actOrder)
            XCTAssertEqual(config.dampPercent, 0.02)
            let options = GPTQOptions(groupSize: 32, dampingFraction: 0.02, actOrder: actOrder, staticGroups: actOrder)
            let expected = try quantizeLinearLayersWithGPTQ(of: tiny.model, calibration: calibration, options: options)
            assertClose(try cliLogits(out), try expected.logits(for: probe).scalars)
        }
    }

    /// `--format gguf` writes llama.cpp's blocks (rounded to nearest, as `saveGGUF` does), which
    /// `logits` then runs in place: the same logits as the in-process model saved the same way.
    func testGGUFOutputRunsAsTheInProcessSave() throws {
        let tiny = try tinyModel()
        for type in ["q4_0", "q8_0"] {
            let out = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("model.\(type).gguf")
            let run = try CommandLineTool.run(["quantize", "--model", tiny.directory.path, "--format", "gguf",
                                               "--gguf-type", type, "--bits", type == "q8_0" ? "8" : "4", "--out", out.path])
            XCTAssertEqual(run.status, 0, run.output)
            let file = try GGUFFile(contentsOf: out)
            XCTAssertEqual(try file.info(named: "blk.0.attn_q.weight").type, type == "q4_0" ? .q4_0 : .q8_0)
            let expectedURL = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("expected.gguf")
            try tiny.model.saveGGUF(to: expectedURL, type: type == "q4_0" ? .q4_0 : .q8_0)
            let expected = try MiniCPM(keepingQuantizedBlocksOfGGUFAt: expectedURL)
            assertClose(try cliLogits(out), try expected.logits(for: probe).scalars)
        }
    }

    /// An MoE checkpoint: `--format gguf` writes llama.cpp's stacked expert tensors in Q4_0 (router
    /// F32), and `logits` runs them kept in blocks, as the in-process save does.
    func testMixtureOfExpertsGGUFOutput() throws {
        let tiny = try tinyModel(experts: 4)
        let out = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("moe.q4_0.gguf")
        let run = try CommandLineTool.run(["quantize", "--model", tiny.directory.path, "--format", "gguf",
                                           "--gguf-type", "q4_0", "--bits", "4", "--out", out.path])
        XCTAssertEqual(run.status, 0, run.output)
        let file = try GGUFFile(contentsOf: out)
        XCTAssertEqual(try file.info(named: "blk.1.ffn_down_exps.weight").type, .q4_0)
        XCTAssertEqual(try file.info(named: "blk.1.ffn_down_exps.weight").shape, [4, 64, 32])
        XCTAssertEqual(try file.info(named: "blk.1.ffn_gate_inp.weight").type, .f32)
        let expectedURL = try makeTemporaryDirectory(prefix: "quantize-cli").appendingPathComponent("expected.gguf")
        try tiny.model.saveGGUF(to: expectedURL, type: .q4_0)
        let expected = try MiniCPM(keepingQuantizedBlocksOfGGUFAt: expectedURL)
        assertClose(try cliLogits(out), try expected.logits(for: probe).scalars)
    }

    func testBadOptionsAreRejectedByName() throws {
        let tiny = try tinyModel()
        let root = try makeTemporaryDirectory(prefix: "quantize-cli")
        let existingFile = root.appendingPathComponent("file")
        try Data("x".utf8).write(to: existingFile)
        let base = ["quantize", "--model", tiny.directory.path, "--calibration", tiny.calibration.path]
        let cases: [([String], String)] = [
            (base + ["--group-size", "48", "--out", root.appendingPathComponent("a").path], "--group-size"),
            // The tiny model's 64-wide layers cannot be cut into groups of 128.
            (base + ["--group-size", "128", "--out", root.appendingPathComponent("a").path], "--group-size 128 does not divide"),
            (base + ["--bits", "3", "--out", root.appendingPathComponent("a").path], "--bits 3"),
            (base + ["--calibration-samples", "0", "--out", root.appendingPathComponent("a").path], "--calibration-samples"),
            (base + ["--calibration-tokens", "-1", "--out", root.appendingPathComponent("a").path], "--calibration-tokens"),
            (base + ["--damping", "1.5", "--out", root.appendingPathComponent("a").path], "--damping"),
            (base + ["--out", existingFile.path], "--out"),
            (base + ["--method", "gptq", "--format", "gguf", "--out", root.appendingPathComponent("b.gguf").path], "--method gptq"),
            (["quantize", "--model", tiny.directory.path, "--calibration", root.appendingPathComponent("none.txt").path,
              "--out", root.appendingPathComponent("a").path], "--calibration"),
            (["quantize", "--model", root.appendingPathComponent("missing").path, "--method", "rtn",
              "--out", root.appendingPathComponent("a").path], "--model"),
            (["quantize", "--model", tiny.directory.path, "--out", root.appendingPathComponent("a").path], "--calibration"),
        ]
        for (arguments, needle) in cases {
            let run = try CommandLineTool.run(arguments)
            XCTAssertNotEqual(run.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(run.output.contains(needle), "\(arguments.joined(separator: " ")): \(run.output)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("a").path))
    }
}
