import Evaluation
import XCTest

final class OptionLetterTests: XCTestCase {
    func testExplicitStatementsWin() {
        XCTAssertEqual(OptionLetter.extract(from: "Let's think. The answer is (C) because A is wrong."), "C")
        XCTAssertEqual(OptionLetter.extract(from: "Answer: B"), "B")
        XCTAssertEqual(OptionLetter.extract(from: "so the answer is: d."), "D")
        XCTAssertEqual(OptionLetter.extract(from: "the answer is B, not (A)"), "B")
    }

    func testReplyStartingWithTheOption() {
        XCTAssertEqual(OptionLetter.extract(from: " B"), "B")
        XCTAssertEqual(OptionLetter.extract(from: "B. Paris"), "B")
        XCTAssertEqual(OptionLetter.extract(from: "(A) 42"), "A")
        XCTAssertEqual(OptionLetter.extract(from: "C) the third"), "C")
        XCTAssertNil(OptionLetter.extract(from: "A triangle has three sides."), "an article, not an option")
        XCTAssertEqual(OptionLetter.extract(from: "I pick (D) here"), "D")
    }

    func testOnlyValidLettersCount() {
        XCTAssertNil(OptionLetter.extract(from: "(E)", optionCount: 4))
        XCTAssertEqual(OptionLetter.extract(from: "(E)", optionCount: 5), "E")
        XCTAssertNil(OptionLetter.extract(from: "The answer is Bob."), "a word starting with B is no letter")
        XCTAssertNil(OptionLetter.extract(from: "I think the answer is a triangle."), "an article")
        XCTAssertEqual(OptionLetter.extract(from: "the answer is b"), "B")
        XCTAssertNil(OptionLetter.extract(from: "nothing"))
        XCTAssertEqual(OptionLetter.index(in: "Answer: d", optionCount: 4), 3)
        XCTAssertEqual(OptionLetter.letters(count: 3), ["A", "B", "C"])
    }
}
