import Evaluation
import Foundation
import XCTest

/// The RFC 4180 reader on the edge cases CMMLU and C-Eval files contain (quoted commas, line breaks
/// and quotes, a BOM, CRLF) and on malformed files, whose errors name the file and the line.
final class CSVRecordsTests: XCTestCase {
    private func records(_ text: String, limits: CSVRecords.Limits = .default) throws -> [CSVRecords.Record] {
        try CSVRecords.records(in: Data(text.utf8), path: "t.csv", limits: limits)
    }

    private func reason(_ text: String, limits: CSVRecords.Limits = .default) -> String? {
        EvaluationFixtures.invalidFileReason(path: "t.csv") { try records(text, limits: limits) }
    }

    func testBareAndQuotedFields() throws {
        XCTAssertEqual(try records("a,b,c\n1,\"x, y\",\"\"\n"), [
            .init(line: 1, fields: ["a", "b", "c"]),
            .init(line: 2, fields: ["1", "x, y", ""]),
        ])
    }

    func testDoubledQuotesAndEmbeddedLineBreaksAdvanceTheLineCount() throws {
        let text = "id,q\n0,\"He said \"\"hi\"\"\nthen\r\nleft\"\n1,next\n"
        XCTAssertEqual(try records(text), [
            .init(line: 1, fields: ["id", "q"]),
            .init(line: 2, fields: ["0", "He said \"hi\"\nthen\r\nleft"]),
            .init(line: 5, fields: ["1", "next"]),
        ])
    }

    func testByteOrderMarkCRLFBlankLinesAndNoFinalNewline() throws {
        let text = "\u{FEFF}a,b\r\n\r\n1,2\r\n3,"
        XCTAssertEqual(try records(text), [
            .init(line: 1, fields: ["a", "b"]),
            .init(line: 3, fields: ["1", "2"]),
            .init(line: 4, fields: ["3", ""]),
        ])
        XCTAssertEqual(try records(""), [])
    }

    func testChineseTextPassesThrough() throws {
        XCTAssertEqual(try records("题目,答案\n\"甲，乙,丙\",C\n")[1].fields, ["甲，乙,丙", "C"])
    }

    func testUnclosedQuoteNamesTheLineItOpened() {
        XCTAssertEqual(reason("a,b\n1,\"never\nclosed\n"),
                       "line 2: quoted field never closed (no matching '\"' before the end of the file)")
    }

    func testStrayQuotesAreErrors() {
        XCTAssertEqual(reason("a,b\n1,\"x\"y\n"),
                       "line 2: \"y\" after the closing quote of a field (a quote inside a field must be doubled)")
        XCTAssertEqual(reason("a,b\n\n1,x\"y\n"),
                       "line 3: '\"' inside an unquoted field (quote the field and double the quote)")
    }

    func testLimitsAndEncoding() {
        XCTAssertEqual(reason("a,b\n1,abcdef\n", limits: .init(maximumFieldBytes: 4)),
                       "line 2: a field longer than the limit of 4 bytes")
        XCTAssertEqual(reason("a,b,c\n", limits: .init(maximumFields: 2)), "line 1: more than 2 fields in one record")
        XCTAssertEqual(reason("abcdef", limits: .init(maximumBytes: 3)), "6 bytes, more than the limit of 3")
        let latin1 = EvaluationFixtures.invalidFileReason(path: "t.csv") {
            try CSVRecords.records(in: Data([0x61, 0xE9, 0x0A]), path: "t.csv")
        }
        XCTAssertEqual(latin1, "not UTF-8 text")
    }

    func testTableChecksFieldCountsAndColumns() throws {
        let path = try EvaluationFixtures.temporaryFile("t.csv", Data("id,q\n0,a\n1,b,extra\n".utf8))
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: path) { try CSVRecords.table(ofFile: path) },
                       "line 3: 3 fields, but the header has 2")
        let good = try EvaluationFixtures.temporaryFile("t.csv", Data("id,q\n0,a\n".utf8))
        let table = try CSVRecords.table(ofFile: good)
        XCTAssertEqual(try table.column("q"), 1)
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: good) { try table.column("answer") },
                       "line 1: no column \"answer\" in the header [\"id\", \"q\"]")
        let empty = try EvaluationFixtures.temporaryFile("e.csv", Data())
        XCTAssertEqual(EvaluationFixtures.invalidFileReason(path: empty) { try CSVRecords.table(ofFile: empty) },
                       "empty: no header line")
    }
}
