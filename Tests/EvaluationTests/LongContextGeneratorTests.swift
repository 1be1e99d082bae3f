import Evaluation
import Foundation
import XCTest

/// The ∞Bench-style generators with ``ByteTokenizer`` lengths (a token per byte, plus BOS), where
/// every length can be worked out by hand.
final class LongContextGeneratorTests: XCTestCase {
    /// Prompt lengths as ``BigramModel`` feeds them: BOS and the bytes.
    private let byteCount = { (text: String) throws(EvaluationError) -> Int in 1 + text.utf8.count }

    private static let noise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.\n"

    /// Length 1000 with 8 answer tokens leaves 992 for the prompt. The fixed text is 150 (instruction)
    /// + 59 (needle) + 38 (question) bytes and BOS: 248 tokens; each noise paragraph is 90 bytes, so
    /// 8 fit (968 tokens) and 9 would not (1058). Depth 0.5 puts the needle after 4.
    func testGoldenPasskeyItem() throws {
        let generator = LongContextGenerator(settings: .init(kind: .passkey, contextLengths: [1000], depths: [0.5], count: 1, seed: 1234),
                                             answerTokens: 8)
        let items = try generator.items(tokenCount: byteCount)
        XCTAssertEqual(items.count, 1)
        let item = items[0]
        let key = "59893"
        XCTAssertEqual(item.id, "passkey-L1000-D50-0")
        XCTAssertEqual(item.answer, key)
        XCTAssertEqual(item.fillerCount, 8)
        XCTAssertEqual(item.fillerBeforeNeedle, 4)
        XCTAssertEqual(item.promptTokenCount, 968)
        let expected = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n\n"
            + String(repeating: Self.noise, count: 4) + "The pass key is \(key). Remember it. \(key) is the pass key.\n" + String(repeating: Self.noise, count: 4)
            + "\nWhat is the pass key?\nThe pass key is"
        XCTAssertEqual(item.prompt, expected)
        XCTAssertEqual(item.promptTokenCount, 1 + expected.utf8.count)
    }

    private func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// For every kind, length and depth: the prompt and answer fit, within one filler unit of the
    /// length; the needle is there once, after `round(depth × n)` units.
    func testLengthsNeedlesAndDepths() throws {
        let depths = [0, 0.25, 0.5, 0.75, 1]
        for kind in LongContextSettings.Kind.allCases {
            let answerTokens = 16
            let generator = LongContextGenerator(settings: .init(kind: kind, contextLengths: [600, 1500, 3000], depths: depths, count: 2, seed: 7),
                                                 answerTokens: answerTokens)
            let items = try generator.items(tokenCount: byteCount)
            XCTAssertEqual(items.count, 3 * 5 * 2)
            // A noise paragraph is 90 bytes; a key-value pair two 36-byte UUIDs, 4 quotes, ": " and ", ".
            let unit = kind == .kvRetrieval ? 80 : 90
            for item in items {
                let budget = item.contextLength - answerTokens
                XCTAssertEqual(item.promptTokenCount, 1 + item.prompt.utf8.count, item.id)
                XCTAssertLessThanOrEqual(item.promptTokenCount, budget, item.id)
                XCTAssertGreaterThan(item.promptTokenCount, budget - unit, item.id)
                XCTAssertEqual(occurrences(of: item.needle, in: item.prompt), 1, item.id)
                XCTAssertEqual(item.fillerBeforeNeedle, Int((item.depth * Double(item.fillerCount)).rounded()), item.id)
                XCTAssertEqual(Double(item.fillerBeforeNeedle) / Double(item.fillerCount), item.depth,
                               accuracy: 0.5 / Double(item.fillerCount) + 1e-9, item.id)
                let before = String(item.prompt[..<item.prompt.range(of: item.needle)!.lowerBound])
                switch kind {
                case .passkey, .numberString:
                    XCTAssertEqual(item.answer.count, kind == .passkey ? 5 : 10)
                    XCTAssertTrue(item.answer.allSatisfy { ("0"..."9").contains($0) }, item.answer)
                    XCTAssertEqual(occurrences(of: Self.noise, in: before), item.fillerBeforeNeedle, item.id)
                    XCTAssertEqual(occurrences(of: Self.noise, in: item.prompt), item.fillerCount, item.id)
                    XCTAssertEqual(occurrences(of: item.answer, in: item.prompt), 2, "twice in the needle sentence: \(item.id)")
                case .kvRetrieval:
                    // Each pair before the needle is followed by `, ` and the next pair's opening quote.
                    XCTAssertEqual(occurrences(of: "\", \"", in: before + "\""), item.fillerBeforeNeedle, item.id)
                    XCTAssertEqual(occurrences(of: "\": \"", in: item.prompt), item.fillerCount + 1, item.id)
                    XCTAssertEqual(occurrences(of: item.answer, in: item.prompt), 1, item.id)
                    let key = String(item.needle.dropFirst().prefix(36))
                    XCTAssertEqual(occurrences(of: key, in: item.prompt), 2, "in the pair and the question: \(item.id)")
                    XCTAssertTrue(item.prompt.hasSuffix("Key: \"\(key)\"\nThe value associated with the specified key is:"), item.id)
                }
            }
        }
    }

