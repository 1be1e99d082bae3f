import AtomicWrite
import CSentencePiece
import Foundation

/// What a vocabulary entry is, as SentencePiece classifies it.
public enum PieceKind: Sendable, Hashable {
    /// A normal piece (also a user-defined one): decodes to its text, `▁` read as a space.
    case normal
    /// The unknown piece `<unk>`: decodes to ` ⁇ `.
    case unknown
    /// A control piece such as `<s>` or `</s>`: decodes to nothing.
    case control
    /// A piece reserved but unused.
    case unused
    /// A byte-fallback piece `<0xAB>`: consecutive ones decode as UTF-8 bytes.
    case byte
}

/// A SentencePiece model (`tokenizer.model`) run by Google's libsentencepiece.
///
/// ```swift
/// let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: "tokenizer.model"))
/// let ids = try tokenizer.encode("Hello, world", addBOS: true)   // [1, 22557, 28725, 1526]
/// let text = try tokenizer.decode(ids)                            // "Hello, world"
/// ```
///
/// Encoding and decoding are exactly the library's (the same normaliser, BPE or unigram merges, byte
/// fallback and leading-space rules), so ids match the Python `sentencepiece` package and Hugging
/// Face's slow Llama tokenizer for the same model.
///
/// **Thread safety.** A tokenizer is immutable after loading and every call goes to a `const` method
/// of the C++ processor, which keeps no per-call state in the object; encode and decode from as many
/// tasks or threads at once as you like. That is why the class is `@unchecked Sendable`: its only
/// non-`Sendable` stored property is the pointer to that immutable processor.
public final class SentencePieceTokenizer: TextTokenizer, @unchecked Sendable {
    private let handle: OpaquePointer
    /// Where the model came from: its file path, or a description for in-memory bytes.
    public let source: String
    /// Every piece string, indexed by id.
    public let pieces: [String]
    /// The kind of every piece, indexed by id.
    public let pieceKinds: [PieceKind]
    /// The score of every piece, indexed by id: a BPE model merges higher-scored pieces first, a
    /// unigram model reads scores as log probabilities.
    public let scores: [Float]
    /// The BOS id (`<s>`), or `nil` when the model has none.
    public let bosID: Int?
    /// The EOS id (`</s>`), or `nil` when the model has none.
    public let eosID: Int?
    /// The unknown id (`<unk>`), or `nil` when the model has none.
    public let unknownID: Int?
    /// The padding id, or `nil` when the model has none (Llama, Mistral and MiniCPM have none).
    public let padID: Int?

    /// The number of pieces; valid ids are `0..<vocabularySize`.
    public var vocabularySize: Int { pieces.count }

    /// Loads a model file.
    ///
    /// - Throws: ``TokenizerError/fileNotFound(path:)``, ``TokenizerError/unreadableFile(path:reason:)``
    ///   or ``TokenizerError/invalidModel(source:reason:)`` naming the file.
    public convenience init(contentsOf url: URL) throws(TokenizerError) {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .fileNotFound(path: path)
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        try self.init(data: data, source: path)
    }

    /// Loads a model file at `path`.
    public convenience init(path: String) throws(TokenizerError) {
        try self.init(contentsOf: URL(fileURLWithPath: path))
    }

