#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Tokenizer
import XCTest

/// Writing a tokenizer model replaces only a regular file (issue 11, hole 1).
final class TokenizerWriteTests: XCTestCase {
    func testWritingOverAFIFOIsRefusedAndARegularFileIsWritten() throws {
        let source = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("tokenizer.model.v1")
        let tokenizer = try SentencePieceTokenizer(contentsOf: source)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let fifo = directory.appendingPathComponent("tokenizer.model")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try tokenizer.write(to: fifo)) {
            XCTAssertEqual($0 as? TokenizerError, .cannotWrite(
                path: fifo.path, reason: "refusing to write \(fifo.path): it is a FIFO (named pipe); only a regular file is created or replaced"))
        }
        let file = directory.appendingPathComponent("copy.model")
        try tokenizer.write(to: file)
        XCTAssertEqual(try SentencePieceTokenizer(contentsOf: file).encode("Hello, world", addBOS: true, addEOS: false),
                       try tokenizer.encode("Hello, world", addBOS: true, addEOS: false))
    }
}
