#if canImport(Glibc)
import Glibc
#endif
import TestSupport
import Foundation
import XCTest

/// `minicpm logits --out` refuses to replace anything but a regular file, and names an empty path
/// clearly (issue 11, hole 1), through the library's atomic writer.
final class CommandLineOutputFileTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try CommandLineTool.run(arguments)
    }

    func testLogitsRefusesAFIFOAndAnEmptyPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cli-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("logits.safetensors")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let model = fixtureURL("tiny-minicpm").path

        let refused = try run(["logits", "--model", model, "--ids", "1,316", "--out", fifo.path])
        XCTAssertNotEqual(refused.status, 0, refused.output)
        XCTAssertTrue(refused.output.contains("refusing to write \(fifo.path): it is a FIFO (named pipe)"), refused.output)
        var info = stat()
        XCTAssertEqual(lstat(fifo.path, &info), 0)
        XCTAssertEqual(UInt32(info.st_mode) & 0o170000, 0o010000, "the FIFO is still a FIFO")

        let empty = try run(["logits", "--model", model, "--ids", "1,316", "--out", ""])
        XCTAssertNotEqual(empty.status, 0, empty.output)
        XCTAssertTrue(empty.output.contains("the path names a directory, not a file (an empty path is the current directory)"),
                      empty.output)
    }
}
