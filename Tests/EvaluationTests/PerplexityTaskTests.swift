import Evaluation
import Foundation
import MiniCPMModel
import Tokenizer
import TestSupport
import XCTest

/// Scores `−1/v` for a token seen after `v` tokens in the same call: a model whose scores reveal the
/// context each window gives, so the strided windows' sum can be worked out by hand.
private final class VisibleTokensModel: EvaluatedModel, @unchecked Sendable {
    var calls: [(context: Int, predicted: Int)] = []
    var name: String { "visible" }
    var tokenizer: any TextTokenizer { ByteTokenizer() }
    func contextTokens(for text: String) throws(EvaluationError) -> [Int] { [256] + text.utf8.map(Int.init) }
    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        calls.append((context.count, continuations[0].count))
        return continuations.map { $0.indices.map { -1 / Float(context.count + $0) } }
    }
    func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        throw .model(model: name, reason: "not a generator")
    }
}

/// `"method": "perplexity"` tasks: strided windows, the exact scores on ``BigramModel``, the report,
/// the log, resuming, JSON Lines documents and the errors.
final class PerplexityTaskTests: XCTestCase {
    /// Six tokens, windows of 4 moved by 2: tokens 1–3 after BOS (v = 1, 2, 3), tokens 4–5 after
    /// tokens 2–3 (v = 2, 3), token 6 after tokens 4–5 (v = 2): 1 + 1/2 + 1/3 + 1/2 + 1/3 + 1/2.
    func testStridedWindowsGiveEachTokenItsContext() throws {
        let model = VisibleTokensModel()
        let result = try TextPerplexity.measure(text: "abcdef", model: model, contextLength: 4, stride: 2)
        XCTAssertEqual(model.calls.map(\.context), [1, 2, 2])
        XCTAssertEqual(model.calls.map(\.predicted), [3, 2, 1])
        XCTAssertEqual(result.tokenCount, 6)
        XCTAssertEqual(result.negativeLogLikelihood, 1 + 0.5 + 1.0 / 3 + 0.5 + 1.0 / 3 + 0.5, accuracy: 1e-6)
        // Stride 1: after the first window, one token per call after the 3 before it.
        let one = VisibleTokensModel()
        let slid = try TextPerplexity.measure(text: "abcdef", model: one, contextLength: 4, stride: 1)
        XCTAssertEqual(one.calls.map(\.context), [1, 3, 3, 3])
        XCTAssertEqual(slid.negativeLogLikelihood, 1 + 0.5 + 1.0 / 3 + 3.0 / 3, accuracy: 1e-6)
        // The disjoint windows of `windowLength` are contextLength windowLength + 1, stride windowLength.
        let disjoint = VisibleTokensModel()
        _ = try TextPerplexity.measure(text: "abcdef", model: disjoint, windowLength: 4)
        XCTAssertEqual(disjoint.calls.map(\.context), [1, 1])
        XCTAssertEqual(disjoint.calls.map(\.predicted), [4, 2])
        for (length, stride) in [(1, 1), (4, 0), (4, 4), (4, -1)] {
            XCTAssertThrowsError(try TextPerplexity.measure(text: "abc", model: model, contextLength: length, stride: stride))
        }
    }

    /// A task file beside its text, as a user writes them.
    private func task(_ text: [String: Any], in directory: URL, metric: String = "token_perplexity") throws -> TaskSpecification {
        let json = try JSONSerialization.data(withJSONObject: ["name": "my_ppl", "method": "perplexity", "metric": metric, "text": text])
        let url = directory.appendingPathComponent("my_ppl.json")
        try json.write(to: url)
        return try TaskSpecification.load(from: url)
    }

