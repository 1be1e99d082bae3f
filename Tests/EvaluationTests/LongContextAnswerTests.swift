import Evaluation
import XCTest

/// ∞Bench's answer rules on hand-written answers.
final class LongContextAnswerTests: XCTestCase {
    func testFirstInteger() {
        XCTAssertEqual(LongContextAnswer.firstInteger(in: " 71432. Remember it. 71432 is the pass key."), "71432")
        XCTAssertEqual(LongContextAnswer.firstInteger(in: "The pass key is 71432"), "71432")
        XCTAssertEqual(LongContextAnswer.firstInteger(in: "no digits at all"), "")
        XCTAssertEqual(LongContextAnswer.firstInteger(in: "7 1432"), "7")
        XCTAssertEqual(LongContextAnswer.firstInteger(in: "a-12b34"), "12")
        XCTAssertEqual(LongContextAnswer.firstInteger(in: "\u{FF17}\u{FF11} 05"), "05", "only ASCII digits, as Python's [0-9]")
    }

    func testPasskeyAndNumberString() {
        XCTAssertTrue(LongContextAnswer.isCorrect(" 71432.", expected: "71432", kind: .passkey))
        XCTAssertTrue(LongContextAnswer.isCorrect(" 07432", expected: "07432", kind: .passkey))
        XCTAssertFalse(LongContextAnswer.isCorrect(" 714321", expected: "71432", kind: .passkey), "a longer run is another number")
        XCTAssertFalse(LongContextAnswer.isCorrect(" 2. No, 71432", expected: "71432", kind: .passkey), "only the first number counts")
        XCTAssertFalse(LongContextAnswer.isCorrect("", expected: "71432", kind: .passkey))
        XCTAssertTrue(LongContextAnswer.isCorrect(" 1122334455, remember", expected: "1122334455", kind: .numberString))
        XCTAssertFalse(LongContextAnswer.isCorrect(" 11223 34455", expected: "1122334455", kind: .numberString))
    }

    func testKeyValueIsAnExactMatchAfterTrimming() {
        let value = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        XCTAssertEqual(LongContextAnswer.value(in: "  \"\(value)\".\n"), value)
        XCTAssertTrue(LongContextAnswer.isCorrect(" \(value)", expected: value, kind: .kvRetrieval))
        XCTAssertTrue(LongContextAnswer.isCorrect(" '\(value)'", expected: value, kind: .kvRetrieval))
        XCTAssertFalse(LongContextAnswer.isCorrect(" \"\(value)", expected: value, kind: .kvRetrieval), "an unclosed quote stays")
        XCTAssertFalse(LongContextAnswer.isCorrect(" \(value) and more", expected: value, kind: .kvRetrieval))
        XCTAssertFalse(LongContextAnswer.isCorrect(String(value.dropLast()), expected: value, kind: .kvRetrieval))
    }
}
