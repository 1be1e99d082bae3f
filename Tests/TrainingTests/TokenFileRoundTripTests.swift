import Foundation
import Training
import XCTest

final class TokenFileRoundTripTests: XCTestCase {
    func testTwoByteIDsRoundTripWithEndOfDocument() throws {
        let folder = try temporaryFolder(self)
        let documents = [[5, 65_535, 0], [], [7, 8]]
        let file = try makeTokenFile(documents, byteCounts: [11, 0, 4], vocabularySize: 65_536, endOfDocumentID: 3,
                                     identifier: "tokenizer.model fnv1a64:0123456789abcdef", in: folder)
        XCTAssertEqual(file.idWidth, 2)
        XCTAssertEqual(file.vocabularySize, 65_536)
        XCTAssertEqual(file.endOfDocumentID, 3)
        XCTAssertEqual(file.tokenizerIdentifier, "tokenizer.model fnv1a64:0123456789abcdef")
        XCTAssertEqual(file.documentCount, 3)
        XCTAssertEqual(file.tokenCount, 8, "every document ends with the end-of-document id, the empty one too")
        XCTAssertEqual(file.tokens(in: 0..<8), [5, 65_535, 0, 3, 3, 7, 8, 3])
        XCTAssertEqual((0..<3).map(file.documentTokens(at:)), [0..<4, 4..<5, 5..<8])
        XCTAssertEqual((0..<3).map(file.documentByteCount(at:)), [11, 0, 4])
        XCTAssertEqual(file.sourceByteCount, 15)
        XCTAssertEqual((0..<8).map(file.documentIndex(containingToken:)), [0, 0, 0, 0, 1, 2, 2, 2])
        let size = try FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? Int
        XCTAssertEqual(size, 64 + 40 + 3 * 16 + 8 * 2, "header, identifier padded to 40 bytes, table, 2-byte ids")
    }

    func testFourByteIDsRoundTripWithoutEndOfDocument() throws {
        let folder = try temporaryFolder(self)
        let file = try makeTokenFile([[70_000, 1], [65_536]], byteCounts: [3, 9], vocabularySize: 70_001, in: folder)
        XCTAssertEqual(file.idWidth, 4)
        XCTAssertNil(file.endOfDocumentID)
        XCTAssertEqual(file.tokenCount, 3, "without an end-of-document id only the table marks the boundary")
        XCTAssertEqual(file.tokens(in: 0..<3), [70_000, 1, 65_536])
        XCTAssertEqual(file.documentTokens(at: 1), 2..<3)
        XCTAssertEqual(file.sourceByteCount, 12)
        let size = try FileManager.default.attributesOfItem(atPath: file.url.path)[.size] as? Int
        XCTAssertEqual(size, 64 + 8 + 2 * 16 + 3 * 4)
    }

    /// The documented layout, byte for byte: a reader in another language relies on it.
    func testHeaderFieldsSitAtTheDocumentedOffsets() throws {
        let folder = try temporaryFolder(self)
        let file = try makeTokenFile([[4, 5]], byteCounts: [6], vocabularySize: 300, endOfDocumentID: 2,
                                     identifier: "abc", in: folder)
        let bytes = [UInt8](try Data(contentsOf: file.url))
        func u64(_ offset: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * $1) } }
        func u32(_ offset: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * $1) } }
        XCTAssertEqual(Array(bytes[0..<8]), Array("MCPMTOKS".utf8))
        XCTAssertEqual(u32(8), 1)          // version
        XCTAssertEqual(u32(12), 2)         // id width
        XCTAssertEqual(u64(16), 3)         // tokens: 4, 5, EOS
        XCTAssertEqual(u64(24), 1)         // documents
        XCTAssertEqual(u64(32), 300)       // vocabulary
        XCTAssertEqual(u64(40), 6)         // source bytes
        XCTAssertEqual(u32(48), 2)         // end-of-document id
        XCTAssertEqual(u32(52), 3)         // identifier length
        XCTAssertEqual(u64(56), 0)         // reserved
        XCTAssertEqual(Array(bytes[64..<72]), Array("abc".utf8) + [0, 0, 0, 0, 0])
        XCTAssertEqual([u64(72), u64(80)], [0, 6])     // the document table
        XCTAssertEqual(Array(bytes[88...]), [4, 0, 5, 0, 2, 0])
    }

    func testTextDocumentsAreEncodedWithoutBOSAndEndWithTheTokenizersEOS() throws {
        let folder = try temporaryFolder(self)
        let tokenizer = ByteTokenizer()
        var writer = try TokenFileWriter(tokenizer: tokenizer, identifier: "bytes")
        try writer.appendDocument(text: "hé", tokenizer: tokenizer)
        try writer.appendDocument(text: "a", tokenizer: tokenizer)
        let url = folder.appendingPathComponent("text.tokens")
        try writer.write(to: url)
        let file = try TokenFile(contentsOf: url)
        XCTAssertEqual(file.tokens(in: 0..<file.tokenCount), [Int(UInt8(ascii: "h")) + 3, 0xC3 + 3, 0xA9 + 3, 2, Int(UInt8(ascii: "a")) + 3, 2])
        XCTAssertEqual([file.documentByteCount(at: 0), file.documentByteCount(at: 1)], [3, 1], "UTF-8 bytes, not characters")
    }

    func testWriterRejectsIDsOutsideTheVocabulary() throws {
        var writer = try TokenFileWriter(vocabularySize: 10, endOfDocumentID: nil, tokenizerIdentifier: "t")
        XCTAssertThrowsError(try writer.appendDocument([1, 10], byteCount: 2)) {
            XCTAssertEqual($0 as? TrainingError, .invalidConfiguration(field: "ids", reason: "id 10 at 1 is not in 0..<10"))
        }
        XCTAssertEqual(writer.tokenCount, 0, "a rejected document leaves nothing behind")
        XCTAssertThrowsError(try TokenFileWriter(vocabularySize: 10, endOfDocumentID: 10, tokenizerIdentifier: "t"))
    }

    func testTokenizerIdentifierNamesTheModelsChecksum() {
        let a = TokenFileWriter.tokenizerIdentifier(name: "tokenizer.model", model: Data("model".utf8))
        XCTAssertEqual(TokenFileWriter.tokenizerIdentifier(name: "x", model: Data()), "x fnv1a64:cbf29ce484222325",
                       "FNV-1a of nothing is its offset basis")
        XCTAssertEqual(a, TokenFileWriter.tokenizerIdentifier(name: "tokenizer.model", model: Data("model".utf8)))
        XCTAssertNotEqual(a, TokenFileWriter.tokenizerIdentifier(name: "tokenizer.model", model: Data("modem".utf8)))
    }
}
