@testable import Tokenizer
import XCTest

/// The hand-written splitters against `tokenizers.pre_tokenizers.Split(Regex(pattern))` (Oniguruma),
/// as written by `Fixtures/smollm2/make_bpe_golden.py`.
final class PreTokenizerTests: XCTestCase {
    func testPatternsAreTheOnesTheFixtureWasMadeWith() {
        XCTAssertEqual(PreTokenizer.gpt2.pattern, PreTokenizerGolden.shared.gpt2Pattern)
        XCTAssertEqual(PreTokenizer.smollm.pattern, PreTokenizerGolden.shared.gpt2Pattern)
        XCTAssertEqual(PreTokenizer.llama3.pattern, PreTokenizerGolden.shared.llama3Pattern)
    }

    func testSplitsMatchHuggingFace() {
        let cases = PreTokenizerGolden.shared.cases
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        for item in cases {
            XCTAssertEqual(PreTokenizer.gpt2.split(item.text), item.gpt2, "gpt2: \(item.text.debugDescription)")
            XCTAssertEqual(PreTokenizer.llama3.split(item.text), item.llama3, "llama3: \(item.text.debugDescription)")
            XCTAssertEqual(PreTokenizer.smollm.split(item.text), item.smollm, "smollm: \(item.text.debugDescription)")
        }
    }

    /// `\p{L}`, `\p{N}` and `\s` on every scalar, against Oniguruma's ranges. Swift's Unicode
    /// tables may be newer than Oniguruma's: a scalar that Oniguruma leaves unclassified and Swift
    /// classifies must be one assigned after Unicode 15.0 (allowed, reported); everything else agrees.
    func testScalarClassesMatchOniguruma() {
        var expected = [UInt8](repeating: ScalarClass.other.rawValue, count: 0x110000)
        for range in PreTokenizerGolden.shared.unicodeClasses {
            guard case let .scalar(first) = range[0], case let .scalar(last) = range[1],
                  case let .name(name) = range[2] else { return XCTFail("malformed range \(range)") }
            let cls: ScalarClass = name == "L" ? .letter : name == "N" ? .number : .whitespace
            for value in first...last { expected[Int(value)] = cls.rawValue }
        }
        var newer = 0
        var mismatches: [String] = []
        for value in UInt32(0)..<0x110000 where !(0xD800..<0xE000).contains(value) {
            let actual = ScalarClass.of(value).rawValue
            guard actual != expected[Int(value)] else { continue }
            let scalar = Unicode.Scalar(value)!
            if expected[Int(value)] == ScalarClass.other.rawValue, let age = scalar.properties.age,
               age.major > 15 || (age.major == 15 && age.minor > 0) {
                newer += 1
                continue
            }
            mismatches.append(String(format: "U+%04X: Swift %d, Oniguruma %d", value, actual, expected[Int(value)]))
        }
        XCTAssertEqual(mismatches, [], "\(mismatches.count) scalars differ")
        print("scalars classified by Swift but not (yet) by Oniguruma's tables: \(newer)")
    }

    func testGGUFNames() {
        XCTAssertEqual(PreTokenizer(ggufName: "gpt2"), .gpt2)
        XCTAssertEqual(PreTokenizer(ggufName: "llama-bpe"), .llama3)
        XCTAssertEqual(PreTokenizer(ggufName: "llama3"), .llama3)
        XCTAssertEqual(PreTokenizer(ggufName: "smollm"), .smollm)
        XCTAssertEqual(PreTokenizer(ggufName: "starcoder"), .smollm)
        XCTAssertNil(PreTokenizer(ggufName: "qwen2"))
        XCTAssertNil(PreTokenizer(ggufName: "default"))
        XCTAssertNil(PreTokenizer(ggufName: ""))
        XCTAssertEqual(PreTokenizer.llama3.rawValue, "llama-bpe")
    }

    func testDocumentedExamples() {
        XCTAssertEqual(PreTokenizer.gpt2.split("I'm  fine!!"), ["I", "'m", " ", " fine", "!!"])
        XCTAssertEqual(PreTokenizer.smollm.split("x=123"), ["x", "=", "1", "2", "3"])
        XCTAssertEqual(PreTokenizer.llama3.split("x=12345"), ["x", "=", "123", "45"])
        XCTAssertEqual(PreTokenizer.gpt2.split(""), [])
    }

    /// Random strings over an alphabet of the characters the patterns treat specially: the
    /// splits always cover the text, in order, and each word is non-empty.
    func testSplitsPartitionRandomText() {
        let alphabet: [Character] = [" ", " ", "\t", "\n", "\r", "'", "s", "S", "t", "l", "a", "1", "9", "!", ".",
                                     "é", "你", "😀", "\u{301}", "\u{A0}", "ſ", "٣", "r", "e"]
        var rng = SplitMix64(seed: 17)
        for _ in 0..<300 {
            let text = String((0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            for preTokenizer in PreTokenizer.allCases {
                let words = preTokenizer.split(text)
                XCTAssertEqual(words.joined(), text)
                XCTAssertFalse(words.contains(""))
            }
        }
    }
}
