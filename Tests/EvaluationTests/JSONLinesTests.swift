import Evaluation
import Foundation
import XCTest

final class JSONLinesTests: XCTestCase {
    private struct Row: Decodable, Equatable {
        let name: String
        let count: Int
    }

    func testLinesKeepTheirNumbersAndSkipBlankLinesAndCarriageReturns() throws {
        let text = "{\"name\": \"a\", \"count\": 1}\r\n\n  \n{\"name\": \"b\", \"count\": 2}"
        let path = try EvaluationFixtures.temporaryFile("rows.jsonl", Data(text.utf8))
        let lines = try JSONLines.lines(ofFile: path)
        XCTAssertEqual(lines.map(\.number), [1, 4])
        XCTAssertEqual(try JSONLines.decode(Row.self, fromFile: path), [Row(name: "a", count: 1), Row(name: "b", count: 2)])
    }

    func testPlainAndGzipFixturesReadTheSameWay() throws {
        XCTAssertEqual(try JSONLines.lines(ofFile: EvaluationFixtures.path("piqa_validation.jsonl")).count, 5)
        XCTAssertEqual(try JSONLines.lines(ofFile: EvaluationFixtures.path("humaneval.jsonl.gz")).count, 5)
    }

    func testBadJSONNamesTheFileAndLine() throws {
        let text = "{\"name\": \"a\", \"count\": 1}\n{\"name\": \"b\", \"count\": 2}\n{\"name\": \"c\", \"count\": \n"
        let path = try EvaluationFixtures.temporaryFile("bad.jsonl", Data(text.utf8))
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try JSONLines.decode(Row.self, fromFile: path) }
        XCTAssertEqual(reason, "line 3: not JSON")
    }

    /// Five MMLU rows and a cut-off sixth, gzip-compressed (Fixtures/bad_line6.jsonl.gz).
    func testBadJSONInsideGzipNamesTheLine() throws {
        let path = EvaluationFixtures.path("bad_line6.jsonl.gz")
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try DatasetLoader.mmlu(path: path) }
        XCTAssertEqual(reason, "line 6: not JSON")
    }

    func testWrongShapeNamesTheField() throws {
        let text = "{\"name\": \"a\", \"count\": 1}\n{\"name\": \"b\", \"count\": \"two\"}\n{\"name\": \"c\"}\n"
        let path = try EvaluationFixtures.temporaryFile("shape.jsonl", Data(text.utf8))
        let lines = try JSONLines.lines(ofFile: path)
        XCTAssertEqual(try JSONLines.decode(Row.self, line: lines[0], path: path), Row(name: "a", count: 1))
        let second = EvaluationFixtures.invalidFileReason(path: path) { try JSONLines.decode(Row.self, line: lines[1], path: path) }
        XCTAssertEqual(second, "line 2: expected Int at count")
        let third = EvaluationFixtures.invalidFileReason(path: path) { try JSONLines.decode(Row.self, line: lines[2], path: path) }
        XCTAssertEqual(third, "line 3: missing field count")
    }

    func testOversizedLineIsAnErrorNamingTheLine() throws {
        let text = "{\"name\": \"a\", \"count\": 1}\n{\"name\": \"\(String(repeating: "x", count: 200))\", \"count\": 2}\n"
        let path = try EvaluationFixtures.temporaryFile("long.jsonl", Data(text.utf8))
        let limits = JSONLines.Limits(maximumLineBytes: 100)
        let reason = EvaluationFixtures.invalidFileReason(path: path) { try JSONLines.lines(ofFile: path, limits: limits) }
        XCTAssertEqual(reason, "line 2: 224 bytes, more than the limit of 100")
    }

    func testFileOverTheSizeLimitIsAnError() throws {
        let path = EvaluationFixtures.path("piqa_validation.jsonl")
        let reason = EvaluationFixtures.invalidFileReason(path: path) {
            try JSONLines.lines(ofFile: path, limits: JSONLines.Limits(maximumBytes: 100))
        }
        XCTAssertEqual(reason, "1080 bytes, more than the limit of 100")
    }
}
