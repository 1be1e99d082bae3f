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

    /// A fork bomb's processes share stderr, so their tracebacks interleave line by line; CI once saw
    /// this tail end in another process's traceback header, and the run was classed as a plain failure.
    func testInterleavedTracebacksAreClassedByTheLastExceptionLine() {
        func outcome(_ stderr: String, exitStatus: Int32 = 1) -> SandboxResult.Outcome {
            var output = BoundedOutput(limit: 4096, keep: .tail)
            feed(&output, stderr, chunk: 64)
            let termination = LimitedChildProcess.Termination(
                exitStatus: exitStatus, signal: nil, timedOut: false,
                stdout: BoundedOutput(limit: 16, keep: .head), stderr: output, seconds: 0.1)
            return CodeSandbox.outcome(of: termination, stderr: output.text)
        }
        let interleaved = """
            BlockingIOError: [Errno 11] Resource temporarily unavailable
            BlockingIOError: [Errno 11] Resource temporarily unavailable
            Traceback (most recent call last):
              File "/tmp/sandbox/program.py", line 3, in <module>

            """
        XCTAssertEqual(outcome(interleaved), .resourceLimit(.processes))
        XCTAssertEqual(outcome("Traceback (most recent call last):\n  File \"p.py\", line 1\nMemoryError\n"),
                       .resourceLimit(.memory))
        XCTAssertEqual(outcome("Traceback (most recent call last):\n  File \"p.py\", line 1\nAssertionError\n"),
                       .failed(exitStatus: 1, signal: nil))
        XCTAssertEqual(outcome("", exitStatus: 0), .passed)
    }
}
