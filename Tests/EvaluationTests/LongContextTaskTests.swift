import Evaluation
import Foundation
import MiniCPMModel
import Tokenizer
import TestSupport
import XCTest

/// Answers the pass key it reads in the prompt when the prompt has at most `span` tokens, and
/// "no idea" otherwise: a model whose accuracy falls with length, known in advance. It refuses, as
/// a real model would, a prompt and answer longer than its context.
private final class ShortSightedModel: EvaluatedModel, @unchecked Sendable {
    let span: Int
    let contextLength: Int?
    var generations = 0
    init(span: Int, contextLength: Int) {
        self.span = span
        self.contextLength = contextLength
    }
    var name: String { "short-sighted" }
    var tokenizer: any TextTokenizer { ByteTokenizer() }
    func contextTokens(for text: String) throws(EvaluationError) -> [Int] { [256] + text.utf8.map(Int.init) }
    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        throw .model(model: name, reason: "not a scorer")
    }
    func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        generations += 1
        if prompt.count + parameters.maxTokens > contextLength! { throw .model(model: name, reason: "context overflow") }
        let text = String(decoding: prompt.dropFirst().map(UInt8.init), as: UTF8.self)
        let key = text.components(separatedBy: "The pass key is ")[1].prefix { $0.isNumber }
        return GeneratedCompletion(text: prompt.count <= span ? " \(key). Remember it." : " no idea", tokens: [])
    }
}

/// Long-context task files through ``TaskRunner``: scoring, the length × depth table, skipped
/// lengths, the logs and resuming, and the ``BigramModel`` double.
final class LongContextTaskTests: XCTestCase {
    private func passkey(_ lengths: [Int], depths: [Double] = [0, 1], count: Int = 2) throws -> TaskSpecification {
        try TaskSpecification.load(named: "passkey", in: TaskSpecificationTests.tasksDirectory)
            .overridingLongContext(contextLengths: lengths, depths: depths, count: count, source: "test")
    }

    /// Lengths 600 and 1500 fit the model's 2000 tokens, 3000 does not; the model answers right up
    /// to 1000 prompt tokens. So 600: 4/4, 1500: 0/4, 3000: 4 skipped; accuracy 4/8.
    func testAccuracyByLengthAndDepthWithSkippedLengths() throws {
        let model = ShortSightedModel(span: 1000, contextLength: 2000)
        let out = try makeTemporaryDirectory(prefix: "long-context")
        let task = try passkey([600, 1500, 3000])
        let result = try TaskRunner(model: model).run(task, outputDirectory: out)
        XCTAssertEqual(result.count, 8)
        XCTAssertEqual(result.score, 0.5)
        XCTAssertEqual(result.metric("accuracy@600"), 1)
        XCTAssertEqual(result.metric("accuracy@1500"), 0)
        XCTAssertNil(result.metric("accuracy@3000"))
        XCTAssertFalse(result.countsInAverages)
        XCTAssertEqual(result.cells, [
            .init(contextLength: 600, depth: 0, correct: 2, scored: 2, skipped: 0), .init(contextLength: 600, depth: 1, correct: 2, scored: 2, skipped: 0),
            .init(contextLength: 1500, depth: 0, correct: 0, scored: 2, skipped: 0), .init(contextLength: 1500, depth: 1, correct: 0, scored: 2, skipped: 0),
            .init(contextLength: 3000, depth: 0, correct: 0, scored: 0, skipped: 2), .init(contextLength: 3000, depth: 1, correct: 0, scored: 0, skipped: 2),
        ])
        XCTAssertTrue(result.notes.contains("context length 3000: 4 items skipped, too long for the model's context of 2000 tokens"), "\(result.notes)")
        XCTAssertEqual(model.generations, 8)

        let markdown = EvaluationReport(model: "m", results: [result]).markdown
        XCTAssertTrue(markdown.contains("| passkey | accuracy (accuracy@600 100.00, accuracy@1500 0.00), not averaged | 50.00 | 8 |"), markdown)
        XCTAssertTrue(markdown.contains("| length | 0% | 100% | accuracy |"), markdown)
        XCTAssertTrue(markdown.contains("| 600 | 2/2 | 2/2 | 100.0% |"), markdown)
        XCTAssertTrue(markdown.contains("| 3000 | too long | too long | n/a |"), markdown)
        XCTAssertTrue(markdown.contains("| **Avg** | all tasks | n/a | 0 |"), markdown)

        // The log holds each item run; a rerun asks for nothing, and a new length only for its items.
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let lines = try String(contentsOf: out.appendingPathComponent("passkey.jsonl"), encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try decoder.decode(InstanceRecord.self, from: Data($0.utf8)) }
        XCTAssertEqual(records.count, 8)
        let first = records[0]
        XCTAssertEqual(first.id, "passkey-L600-D0-0")
        XCTAssertEqual(first.contextLength, 600)
        XCTAssertEqual(first.depth, 0)
        XCTAssertEqual(first.extracted, first.reference)
        XCTAssertLessThanOrEqual(try XCTUnwrap(first.promptTokenCount), 600 - 10)
        XCTAssertTrue(first.correct)

        let again = ShortSightedModel(span: 1000, contextLength: 2000)
        XCTAssertEqual(try TaskRunner(model: again).run(task, outputDirectory: out), result)
        XCTAssertEqual(again.generations, 0)
        let longer = try TaskRunner(model: again).run(try passkey([600, 1500, 1800]), outputDirectory: out)
        XCTAssertEqual(again.generations, 4, "only the 1800 items")
        XCTAssertEqual(longer.count, 12)
    }

