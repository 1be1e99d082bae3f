import Evaluation
import XCTest

final class GSM8KAnswerTests: XCTestCase {
    func testReferenceIsTheNumberAfterTheLastMarker() {
        XCTAssertEqual(GSM8KAnswer.reference(in: "She has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"), "7")
        XCTAssertEqual(GSM8KAnswer.reference(in: "It costs 1,000 + 234.\n#### 1,234"), "1234")
        XCTAssertEqual(GSM8KAnswer.reference(in: "The loss is 5.\n#### -5"), "-5")
        XCTAssertNil(GSM8KAnswer.reference(in: "no marker 12"))
    }

    func testOutputAnswerIsTheLastNumberOrTheMarkedOne() {
        XCTAssertEqual(GSM8KAnswer.extract(from: "3 + 4 = 7. The answer is 12."), "12")
        XCTAssertEqual(GSM8KAnswer.extract(from: "#### 42\nQuestion: a new one with 7 pens"), "42")
        XCTAssertEqual(GSM8KAnswer.extract(from: "She pays $1,234.50 in total."), "1234.50")
        XCTAssertEqual(GSM8KAnswer.extract(from: "The temperature fell to -3 degrees"), "-3")
        XCTAssertEqual(GSM8KAnswer.extract(from: "He lost \u{2212}$8."), "-8")
        XCTAssertEqual(GSM8KAnswer.extract(from: "10-3"), "3", "a hyphen between numbers is no sign")
        XCTAssertEqual(GSM8KAnswer.extract(from: "the list 1,2,3"), "3", "a comma before fewer than 3 digits separates")
        XCTAssertEqual(GSM8KAnswer.extract(from: "1,2345"), "2345")
        XCTAssertEqual(GSM8KAnswer.numbers(in: "from 1,000,000 to 2.5, then 3."), ["1000000", "2.5", "3"])
        XCTAssertNil(GSM8KAnswer.extract(from: "no numbers here."))
    }

    func testAnswersCompareAsNumbers() {
        XCTAssertTrue(GSM8KAnswer.isEquivalent("18", "18.00"))
        XCTAssertTrue(GSM8KAnswer.isEquivalent("1,234", "1234"))
        XCTAssertFalse(GSM8KAnswer.isEquivalent("18", "-18"))
        XCTAssertFalse(GSM8KAnswer.isEquivalent("0.1", "0.10000001"))
        XCTAssertTrue(GSM8KAnswer.isCorrect(output: "So she makes $18 every day.", reference: "... = 18\n#### 18"))
        XCTAssertTrue(GSM8KAnswer.isCorrect(output: "The answer is 1,234.", reference: "1234"))
        XCTAssertFalse(GSM8KAnswer.isCorrect(output: "I don't know.", reference: "#### 5"))
    }
}
