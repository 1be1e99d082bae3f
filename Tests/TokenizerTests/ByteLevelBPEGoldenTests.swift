import Foundation
import Tokenizer
import XCTest

/// SmolLM2's GGUF vocabulary through ``ByteLevelBPETokenizer`` against Hugging Face `tokenizers`
/// (ids, pieces and decodings written by `Fixtures/smollm2/make_bpe_golden.py`).
final class ByteLevelBPEGoldenTests: XCTestCase {
    func testFixtureCoversTheRequiredKinds() {
        let golden = BPEGolden.shared
        XCTAssertGreaterThanOrEqual(golden.cases.count, 30)
        let texts = golden.cases.map(\.text)
        for fragment in ["12345 and 3.14159", "<|im_start|>user\nHi<|im_end|>", "   ", "\n\n", "\t", "'ll",
                         "café", "你好", "👨\u{200D}👩", "e\u{301}", "def ", "\r\n"] {
            XCTAssertTrue(texts.contains { $0.contains(fragment) }, fragment)
        }
        XCTAssertTrue(texts.contains { $0.hasPrefix(" ") && $0.hasSuffix(" ") })
        XCTAssertTrue(golden.cases.contains { $0.ids.count > 2000 }, "a long input")
    }

    func testVocabularyFromTheGGUFFile() {
        let vocabulary = SmolLM2Vocabulary.shared
        XCTAssertEqual(vocabulary.model, "gpt2")
        XCTAssertEqual(vocabulary.pre, "smollm")
        XCTAssertEqual(smolLM2.vocabularySize, 49152)
        XCTAssertEqual(smolLM2.preTokenizer, .smollm)
        XCTAssertEqual(smolLM2.bosID, 1)
        XCTAssertEqual(smolLM2.eosID, 2)
        XCTAssertEqual(smolLM2.unknownID, 0)
        XCTAssertEqual(smolLM2.paddingID, 2)
        XCTAssertFalse(smolLM2.addsBOS)
        XCTAssertFalse(smolLM2.ignoresMerges)
        XCTAssertEqual(smolLM2.tokenTypes.filter { $0 == .control }.count, 17)
        XCTAssertEqual(smolLM2.id(forPiece: "<|im_end|>"), 2)
        XCTAssertEqual(smolLM2.id(forPiece: "Ġworld"), 905)
        XCTAssertNil(smolLM2.id(forPiece: " world"))
    }

    func testEncodeMatchesHuggingFaceExactly() throws {
        for item in BPEGolden.shared.cases {
            let ids = try smolLM2.encode(item.text)
            XCTAssertEqual(ids, item.ids, item.name)
            XCTAssertEqual(ids.map { smolLM2.tokens[$0] }, item.pieces, item.name)
        }
    }

    func testDecodeMatchesHuggingFaceExactly() throws {
        for item in BPEGolden.shared.cases {
            XCTAssertEqual(Array(try smolLM2.decode(item.ids).utf8), Array(item.decoded.utf8), item.name)
            XCTAssertEqual(Array(try smolLM2.decode(item.ids, skippingSpecialTokens: true).utf8),
                           Array(item.skippingSpecial.utf8), item.name)
        }
    }

    func testDecodeOfUnusualIDSequencesMatchesHuggingFace() throws {
        for (index, item) in BPEGolden.shared.decodeCases.enumerated() {
            XCTAssertEqual(Array(try smolLM2.decode(item.ids).utf8), Array(item.text.utf8), "decode case \(index): \(item.ids)")
            XCTAssertEqual(Array(try smolLM2.decode(item.ids, skippingSpecialTokens: true).utf8),
                           Array(item.skippingSpecial.utf8), "decode case \(index): \(item.ids)")
        }
    }

    /// Byte-level BPE loses nothing but the bytes its vocabulary lacks.
    func testTextRoundTrips() throws {
        for item in BPEGolden.shared.cases where item.name != "bytes missing from the vocabulary" {
            XCTAssertEqual(try smolLM2.decode(smolLM2.encode(item.text)), item.text, item.name)
        }
    }

    func testBOSAndEOS() throws {
        let ids = try smolLM2.encode("Hello world")
        XCTAssertEqual(ids, [19556, 905])
        XCTAssertEqual(try smolLM2.encode("Hello world", addBOS: true, addEOS: true), [1, 19556, 905, 2])
        XCTAssertEqual(try smolLM2.encode("", addBOS: true), [1])
        XCTAssertEqual(try smolLM2.decode([1, 19556, 905, 2]), "<|im_start|>Hello world<|im_end|>")
    }

    /// All golden texts in one call, separated by a special token (which pre-tokenising never
    /// crosses): each part encodes as it does alone, so the per-call word cache, filled by earlier
    /// parts, changes nothing.
    func testOneCallWithManyPartsEqualsThePartsAlone() throws {
        let cases = BPEGolden.shared.cases
        let joined = try smolLM2.encode(cases.map(\.text).joined(separator: "<|endoftext|>"))
        let parts = cases.map(\.ids).joined(separator: [0])
        XCTAssertEqual(joined, Array(parts))
    }

    func testChatTemplateEncodesMarkersAsSingleIDs() throws {
        let template = try XCTUnwrap(ChatTemplates.recognizing(SmolLM2Vocabulary.shared.chatTemplate))
        let ids = try template.encode([.user("Hi")], tokenizer: smolLM2)
        XCTAssertEqual(ids.first, 1)
        XCTAssertEqual(ids.filter { $0 == 1 }.count, 3)   // system, user, assistant turns
        XCTAssertEqual(ids.filter { $0 == 2 }.count, 2)
        XCTAssertEqual(template.stopTokenIDs(tokenizer: smolLM2), [2])
        let golden = try XCTUnwrap(BPEGolden.shared.cases.first { $0.name == "chat conversation" })
        XCTAssertEqual(try template.encode([.user("What is 2+2?")], tokenizer: smolLM2), golden.ids)
    }
}