    func testTheSameSeedGivesTheSameItems() throws {
        func items(_ lengths: [Int], seed: UInt64) throws -> [LongContextItem] {
            try LongContextGenerator(settings: .init(kind: .kvRetrieval, contextLengths: lengths, depths: [0, 1], count: 2, seed: seed),
                                     answerTokens: 40).items(tokenCount: byteCount)
        }
        let first = try items([500, 900], seed: 3)
        XCTAssertEqual(try items([500, 900], seed: 3), first)
        // An item does not depend on the other lengths asked for.
        XCTAssertEqual(try items([900], seed: 3), Array(first[4...]))
        XCTAssertNotEqual(try items([500, 900], seed: 4).map(\.answer), first.map(\.answer))
        XCTAssertEqual(Set(first.map(\.answer)).count, first.count, "each item its own value")
    }

    func testTooShortALengthIsATypedError() {
        let generator = LongContextGenerator(settings: .init(kind: .passkey, contextLengths: [200]), answerTokens: 8)
        XCTAssertThrowsError(try generator.items(tokenCount: byteCount)) { error in
            guard case let .invalidSetting(task, field, reason) = error as? EvaluationError else { return XCTFail("\(error)") }
            XCTAssertEqual(task, "passkey-L200-D0-0")
            XCTAssertEqual(field, "context_lengths")
            XCTAssertEqual(reason, "200 tokens cannot hold the fixed text (248 tokens) and the 8-token answer")
        }
    }

    /// Task files: each committed one loads; bad values are named with their field.
    func testTaskFilesAndTheirErrors() throws {
        for name in ["passkey", "number_string", "kv_retrieval"] {
            let task = try TaskSpecification.load(named: name, in: TaskSpecificationTests.tasksDirectory)
            XCTAssertEqual(task.synthetic?.kind.rawValue, name)
            XCTAssertEqual(task.synthetic?.depths, [0, 0.25, 0.5, 0.75, 1])
            XCTAssertFalse(task.countsInAverages)
        }
        let base = #"{"name": "p", "method": "generate", "metric": "accuracy", "generation": {"max_tokens": 8}, "synthetic": {"kind": "passkey", "context_lengths": [512]SETTINGS}}"#
        func failure(_ settings: String) -> String {
            do {
                _ = try TaskSpecification.decode(Data(base.replacingOccurrences(of: "SETTINGS", with: settings).utf8), path: "p.json")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(failure(""), "accepted")
        XCTAssertEqual(failure(#", "depths": [0, 1.5]"#), "task p (p.json): synthetic.depths: 1.5 must be in 0...1")
        XCTAssertEqual(failure(#", "count": 0"#), "task p (p.json): synthetic.count: 0 must be >= 1")
        let negative = base.replacingOccurrences(of: "[512]SETTINGS", with: "[512, -5]")
        XCTAssertThrowsError(try TaskSpecification.decode(Data(negative.utf8), path: "p.json")) { error in
            XCTAssertEqual("\(error)", "task p (p.json): synthetic.context_lengths: -5 must be >= 1")
        }
        let unknown = base.replacingOccurrences(of: "\"passkey\"", with: "\"needle\"").replacingOccurrences(of: "SETTINGS", with: "")
        XCTAssertThrowsError(try TaskSpecification.decode(Data(unknown.utf8), path: "p.json")) { error in
            XCTAssertTrue("\(error)".contains("synthetic.kind: \"needle\" is not one of passkey, number_string, kv_retrieval"), "\(error)")
        }
        let task = try TaskSpecification.decode(Data(base.replacingOccurrences(of: "SETTINGS", with: "").utf8), path: "p.json")
        XCTAssertEqual(try task.overridingLongContext(contextLengths: [256, 1024], count: 3, seed: 9, source: "command line").synthetic,
                       .init(kind: .passkey, contextLengths: [256, 1024], count: 3, seed: 9))
        XCTAssertThrowsError(try task.overridingLongContext(contextLengths: [-1], source: "command line")) { error in
            XCTAssertEqual("\(error)", "task p (command line): synthetic.context_lengths: -1 must be >= 1")
        }
    }
}