    /// The whole pipeline on the bigram of "is 7.:" (BOS i s space 7 . : EOS, each bigram once):
    /// after the passkey and number-string prompts' final "is" it writes " 7.:" and stops at EOS, whose
    /// first integer "7" is never a 5- or 10-digit needle; after the key-value prompt's final ":" it
    /// stops at once, an empty answer.
    func testTheBigramDoubleRunsEveryTaskFile() throws {
        let model = BigramModel(trainingText: "is 7.:", contextLength: 1024)
        for name in ["passkey", "number_string", "kv_retrieval"] {
            let task = try TaskSpecification.load(named: name, in: TaskSpecificationTests.tasksDirectory)
                .overridingLongContext(contextLengths: [512, 1024, 2048], depths: [0, 0.5], count: 1, source: "test")
            let out = try makeTemporaryDirectory(prefix: "long-context")
            let result = try TaskRunner(model: model).run(task, outputDirectory: out)
            XCTAssertEqual(result.count, 4, name)
            XCTAssertEqual(result.score, 0, name)
            XCTAssertEqual(result.cells?.map(\.skipped), [0, 0, 0, 0, 1, 1], name)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let records = try String(contentsOf: out.appendingPathComponent("\(name).jsonl"), encoding: .utf8).split(separator: "\n")
                .map { try decoder.decode(InstanceRecord.self, from: Data($0.utf8)) }
            XCTAssertEqual(records.count, 4)
            for record in records {
                XCTAssertEqual(record.output, name == "kv_retrieval" ? "" : " 7.:", record.id)
                XCTAssertEqual(record.extracted, name == "kv_retrieval" ? "" : "7", record.id)
                XCTAssertFalse(record.correct)
            }
        }
    }

    /// A length below what the fixed text needs stops the run with the field named.
    func testTooShortALengthNamesTheField() throws {
        XCTAssertThrowsError(try TaskRunner(model: BigramModel(trainingText: "x")).run(try passkey([100]))) { error in
            XCTAssertEqual("\(error)", "task passkey-L100-D0-0: context_lengths: 100 tokens cannot hold the fixed text (248 tokens) and the 10-token answer")
        }
    }
}
