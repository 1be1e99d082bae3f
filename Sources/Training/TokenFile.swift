import Foundation
import TensorCore

/// A tokenised corpus, memory-mapped: the ids of every document packed one after the other, with a
/// table of where each document starts and how many UTF-8 bytes of text it came from (so that a
/// loss can be reported in bits per byte).
///
/// Write one with ``TokenFileWriter``; the layout is in `Docs/TrainingData.md`. Opening validates the
/// whole file — header, sizes against the file's length, the document table and every id against the
/// vocabulary — so reading afterwards cannot fail or run off the mapping; a damaged file is a
/// ``TrainingError/malformedTokenFile(path:reason:)`` naming the field. The id scan costs one pass
/// over the file at open (milliseconds for millions of tokens), which buys unchecked reads in the
/// sampler's hot path.
///
/// The mapping is shared by copies of the value; the file must not be rewritten in place while open
/// (``TokenFileWriter`` replaces files by rename, which is safe).
public struct TokenFile: Sendable {
    /// The mapped file.
    public var url: URL { mapping.url }
    /// The number of tokens.
    public let tokenCount: Int
    /// The number of documents.
    public let documentCount: Int
    /// Every id is below this.
    public let vocabularySize: Int
    /// Bytes per stored id: 2 or 4.
    public let idWidth: Int
    /// The UTF-8 length of all the documents' text.
    public let sourceByteCount: Int
    /// The id that ends every document, or `nil` when documents follow one another unmarked.
    public let endOfDocumentID: Int?
    /// Which tokenizer made the ids (see ``TokenFileWriter/tokenizerIdentifier(name:model:)``).
    public let tokenizerIdentifier: String

    private let mapping: MemoryMappedFile
    private let tableOffset: Int
    private let idsOffset: Int

    /// Opens and validates a token file.
    /// - Throws: ``TrainingError/io(path:reason:)`` when the file cannot be opened or mapped,
    ///   ``TrainingError/malformedTokenFile(path:reason:)`` naming the field at fault otherwise.
    public init(contentsOf url: URL) throws(TrainingError) {
        let mapping: MemoryMappedFile
        do {
            mapping = try MemoryMappedFile(contentsOf: url, reportingErrorsAs: MappingFailure.self)
        } catch {
            throw error.trainingError
        }
        let path = url.path
        let bytes = mapping.bytes
        func malformed(_ reason: String) -> TrainingError { .malformedTokenFile(path: path, reason: reason) }
        func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
        func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
        /// A count field as an `Int` no larger than `limit` (what the file's length can hold).
        func count(_ offset: Int, _ field: String, atMost limit: Int, _ what: String) throws(TrainingError) -> Int {
            let value = u64(offset)
            guard value <= UInt64(max(0, limit)) else {
                throw malformed("\(field) \(value) is more than \(what) (\(max(0, limit)))")
            }
            return Int(value)
        }

        let length = bytes.count
        guard length >= TokenFileLayout.headerSize else {
            throw malformed("truncated header: \(length) bytes, a header has \(TokenFileLayout.headerSize)")
        }
        guard Array(bytes[0..<8]) == TokenFileLayout.magic else {
            throw malformed("magic is \(Array(bytes[0..<8])), expected the bytes of \"MCPMTOKS\"")
        }
        guard u32(8) == TokenFileLayout.version else {
            throw malformed("version \(u32(8)) is not supported (only \(TokenFileLayout.version))")
        }
        let width = Int(u32(12))
        guard width == 2 || width == 4 else { throw malformed("id width \(width) is neither 2 nor 4") }
        let vocabulary = u64(32)
        guard vocabulary >= 1, vocabulary <= UInt64(TokenFileLayout.largestVocabulary) else {
            throw malformed("vocabulary size \(vocabulary) is not in 1...\(TokenFileLayout.largestVocabulary)")
        }
        guard width == 4 || vocabulary <= UInt64(TokenFileLayout.largestTwoByteVocabulary) else {
            throw malformed("vocabulary size \(vocabulary) does not fit 2-byte ids")
        }
        let identifierLength = Int(u32(52))
        guard identifierLength <= TokenFileLayout.maximumIdentifierLength else {
            throw malformed("tokenizer identifier length \(identifierLength) is more than \(TokenFileLayout.maximumIdentifierLength)")
        }
        guard u64(56) == 0 else { throw malformed("reserved field is \(u64(56)), not 0") }
        let tableOffset = TokenFileLayout.tableOffset(identifierLength: identifierLength)
        guard tableOffset <= length else {
            throw malformed("truncated tokenizer identifier: it needs \(tableOffset) bytes, the file has \(length)")
        }
        guard let identifier = String(validating: bytes[TokenFileLayout.headerSize..<(TokenFileLayout.headerSize + identifierLength)],
                                      as: UTF8.self) else {
            throw malformed("tokenizer identifier is not UTF-8")
        }
        let documents = try count(24, "document count", atMost: (length - tableOffset) / TokenFileLayout.documentEntrySize,
                                  "the file's \(length) bytes can hold")
        let idsOffset = tableOffset + documents * TokenFileLayout.documentEntrySize
        let tokens = try count(16, "token count", atMost: (length - idsOffset) / width, "the file's \(length) bytes can hold")
        guard idsOffset + tokens * width == length else {
            throw malformed("file length \(length) bytes, but the header describes \(idsOffset + tokens * width)")
        }
        let endMark = u32(48)
        let endOfDocument: Int? = endMark == TokenFileLayout.noEndOfDocument ? nil : Int(endMark)
        if let endOfDocument, UInt64(endOfDocument) >= vocabulary {
            throw malformed("end-of-document id \(endOfDocument) is not below the vocabulary size \(vocabulary)")
        }
        let sourceBytes = u64(40)
        guard documents > 0 || tokens == 0 else { throw malformed("\(tokens) tokens but no documents") }

        var previous: UInt64 = 0
        var byteTotal: UInt64 = 0
        for index in 0..<documents {
            let entry = tableOffset + index * TokenFileLayout.documentEntrySize
            let start = u64(entry)
            if index == 0, start != 0 { throw malformed("document 0 starts at token \(start), not 0") }
            guard start >= previous else {
                throw malformed("document \(index) starts at token \(start), before document \(index - 1) (\(previous))")
            }
            guard start <= UInt64(tokens) else {
                throw malformed("document \(index) starts at token \(start), past the token count \(tokens)")
            }
            let (sum, overflow) = byteTotal.addingReportingOverflow(u64(entry + 8))
            guard !overflow else { throw malformed("document \(index): byte lengths overflow") }
            previous = start
            byteTotal = sum
        }
        guard byteTotal == sourceBytes else {
            throw malformed("source bytes \(sourceBytes) is not the sum of the documents' byte lengths (\(byteTotal))")
        }
        guard byteTotal <= UInt64(Int.max) else { throw malformed("source bytes \(byteTotal) is too large") }

        let idBytes = UnsafeRawBufferPointer(rebasing: bytes[idsOffset..<length])
        if let (index, id) = Self.firstID(in: idBytes, width: width, atLeast: vocabulary) {
            throw malformed("token \(index) is id \(id), not below the vocabulary size \(vocabulary)")
        }

        self.mapping = mapping
        self.tableOffset = tableOffset
        self.idsOffset = idsOffset
        self.tokenCount = tokens
        self.documentCount = documents
        self.vocabularySize = Int(vocabulary)
        self.idWidth = width
        self.sourceByteCount = Int(sourceBytes)
        self.endOfDocumentID = endOfDocument
        self.tokenizerIdentifier = identifier
    }

