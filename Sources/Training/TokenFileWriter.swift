import Foundation
import TensorCore
import Tokenizer

/// Builds a ``TokenFile``: documents are appended one at a time, then the file is written at once,
/// atomically (a reader sees the old file or the complete new one).
///
/// **Document separation.** When the writer has an ``endOfDocumentID`` (a tokenizer's EOS), it
/// appends it after every document's ids, so that windows packed across a boundary show the model
/// where one text ends; the id counts as the document's last token. Without one, documents follow
/// one another unmarked and only the document table records the boundaries.
///
/// The ids are held in memory until ``write(to:)`` (the header, written first, needs their count):
/// 2 or 4 bytes a token, 20 MB for the 10 million tokens of the corpora of `make corpora`.
public struct TokenFileWriter: Sendable {
    /// Every id must be below this.
    public let vocabularySize: Int
    /// Appended after every document, or `nil` for none.
    public let endOfDocumentID: Int?
    /// Which tokenizer made the ids; stored in the file.
    public let tokenizerIdentifier: String
    /// The tokens appended so far.
    public var tokenCount: Int { idWidth == 2 ? narrowIDs.count : wideIDs.count }
    /// The documents appended so far.
    public var documentCount: Int { documentStarts.count }
    /// The UTF-8 bytes of the documents appended so far.
    public private(set) var sourceByteCount = 0

    private let idWidth: Int
    private var narrowIDs: [UInt16] = []
    private var wideIDs: [UInt32] = []
    private var documentStarts: [Int] = []
    private var documentByteCounts: [Int] = []

    /// A writer for ids below `vocabularySize` (stored as `UInt16` up to 65,536, else `UInt32`).
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` when the vocabulary size is
    ///   outside `1...4_294_967_295`, the end-of-document id is not below it, or the identifier is
    ///   longer than 4,096 UTF-8 bytes.
    public init(vocabularySize: Int, endOfDocumentID: Int?, tokenizerIdentifier: String) throws(TrainingError) {
        guard vocabularySize >= 1, vocabularySize <= TokenFileLayout.largestVocabulary else {
            throw .invalidConfiguration(field: "vocabularySize", reason: "\(vocabularySize) is not in 1...\(TokenFileLayout.largestVocabulary)")
        }
        if let endOfDocumentID, !(0..<vocabularySize).contains(endOfDocumentID) {
            throw .invalidConfiguration(field: "endOfDocumentID", reason: "\(endOfDocumentID) is not in 0..<\(vocabularySize)")
        }
        guard tokenizerIdentifier.utf8.count <= TokenFileLayout.maximumIdentifierLength else {
            throw .invalidConfiguration(field: "tokenizerIdentifier",
                                        reason: "\(tokenizerIdentifier.utf8.count) bytes, at most \(TokenFileLayout.maximumIdentifierLength)")
        }
        self.vocabularySize = vocabularySize
        self.endOfDocumentID = endOfDocumentID
        self.tokenizerIdentifier = tokenizerIdentifier
        self.idWidth = TokenFileLayout.idWidth(forVocabularySize: vocabularySize)
    }

    /// A writer for the ids of `tokenizer`, separating documents with its EOS when it has one.
    public init(tokenizer: some TextTokenizer, identifier: String) throws(TrainingError) {
        try self.init(vocabularySize: tokenizer.vocabularySize, endOfDocumentID: tokenizer.eosID,
                      tokenizerIdentifier: identifier)
    }

    /// Appends a document: its ids (the end-of-document id is added here, not by the caller) and the
    /// UTF-8 length of the text they encode.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` for an id outside the
    ///   vocabulary or a negative byte count; nothing is appended then.
    public mutating func appendDocument(_ ids: [Int], byteCount: Int) throws(TrainingError) {
        if let bad = ids.firstIndex(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw .invalidConfiguration(field: "ids", reason: "id \(ids[bad]) at \(bad) is not in 0..<\(vocabularySize)")
        }
        guard byteCount >= 0 else { throw .invalidConfiguration(field: "byteCount", reason: "\(byteCount) is negative") }
        documentStarts.append(tokenCount)
        documentByteCounts.append(byteCount)
        sourceByteCount += byteCount
        let all = endOfDocumentID.map { ids + [$0] } ?? ids
        if idWidth == 2 {
            narrowIDs.append(contentsOf: all.lazy.map { UInt16(truncatingIfNeeded: $0) })
        } else {
            wideIDs.append(contentsOf: all.lazy.map { UInt32(truncatingIfNeeded: $0) })
        }
    }

    /// Tokenises `text` with `tokenizer` (no BOS or EOS: the writer adds its end-of-document id) and
    /// appends it as a document.
    public mutating func appendDocument(text: String, tokenizer: some TextTokenizer) throws {
        try appendDocument(try tokenizer.encode(text), byteCount: text.utf8.count)
    }

    /// Writes the file atomically: to a temporary file beside `url`, then renamed over it.
    /// - Throws: `AtomicFileDestinationError` when `url` is something other than a
    ///   regular file (a directory, a device), `AtomicFileWriteError` when writing fails.
    public func write(to url: URL) throws {
        let identifier = Array(tokenizerIdentifier.utf8)
        var header = [UInt8]()
        header.reserveCapacity(TokenFileLayout.tableOffset(identifierLength: identifier.count) + documentCount * 16)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { header.append(contentsOf: $0) }
        }
        header.append(contentsOf: TokenFileLayout.magic)
        append(TokenFileLayout.version)
        append(UInt32(idWidth))
        append(UInt64(tokenCount))
        append(UInt64(documentCount))
        append(UInt64(vocabularySize))
        append(UInt64(sourceByteCount))
        append(endOfDocumentID.map { UInt32($0) } ?? TokenFileLayout.noEndOfDocument)
        append(UInt32(identifier.count))
        append(UInt64(0))
        header.append(contentsOf: identifier)
        header.append(contentsOf: repeatElement(0, count: TokenFileLayout.tableOffset(identifierLength: identifier.count) - header.count))
        for (start, bytes) in zip(documentStarts, documentByteCounts) {
            append(UInt64(start))
            append(UInt64(bytes))
        }
        try AtomicFileWriter.write(to: url) { file in
            try file.write(header)
            // Little-endian hosts (every platform Swift on Linux runs on) store the ids as the file does.
            if idWidth == 2 {
                try narrowIDs.map(\.littleEndian).withUnsafeBytes { try file.write($0) }
            } else {
                try wideIDs.map(\.littleEndian).withUnsafeBytes { try file.write($0) }
            }
        }
    }

    /// An identifier for a tokenizer: its name (e.g. the model's file name) and a 64-bit FNV-1a
    /// checksum of its serialised model, so that a token file names the exact vocabulary its ids
    /// belong to. A checksum, not a cryptographic hash: it tells models apart, it does not
    /// authenticate them.
    public static func tokenizerIdentifier(name: String, model: Data) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in model {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "\(name) fnv1a64:\(String(repeating: "0", count: 16 - hex.count))\(hex)"
    }
}
