@testable import Evaluation
import XCTest

/// The bounded capture of a program's output: never more than its limit kept, whatever the chunking.
final class CodeSandboxOutputTests: XCTestCase {
    private func feed(_ output: inout BoundedOutput, _ text: String, chunk: Int) {
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            bytes[start..<min(start + chunk, bytes.count)].withUnsafeBytes { output.append($0) }
        }
    }

    func testHeadKeepsTheFirstBytes() {
        for chunk in [1, 3, 7, 100] {
            var output = BoundedOutput(limit: 5, keep: .head)
            feed(&output, "abcdefghij", chunk: chunk)
            XCTAssertEqual(output.text, "abcde", "chunk \(chunk)")
            XCTAssertEqual(output.total, 10)
            XCTAssertTrue(output.truncated)
        }
    }

    func testTailKeepsTheLastBytes() {
        for chunk in [1, 3, 7, 100] {
            var output = BoundedOutput(limit: 4, keep: .tail)
            feed(&output, "abcdefghij", chunk: chunk)
            XCTAssertEqual(output.text, "ghij", "chunk \(chunk)")
            XCTAssertEqual(output.total, 10)
            XCTAssertTrue(output.truncated)
            XCTAssertLessThanOrEqual(output.bytes.count, 8, "at most twice the limit is ever held")
        }
    }

    func testShortOutputIsWholeAndNotTruncated() {
        var head = BoundedOutput(limit: 8, keep: .head), tail = BoundedOutput(limit: 8, keep: .tail)
        feed(&head, "héllo", chunk: 2)
        feed(&tail, "héllo", chunk: 2)
        XCTAssertEqual(head.text, "héllo")
        XCTAssertEqual(tail.text, "héllo")
        XCTAssertFalse(head.truncated)
        XCTAssertFalse(tail.truncated)
    }
}