    /// The bigram of "abab" (BOS→a once; a→b twice; b→a once, b→EOS once) on "abba":
    /// P(a|BOS) = 2/259, P(b|a) = 3/260, P(b|b) = 1/260, P(a|b) = 2/260. So the summed −ln P is
    /// ln(259/2 · 260/3 · 260 · 130), the perplexity per token that product to the 1/4, bits per
    /// byte its log2 over 4 bytes, and per word (one word) the product itself.
    func testPerplexityTaskIsExactOnTheBigramModel() throws {
        let directory = try makeTemporaryDirectory(prefix: "perplexity")
        try Data("abba".utf8).write(to: directory.appendingPathComponent("text.txt"))
        let task = try task(["file": "text.txt", "window": 3], in: directory)
        XCTAssertEqual(task.text?.file, directory.appendingPathComponent("text.txt").path, "relative to the task file")
        XCTAssertFalse(task.countsInAverages)
        let out = directory.appendingPathComponent("out")
        let model = CountingModel(BigramModel(trainingText: "abab"))
        let result = try TaskRunner(model: model).run(task, outputDirectory: out)

        let product = 259.0 / 2 * 260.0 / 3 * 260 * 130
        XCTAssertEqual(result.count, 1)
        XCTAssertEqual(result.scoreMetric, "token_perplexity")
        XCTAssertEqual(try XCTUnwrap(result.score), pow(product, 0.25), accuracy: 1e-4 * pow(product, 0.25))
        XCTAssertEqual(try XCTUnwrap(result.metric("bits_per_byte")), log2(product) / 4, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(result.metric("word_perplexity")), product, accuracy: 1e-4 * product)
        XCTAssertFalse(result.countsInAverages)
        XCTAssertTrue(result.notes.contains { $0.contains("windows of 3 tokens moved by 1") }, "\(result.notes)")
        XCTAssertEqual(model.scoringCalls, 3, "window 3, stride 1: two tokens, then one and one")

        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let line = try String(contentsOf: out.appendingPathComponent("my_ppl.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(line.count, 1)
        let record = try decoder.decode(InstanceRecord.self, from: Data(line[0].utf8))
        XCTAssertEqual(record.id, "text.txt")
        XCTAssertEqual(record.tokenCount, 4)
        XCTAssertEqual(record.byteCount, 4)
        XCTAssertEqual(record.wordCount, 1)
        XCTAssertEqual(try XCTUnwrap(record.negativeLogLikelihood), log(product), accuracy: 1e-5)
        XCTAssertEqual(record.window, 3)
        XCTAssertEqual(record.stride, 1)

        // The report prints perplexity as it is, outside the averages.
        let report = EvaluationReport(model: "bigram", results: [result])
        XCTAssertNil(report.average)
        XCTAssertTrue(report.markdown.contains(String(format: "| my_ppl | token_perplexity (bits_per_byte %.4f, word_perplexity %.4f), not averaged | %.4f | 1 |",
                                                      log2(product) / 4, result.metric("word_perplexity")!, result.score!)), report.markdown)

        // Resumed: nothing asked again; another stride measures again.
        let again = CountingModel(BigramModel(trainingText: "abab"))
        XCTAssertEqual(try TaskRunner(model: again).run(task, outputDirectory: out), result)
        XCTAssertEqual(again.scoringCalls, 0)
        var other = task
        other.text?.stride = 2
        _ = try TaskRunner(model: again).run(other, outputDirectory: out)
        XCTAssertEqual(again.scoringCalls, 2)
    }

    /// JSON Lines documents pool their sums: "abba" as above, "ba" P(b|BOS) = 1/259, P(a|b) = 2/260.
    func testJSONLinesDocumentsArePooled() throws {
        let directory = try makeTemporaryDirectory(prefix: "perplexity")
        try Data("{\"text\": \"abba\", \"id\": 1}\n{\"text\": \"ba\"}\n".utf8).write(to: directory.appendingPathComponent("docs.jsonl"))
        let task = try task(["file": "docs.jsonl", "field": "text"], in: directory, metric: "bits_per_byte")
        let model = BigramModel(trainingText: "abab", contextLength: 64)
        let result = try TaskRunner(model: model).run(task)
        let product = (259.0 / 2 * 260.0 / 3 * 260 * 130) * (259.0 * 130)
        XCTAssertEqual(result.count, 2)
        XCTAssertEqual(try XCTUnwrap(result.score), log2(product) / 6, accuracy: 1e-5)
        XCTAssertEqual(try XCTUnwrap(result.metric("word_perplexity")), product.squareRoot(), accuracy: 1e-4 * product.squareRoot())
        XCTAssertTrue(result.notes.contains { $0.contains("windows of 64 tokens moved by 32") }, "the model's context, half of it: \(result.notes)")
        XCTAssertEqual(try TaskRunner(model: model).run(task, limit: 1).count, 1)
    }

    func testBadTextSourcesNameTheFileAndField() throws {
        let directory = try makeTemporaryDirectory(prefix: "perplexity")
        let model = BigramModel(trainingText: "abab")
        func fileError(_ text: [String: Any]) throws -> String {
            let specification = try task(text, in: directory)
            do {
                _ = try TaskRunner(model: model).run(specification)
                XCTFail("accepted \(text)")
            } catch let .invalidFile(path, reason) {
                return path + ": " + reason
            } catch {
                XCTFail("\(error)")
            }
            return ""
        }
        XCTAssertTrue(try fileError(["file": "missing.txt"]).contains("missing.txt: no such text file"))
        try Data("{\"body\": \"x\"}\n".utf8).write(to: directory.appendingPathComponent("docs.jsonl"))
        XCTAssertTrue(try fileError(["file": "docs.jsonl", "field": "text"]).contains("line 1: no string field \"text\""))
        try Data().write(to: directory.appendingPathComponent("empty.txt"))
        XCTAssertTrue(try fileError(["file": "empty.txt"]).contains("empty.txt: empty"))

        func settingField(_ text: [String: Any], method: String = "perplexity", metric: String = "bits_per_byte") -> String? {
            let json = try! JSONSerialization.data(withJSONObject: ["name": "p", "method": method, "metric": metric, "text": text])
            do {
                _ = try TaskSpecification.decode(json, path: "p.json")
            } catch let .invalidSetting(task, field, reason) {
                XCTAssertTrue(task.contains("p.json"), task)
                return field + ": " + reason
            } catch {
                XCTFail("\(error)")
            }
            return nil
        }
        XCTAssertEqual(settingField(["file": "t.txt", "window": -5]), "text.window: -5 must be >= 2 (a context token and a predicted one)")
        XCTAssertEqual(settingField(["file": "t.txt", "window": 8, "stride": 8]), "text.stride: 8 must be < text.window (8)")
        XCTAssertEqual(settingField(["file": "t.txt", "stride": 0]), "text.stride: 0 must be >= 1")
        XCTAssertEqual(settingField(["file": "t.txt"], metric: "acc"), "metric: \"acc\" must be one of bits_per_byte, token_perplexity, word_perplexity for perplexity")
        XCTAssertEqual(settingField(["file": "t.txt"], method: "generate")?.hasPrefix("method: generate does not fit a text"), true)
        let both = #"{"name": "p", "dataset": "gsm8k", "method": "perplexity", "metric": "bits_per_byte", "text": {"file": "t.txt"}}"#
        XCTAssertThrowsError(try TaskSpecification.decode(Data(both.utf8), path: "p.json")) { error in
            XCTAssertEqual(error as? EvaluationError, .invalidSetting(task: "p (p.json)", field: "dataset, text",
                                                                        reason: "a task names exactly one of dataset, text (perplexity) and synthetic"))
        }
        // A window beyond the model's context is cut to it, and the report says so.
        try Data("abba".utf8).write(to: directory.appendingPathComponent("t.txt"))
        let capped = try TaskRunner(model: BigramModel(trainingText: "abab", contextLength: 8)).run(try task(["file": "t.txt", "window": 4096], in: directory))
        XCTAssertTrue(capped.notes.contains("text.window 4096 is longer than the model's context; 8 used"), "\(capped.notes)")
    }

    /// The committed example measures the committed sample text.
    func testCommittedExampleTaskRuns() throws {
        let task = try TaskSpecification.load(named: "text_perplexity", in: TaskSpecificationTests.tasksDirectory)
        let result = try TaskRunner(model: BigramModel(trainingText: "The quick brown fox")).run(task)
        XCTAssertEqual(result.count, 1)
        XCTAssertEqual(result.scoreMetric, "bits_per_byte")
        XCTAssertGreaterThan(try XCTUnwrap(result.score), 0)
    }
}
