import Foundation
import TensorCore
import Training
import XCTest

/// Every damaged file is a typed error naming the file and the field, never a crash or a huge
/// allocation.
final class TokenFileValidationTests: XCTestCase {
    private var folder: URL!
    /// A valid file: documents [1, 2] and [3], each followed by EOS 0; vocabulary 10; identifier "t".
    /// Header 0..<64, identifier 64..<72, table 72..<104 (starts 0 and 3), ids 104..<114.
    private var valid: [UInt8] = []

    override func setUpWithError() throws {
        folder = try temporaryFolder(self)
        let file = try makeTokenFile([[1, 2], [3]], byteCounts: [5, 7], vocabularySize: 10, endOfDocumentID: 0, in: folder)
        valid = [UInt8](try Data(contentsOf: file.url))
        XCTAssertEqual(valid.count, 114)
    }

    private func assertMalformed(_ bytes: [UInt8], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = folder.appendingPathComponent("damaged-\(UUID().uuidString).tokens")
        try Data(bytes).write(to: url)
        XCTAssertThrowsError(try TokenFile(contentsOf: url), file: file, line: line) { error in
            guard case let .malformedTokenFile(path, reason) = error as? TrainingError else {
                return XCTFail("\(error) is not malformedTokenFile", file: file, line: line)
            }
            XCTAssertEqual(path, url.path, file: file, line: line)
            XCTAssertTrue(reason.contains(expected), "\"\(reason)\" does not mention \"\(expected)\"", file: file, line: line)
        }
    }

    private func with(_ offset: Int, _ value: UInt64, width: Int = 8) -> [UInt8] {
        var bytes = valid
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
        return bytes
    }

    func testTheUntouchedFileOpens() throws {
        try Data(valid).write(to: folder.appendingPathComponent("copy.tokens"))
        XCTAssertEqual(try TokenFile(contentsOf: folder.appendingPathComponent("copy.tokens")).tokenCount, 5)
    }

    func testTruncatedFiles() throws {
        try assertMalformed([], "truncated header")
        try assertMalformed(Array(valid[0..<63]), "truncated header")
        try assertMalformed(Array(valid[0..<70]), "truncated tokenizer identifier")
        try assertMalformed(Array(valid.dropLast()), "token count 5 is more than the file's 113 bytes can hold (4)")
        try assertMalformed(valid + [0, 0], "file length 116 bytes, but the header describes 114")
    }

    func testBadHeaderFields() throws {
        try assertMalformed(with(0, 0x5A5A, width: 2), "magic")
        try assertMalformed(with(8, 2, width: 4), "version 2")
        try assertMalformed(with(12, 3, width: 4), "id width 3")
        try assertMalformed(with(32, 0), "vocabulary size 0")
        try assertMalformed(with(32, 70_000), "vocabulary size 70000 does not fit 2-byte ids")
        try assertMalformed(with(48, 10, width: 4), "end-of-document id 10")
        try assertMalformed(with(52, 5000, width: 4), "tokenizer identifier length 5000")
        try assertMalformed(with(56, 1), "reserved field")
        try assertMalformed(with(64, 0xFF, width: 1), "tokenizer identifier is not UTF-8")
        try assertMalformed(with(40, 13), "source bytes 13 is not the sum of the documents' byte lengths (12)")
    }

    /// Counts are checked against what the file's length can hold before anything is read by them.
    func testCountsLargerThanTheFile() throws {
        try assertMalformed(with(24, UInt64.max), "document count 18446744073709551615 is more than the file's 114 bytes can hold (2)")
        try assertMalformed(with(16, 1 << 62), "token count 4611686018427387904 is more than")
        try assertMalformed(with(16, 4), "file length 114 bytes, but the header describes 112")
    }

    func testDocumentTable() throws {
        try assertMalformed(with(72, 1), "document 0 starts at token 1, not 0")
        try assertMalformed(with(88, 6), "document 1 starts at token 6, past the token count 5")
        // Three documents whose starts go 0, 3, 2.
        let file = try makeTokenFile([[1, 2], [3], [4]], vocabularySize: 10, endOfDocumentID: 0, in: folder, name: "three.tokens")
        var bytes = [UInt8](try Data(contentsOf: file.url))
        bytes[72 + 32] = 2
        try assertMalformed(bytes, "document 2 starts at token 2, before document 1 (3)")
        try assertMalformed(with(24, 0), "file length 114 bytes")
    }

    func testIDsAtOrAboveTheVocabulary() throws {
        try assertMalformed(with(104 + 2 * 3, 10, width: 2), "token 3 is id 10, not below the vocabulary size 10")
        try assertMalformed(with(104 + 2 * 4, 0xFFFF, width: 2), "token 4 is id 65535")
    }

    func testMissingFileIsAnIOError() {
        let url = folder.appendingPathComponent("absent.tokens")
        XCTAssertThrowsError(try TokenFile(contentsOf: url)) {
            guard case let .io(path, _) = $0 as? TrainingError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, url.path)
        }
    }

    func testWritingRefusesANonRegularDestinationAndKeepsAnOldFileOnFailure() throws {
        var writer = try TokenFileWriter(vocabularySize: 10, endOfDocumentID: nil, tokenizerIdentifier: "t")
        try writer.appendDocument([1], byteCount: 1)
        let fifo = folder.appendingPathComponent("fifo.tokens")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try writer.write(to: fifo)) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: fifo.path, kind: .fifo))
        }
        let directory = folder.appendingPathComponent("folder.tokens")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        XCTAssertThrowsError(try writer.write(to: URL(fileURLWithPath: directory.path, isDirectory: false))) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: directory.path, kind: .directory))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".partial") }
        XCTAssertEqual(leftovers, [], "no temporary file is left behind")
    }
}
