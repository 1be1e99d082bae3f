import Foundation
import Tokenizer
import XCTest

/// ``UTF8Validation``: the first ill-formed byte of text that arrives as bytes (issue 11, hole 8).
final class UTF8ValidationTests: XCTestCase {
    func testWellFormedTextHasNoInvalidOffset() {
        for text in ["", "plain ASCII", "héllo wörld", "用户", "emoji 🙂 and \u{10FFFF}", "nul \u{0} inside"] {
            XCTAssertNil(UTF8Validation.firstInvalidOffset(in: Array(text.utf8)), text)
            XCTAssertEqual(try UTF8Validation.string(from: Array(text.utf8), source: "x"), text)
        }
    }

    func testIllFormedSequencesAreFoundAtTheirFirstByte() {
        let cases: [([UInt8], Int, String)] = [
            ([0x61, 0xFF, 0x62], 1, "a byte that never occurs in UTF-8"),
            ([0x80], 0, "a lone continuation byte"),
            ([0x61, 0x62, 0xC0, 0xAF], 2, "an overlong \"/\""),
            ([0xE0, 0x80, 0xAF], 0, "an overlong three-byte form"),
            ([0x78, 0xED, 0xA0, 0x80], 1, "a UTF-16 surrogate (U+D800)"),
            ([0xF4, 0x90, 0x80, 0x80], 0, "above U+10FFFF"),
            (Array("é".utf8) + [0xC3], 2, "a sequence cut off at the end"),
            ([0xE2, 0x82, 0x41], 0, "a lead byte followed by ASCII"),
        ]
        for (bytes, offset, what) in cases {
            XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: bytes), offset, what)
            XCTAssertThrowsError(try UTF8Validation.string(from: Data(bytes), source: "--prompt"), what) { error in
                XCTAssertEqual(error as? TokenizerError,
                               .invalidUTF8(source: "--prompt", offset: offset, byte: bytes[offset]), what)
            }
        }
    }

    func testTheMessageNamesTheSourceOffsetAndByte() {
        XCTAssertEqual(TokenizerError.invalidUTF8(source: "standard input", offset: 12, byte: 0x0F).description,
                       "standard input is not valid UTF-8: ill-formed sequence at byte offset 12 (byte 0x0F)")
        // A slice is measured from its own start.
        let bytes: [UInt8] = [0x2D, 0x2D, 0x3D, 0x61, 0xFE]
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(in: bytes[3...]), 1)
    }
}
