import Evaluation
import XCTest

final class MathAnswerTests: XCTestCase {
    func testLastBoxedMatchesNestedBraces() {
        XCTAssertEqual(MathAnswer.lastBoxed(in: "First \\boxed{1}, finally $\\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}")
        XCTAssertEqual(MathAnswer.lastBoxed(in: "\\boxed{\\left\\{ x \\mid x^{2} > 1 \\right\\}}"), "\\left\\{ x \\mid x^{2} > 1 \\right\\}")
        XCTAssertEqual(MathAnswer.lastBoxed(in: "so $\\boxed 5$."), "5")
        XCTAssertEqual(MathAnswer.lastBoxed(in: "answer \\fbox{7}"), "7")
        XCTAssertNil(MathAnswer.lastBoxed(in: "\\boxed{\\frac{1}{2}"), "unclosed")
        XCTAssertNil(MathAnswer.lastBoxed(in: "no box"))
    }

    func testNormalisationFollowsHendrycks() {
        XCTAssertEqual(MathAnswer.normalized("\\frac12"), "\\frac{1}{2}")
        XCTAssertEqual(MathAnswer.normalized("\\dfrac1{72}"), "\\frac{1}{72}")
        XCTAssertEqual(MathAnswer.normalized("\\sqrt3"), "\\sqrt{3}")
        XCTAssertEqual(MathAnswer.normalized("\\left( 3, 4 \\right)"), "(3,4)")
        XCTAssertEqual(MathAnswer.normalized("90^\\circ"), "90")
        XCTAssertEqual(MathAnswer.normalized("\\$5"), "5")
        XCTAssertEqual(MathAnswer.normalized("10\\text{ inches}"), "10")
        XCTAssertEqual(MathAnswer.normalized("x = 5"), "5")
        XCTAssertEqual(MathAnswer.normalized(".5"), "\\frac{1}{2}", ".5 → 0.5 → \\frac{1}{2}")
        XCTAssertEqual(MathAnswer.normalized("3/4"), "\\frac{3}{4}")
        XCTAssertEqual(MathAnswer.normalized("03/4"), "03/4", "not written exactly as integers")
        XCTAssertEqual(MathAnswer.normalized("50\\%"), "50")
        XCTAssertNil(MathAnswer.normalized("1\\text{ m}\\text{ s}"), "the reference raises on two units")
    }

    func testEquivalenceIsTextualAsInTheReference() {
        XCTAssertTrue(MathAnswer.isEquivalent("0.5", "\\frac{1}{2}"), "the reference rewrites exactly 0.5")
        XCTAssertFalse(MathAnswer.isEquivalent("0.25", "\\frac14"), "no other decimal is rewritten")
        XCTAssertFalse(MathAnswer.isEquivalent("\\frac{2}{4}", "\\frac{1}{2}"), "no algebra")
        XCTAssertTrue(MathAnswer.isEquivalent("\\tfrac{3}{4}", "3/4"))
        XCTAssertTrue(MathAnswer.isEquivalent(nil, nil))
        XCTAssertFalse(MathAnswer.isEquivalent("1", nil))
        XCTAssertTrue(MathAnswer.isEquivalent("1\\text{ m}\\text{ s}", "1\\text{ m}\\text{ s}"), "falls back to equal strings")
        XCTAssertTrue(MathAnswer.isCorrect(output: "Thus $x = \\boxed{\\dfrac12}$.", reference: "so \\boxed{\\frac{1}{2}}"))
        XCTAssertFalse(MathAnswer.isCorrect(output: "Thus x = 1/2.", reference: "\\boxed{\\frac{1}{2}}"), "no box, no answer")
    }
}