    /// The id at `index` (in `0..<tokenCount`).
    public func token(at index: Int) -> Int {
        precondition(index >= 0 && index < tokenCount, "token \(index) is outside 0..<\(tokenCount)")
        return id(at: index)
    }

    /// The ids in `range` (within `0..<tokenCount`).
    public func tokens(in range: Range<Int>) -> [Int] {
        precondition(range.lowerBound >= 0 && range.upperBound <= tokenCount,
                     "tokens \(range) are outside 0..<\(tokenCount)")
        return range.map(id(at:))
    }

    /// The tokens of document `index` (in `0..<documentCount`), its end-of-document id included.
    public func documentTokens(at index: Int) -> Range<Int> {
        precondition(index >= 0 && index < documentCount, "document \(index) is outside 0..<\(documentCount)")
        let start = Int(entry(index, field: 0))
        let end = index + 1 < documentCount ? Int(entry(index + 1, field: 0)) : tokenCount
        return start..<end
    }

    /// The UTF-8 length of document `index`'s text.
    public func documentByteCount(at index: Int) -> Int {
        precondition(index >= 0 && index < documentCount, "document \(index) is outside 0..<\(documentCount)")
        return Int(entry(index, field: 1))
    }

    /// The document that holds token `index` (the last of several when empty documents share a start).
    public func documentIndex(containingToken index: Int) -> Int {
        precondition(index >= 0 && index < tokenCount, "token \(index) is outside 0..<\(tokenCount)")
        var (low, high) = (0, documentCount)       // the last document starting at or before `index`
        while high - low > 1 {
            let middle = (low + high) / 2
            if Int(entry(middle, field: 0)) <= index { low = middle } else { high = middle }
        }
        return low
    }

    /// All the tokens, as a slice to sample from or split.
    public var allTokens: TokenSlice { TokenSlice(unchecked: self, range: 0..<tokenCount) }

    private func entry(_ index: Int, field: Int) -> UInt64 {
        let offset = tableOffset + index * TokenFileLayout.documentEntrySize + field * 8
        return UInt64(littleEndian: mapping.bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    private func id(at index: Int) -> Int {
        let offset = idsOffset + index * idWidth
        if idWidth == 2 {
            return Int(UInt16(littleEndian: mapping.bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        }
        return Int(UInt32(littleEndian: mapping.bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
    }

    private static func firstID(in bytes: UnsafeRawBufferPointer, width: Int, atLeast limit: UInt64) -> (Int, UInt64)? {
        let count = bytes.count / width
        for index in 0..<count {
            let value = width == 2
                ? UInt64(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
                : UInt64(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
            if value >= limit { return (index, value) }
        }
        return nil
    }
}

/// How ``MemoryMappedFile`` reports failures to ``TokenFile``, before they become ``TrainingError``s.
private enum MappingFailure: FileMappingError {
    case cannotOpenFile(path: String, reason: String)
    case emptyFile(path: String)
    case mappingFailed(path: String, reason: String)

    var trainingError: TrainingError {
        switch self {
        case let .cannotOpenFile(path, reason): return .io(path: path, reason: "cannot open: \(reason)")
        case let .emptyFile(path): return .malformedTokenFile(path: path, reason: "truncated header: the file is empty")
        case let .mappingFailed(path, reason): return .io(path: path, reason: "cannot map: \(reason)")
        }
    }
}
