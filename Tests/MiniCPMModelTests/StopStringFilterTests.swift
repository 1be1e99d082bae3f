import MiniCPMModel
import XCTest

/// ``StopStringFilter`` on hand-made pieces: what is held back, released and cut.
final class StopStringFilterTests: XCTestCase {
    func testAStopStringSplitOverPiecesIsHeldBackThenCut() {
        var filter = StopStringFilter(stopStrings: ["\nUser:"])
        XCTAssertTrue(filter.feed("Paris.\nUs") == ("Paris.", nil), "\"\\nUs\" may begin the stop string")
        XCTAssertTrue(filter.feed("er: and then") == ("", "\nUser:"), "complete: the rest is dropped")
        XCTAssertEqual(filter.flush(), "", "the filter starts over")
    }

    func testHeldTextIsReleasedOnceItCannotBecomeAStopString() {
        var filter = StopStringFilter(stopStrings: ["\nUser:"])
        XCTAssertTrue(filter.feed("a\nU") == ("a", nil))
        XCTAssertTrue(filter.feed("nder") == ("\nUnder", nil))
        XCTAssertTrue(filter.feed("\n") == ("", nil))
        XCTAssertEqual(filter.flush(), "\n", "the end of the text releases what is held")
    }

    func testTheEarliestStopStringWinsAndTheFirstListedOnATie() {
        var filter = StopStringFilter(stopStrings: ["world", "lo w", "lo"])
        XCTAssertTrue(filter.feed("hello world") == ("hel", "lo w"))
        var tie = StopStringFilter(stopStrings: ["ab", "abc"])
        XCTAssertTrue(tie.feed("xabc") == ("x", "ab"))
    }

    func testWithoutStopStringsTextPassesUnchanged() {
        var filter = StopStringFilter(stopStrings: ["", ""])
        XCTAssertEqual(filter.stopStrings, [])
        XCTAssertTrue(filter.feed("anything <|im") == ("anything <|im", nil))
        XCTAssertEqual(filter.flush(), "")
    }
}