    /// Loads a model from the bytes of a `tokenizer.model` file.
    ///
    /// - Parameters:
    ///   - data: The serialized `ModelProto`.
    ///   - source: How errors and ``source`` name these bytes.
    /// - Throws: ``TokenizerError/invalidModel(source:reason:)`` when the bytes are not a model,
    ///   or when its normalizer's or denormalizer's `precompiled_charsmap` is corrupt.
    public init(data: Data, source: String = "<data>") throws(TokenizerError) {
        // libsentencepiece 0.1.97 does not check the normalizer's charsmap and reads out of
        // bounds on a corrupt one, so it is checked here first.
        if let problem = data.withUnsafeBytes({ PrecompiledCharsMapValidation.problem(inModel: $0) }) {
            throw .invalidModel(source: source, reason: problem)
        }
        var processor: OpaquePointer?
        let (status, message) = withErrorBuffer { error, capacity in
            data.withUnsafeBytes { bytes in
                csp_processor_load(bytes.baseAddress, bytes.count, &processor, error, capacity)
            }
        }
        guard status == CSP_OK, let processor else {
            var reason = message.isEmpty ? "status \(status.rawValue)" : message
            if reason.contains("ParseFromArray") {
                reason = "the bytes do not parse as a SentencePiece ModelProto (\(reason))"
            }
            throw .invalidModel(source: source, reason: reason)
        }
        handle = processor
        self.source = source
        let count = Int(csp_piece_count(processor))
        var pieces: [String] = []
        var kinds: [PieceKind] = []
        var scores: [Float] = []
        pieces.reserveCapacity(count)
        kinds.reserveCapacity(count)
        scores.reserveCapacity(count)
        for id in 0..<count {
            var pointer: UnsafePointer<CChar>?
            var length = 0
            var kind = CSP_PIECE_NORMAL
            if csp_piece(processor, Int32(id), &pointer, &length, &kind) == CSP_OK, let pointer {
                pieces.append(String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self))
            } else {
                pieces.append("")
            }
            kinds.append(PieceKind(kind))
            var score: Float = 0
            _ = csp_piece_score(processor, Int32(id), &score)
            scores.append(score)
        }
        self.pieces = pieces
        self.pieceKinds = kinds
        self.scores = scores
        func special(_ id: Int32) -> Int? { id >= 0 ? Int(id) : nil }
        bosID = special(csp_bos_id(processor))
        eosID = special(csp_eos_id(processor))
        unknownID = special(csp_unk_id(processor))
        padID = special(csp_pad_id(processor))
    }

    deinit {
        csp_processor_free(handle)
    }

    // MARK: Encoding

    /// Encodes text to ids, optionally with the model's BOS first and EOS last.
    ///
    /// - Throws: ``TokenizerError/missingSpecialToken(_:)`` when BOS or EOS is requested and the
    ///   model has none; ``TokenizerError/library(operation:code:message:)`` if the library fails
    ///   (it does not for a loaded model, short of running out of memory).
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false) throws(TokenizerError) -> [Int] {
        var text = text
        var ids: UnsafeMutablePointer<Int32>?
        var count = 0
        let (status, message) = withErrorBuffer { error, capacity in
            text.withUTF8 { utf8 in
                csp_encode(handle, utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                           utf8.count, addBOS ? 1 : 0, addEOS ? 1 : 0, &ids, &count, error, capacity)
            }
        }
        defer { csp_free_buffer(ids) }
        guard status == CSP_OK else {
            if status == CSP_NO_SUCH_TOKEN { throw .missingSpecialToken(addBOS && bosID == nil ? "BOS" : "EOS") }
            throw .library(operation: "encode", code: Int(status.rawValue), message: message)
        }
        guard let ids, count > 0 else { return [] }
        return [Int](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count { buffer[i] = Int(ids[i]) }
            initialized = count
        }
    }

    /// Encodes text to piece strings (`["▁Hello", ",", "▁world"]`), byte-fallback pieces as `<0xAB>`.
    public func encodeToPieces(_ text: String) throws(TokenizerError) -> [String] {
        try encode(text).map { pieces[$0] }
    }

    // MARK: Decoding

    /// Decodes ids to text exactly as the library does: control ids vanish, runs of byte pieces
    /// become UTF-8 (each invalid byte `U+FFFD`), `<unk>` becomes ` ⁇ `, `▁` becomes a space and
    /// the leading space that encoding added is removed.
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:index:vocabularySize:)`` naming the first bad id.
    public func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        let narrow = try validated(ids)
        let bytes = try decodeToBytes(narrow)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Checks that every id is in the vocabulary and narrows them for the C interface.
    func validated(_ ids: [Int]) throws(TokenizerError) -> [Int32] {
        let size = pieces.count
        var narrow: [Int32] = []
        narrow.reserveCapacity(ids.count)
        for (index, id) in ids.enumerated() {
            guard id >= 0 && id < size else { throw .idOutOfRange(id: id, index: index, vocabularySize: size) }
            narrow.append(Int32(truncatingIfNeeded: id))
        }
        return narrow
    }

    /// The library's decoding of already validated ids, as UTF-8 bytes.
    func decodeToBytes(_ ids: [Int32]) throws(TokenizerError) -> [UInt8] {
        if ids.isEmpty { return [] }
        var text: UnsafeMutablePointer<CChar>?
        var length = 0
        var badIndex = 0
        let (status, message) = withErrorBuffer { error, capacity in
            ids.withUnsafeBufferPointer { buffer in
                csp_decode(handle, buffer.baseAddress, buffer.count, &text, &length, &badIndex,
                           error, capacity)
            }
        }
        defer { csp_free_buffer(text) }
        guard status == CSP_OK else {
            if status == CSP_ID_OUT_OF_RANGE, badIndex < ids.count {
                throw .idOutOfRange(id: Int(ids[badIndex]), index: badIndex, vocabularySize: pieces.count)
            }
            throw .library(operation: "decode", code: Int(status.rawValue), message: message)
        }
        guard let text, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: text, count: length))
    }

    // MARK: Vocabulary

    /// The piece string of `id` (`"▁Hello"`, `"<0x0A>"`, `"<s>"`).
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:index:vocabularySize:)``.
    public func piece(for id: Int) throws(TokenizerError) -> String {
        guard id >= 0 && id < pieces.count else { throw .idOutOfRange(id: id, index: 0, vocabularySize: pieces.count) }
        return pieces[id]
    }

    /// The kind of `id`, or `nil` outside the vocabulary.
    public func kind(of id: Int) -> PieceKind? {
        id >= 0 && id < pieceKinds.count ? pieceKinds[id] : nil
    }

    /// The id of a piece string, or `nil` when the vocabulary does not hold it.
    public func id(forPiece piece: String) -> Int? {
        var piece = piece
        let id = piece.withUTF8 { utf8 in
            csp_piece_to_id(handle,
                            utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                            utf8.count)
        }
        guard id >= 0 && Int(id) < pieces.count else { return nil }
        // The library answers the unknown id for pieces it does not know.
        if let unknownID, Int(id) == unknownID, pieces[unknownID] != piece { return nil }
        return Int(id)
    }

    /// The serialized model (the bytes of a `tokenizer.model` file).
    public func serializedModel() throws(TokenizerError) -> Data {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        let (status, message) = withErrorBuffer { error, capacity in
            csp_serialized_model(handle, &bytes, &length, error, capacity)
        }
        defer { csp_free_buffer(bytes) }
        guard status == CSP_OK, let bytes else {
            throw .library(operation: "serialize", code: Int(status.rawValue), message: message)
        }
        return Data(bytes: bytes, count: length)
    }

    /// Writes the model to a file atomically, e.g. a freshly trained one; only a regular file is
    /// created or replaced (see `AtomicWrite`).
    /// - Throws: ``TokenizerError/cannotWrite(path:reason:)`` naming the path and why.
    public func write(to url: URL) throws(TokenizerError) {
        let data = try serializedModel()
        do {
            try AtomicWrite.write(data, to: url)
        } catch {
            throw .cannotWrite(path: url.path, reason: error.description)
        }
    }
}

extension PieceKind {
    init(_ kind: csp_piece_kind) {
        switch kind {
        case CSP_PIECE_UNKNOWN: self = .unknown
        case CSP_PIECE_CONTROL: self = .control
        case CSP_PIECE_UNUSED: self = .unused
        case CSP_PIECE_BYTE: self = .byte
        default: self = .normal
        }
    }
}

/// Runs `body` with a buffer for the shim's error message and returns its status and that message.
func withErrorBuffer(_ body: (UnsafeMutablePointer<CChar>, Int) -> csp_status) -> (csp_status, String) {
    let capacity = 1024
    return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
        let base = buffer.baseAddress!
        base[0] = 0
        let status = body(base, capacity)
        guard status != CSP_OK else { return (status, "") }
        return (status, String(cString: base))
    }
}
