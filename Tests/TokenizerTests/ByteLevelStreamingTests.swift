import Foundation
import Tokenizer
import XCTest

/// ``StreamingDetokenizer`` over SmolLM2's byte-level BPE vocabulary.
final class ByteLevelStreamingTests: XCTestCase {
    /// Streams `ids` one at a time; checks that the text so far is always a prefix of the full
    /// decoding (byte for byte) and that everything together equals it.
    func checkStream(_ ids: [Int], _ message: @autoclosure () -> String = "",
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = Array(try smolLM2.decode(ids).utf8)
        var stream = StreamingDetokenizer(tokenizer: smolLM2)
        var text: [UInt8] = []
        for id in ids {
            text += Array(try stream.append(id).utf8)
            guard text.count <= expected.count, Array(expected[..<text.count]) == text else {
                return XCTFail("not a prefix after \(stream.count) ids: \(ids) \(message())", file: file, line: line)
            }
        }
        text += Array(stream.finish().utf8)
        XCTAssertEqual(text, expected, "\(ids) \(message())", file: file, line: line)
        XCTAssertEqual(stream.count, 0, "finish resets", file: file, line: line)
    }

    /// The property test: random id sequences over the whole vocabulary, weighted towards the
    /// tokens that hold part of a character (single bytes 0x80...0xFF and two-byte tokens such as
    /// `ä¸`) and special tokens.
    func testRandomSequencesOfTheRealVocabulary() throws {
        var rng = SplitMix64(seed: 49152)
        // Tokens whose bytes are not valid UTF-8 on their own: pieces of characters.
        let partial = smolLM2.tokens.indices.filter { id in
            String(validating: Array(try! smolLM2.decode([id]).utf8), as: UTF8.self) == nil
                || (try! smolLM2.decode([id])).unicodeScalars.contains("\u{FFFD}")
        }
        XCTAssertGreaterThan(partial.count, 100)
        for trial in 0..<400 {
            let length = Int.random(in: 1...(trial % 10 == 0 ? 200 : 40), using: &rng)
            var ids: [Int] = []
            for _ in 0..<length {
                switch Double.random(in: 0..<1, using: &rng) {
                case ..<0.45: ids.append(partial.randomElement(using: &rng)!)
                case ..<0.5: ids.append(Int.random(in: 0..<17, using: &rng))
                default: ids.append(Int.random(in: 0..<smolLM2.vocabularySize, using: &rng))
                }
            }
            try checkStream(ids, "trial \(trial)")
        }
    }

    func testEncodedTextsStreamBackToTheText() throws {
        for item in BPEGolden.shared.cases {
            try checkStream(item.ids, item.name)
        }
        for item in BPEGolden.shared.decodeCases {
            try checkStream(item.ids)
        }
    }

    func testAMultiByteCharacterAppearsOnlyWhenComplete() throws {
        // "😀" is F0 9F 98 80: four byte tokens.
        let ids = try smolLM2.encode("😀")
        var stream = StreamingDetokenizer(tokenizer: smolLM2)
        var pieces: [String] = []
        for id in ids { pieces.append(try stream.append(id)) }
        XCTAssertEqual(pieces.joined(), "😀")
        XCTAssertEqual(pieces.last, "😀")
        XCTAssertTrue(pieces.dropLast().allSatisfy(\.isEmpty))
        XCTAssertEqual(stream.finish(), "")
    }

    func testAnUnfinishedCharacterIsReleasedByTheNextTokenOrByFinish() throws {
        let e4 = try XCTUnwrap(smolLM2.id(forPiece: "ä"))          // the byte E4
        let hello = try XCTUnwrap(smolLM2.id(forPiece: "Hello"))
        var stream = StreamingDetokenizer(tokenizer: smolLM2)
        XCTAssertEqual(try stream.append(e4), "")
        XCTAssertEqual(try stream.append(hello), "\u{FFFD}Hello")
        XCTAssertEqual(try stream.append(e4), "")
        XCTAssertEqual(stream.finish(), "\u{FFFD}")
    }

    func testSpecialTokensStreamAsText() throws {
        var stream = StreamingDetokenizer(tokenizer: smolLM2)
        let ids = try smolLM2.encode("<|im_start|>assistant\nSure<|im_end|>")
        XCTAssertEqual(try ids.map { try stream.append($0) }, ["<|im_start|>", "ass", "istant", "\n", "Sure", "<|im_end|>"])
    }

    func testOutOfVocabularyIDsAreRejectedAndTheStateKept() throws {
        var stream = StreamingDetokenizer(tokenizer: smolLM2)
        let ids = try smolLM2.encode("héllo")
        var text = try stream.append(ids[0])
        XCTAssertThrows(.idOutOfRange(id: 49152, index: 1, vocabularySize: 49152)) { () throws(TokenizerError) in
            try stream.append(49152)
        }
        text += try stream.append(contentsOf: ids.dropFirst())
        text += stream.finish()
        XCTAssertEqual(text, "héllo")
    }

    /// A tokenizer this module does not know streams through the generic path.
    func testAnyTokenizerStreams() throws {
        struct Letters: TextTokenizer {
            var vocabularySize: Int { 26 }
            var bosID: Int? { nil }
            var eosID: Int? { nil }
            func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
                text.unicodeScalars.map { Int($0.value) - 97 }
            }
            func decode(_ ids: [Int]) throws(TokenizerError) -> String {
                String(String.UnicodeScalarView(ids.map { Unicode.Scalar(UInt8($0 + 97)) }))
            }
            func id(forPiece piece: String) -> Int? { nil }
        }
        var stream = StreamingDetokenizer(tokenizer: Letters())
        XCTAssertEqual(try stream.append(contentsOf: [7, 4, 11, 11, 14]), "hello")
        XCTAssertThrows(.idOutOfRange(id: 26, index: 5, vocabularySize: 26)) { () throws(TokenizerError) in
            try stream.append(26)
        }
        XCTAssertEqual(stream.finish(), "")
    }
}
