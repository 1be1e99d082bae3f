/// Turns ids into text as they arrive (one generated token at a time), so that the concatenation
/// of everything it returns equals the tokenizer's `decode` of all the ids at once.
///
/// ```swift
/// var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
/// for id in generatedIDs {
///     print(try detokenizer.append(id), terminator: "")
/// }
/// print(detokenizer.finish())
/// ```
///
/// Decoding one id at a time with `decode([id])` is wrong in two ways this type avoids:
/// - a character outside ASCII may arrive as several tokens (SentencePiece byte-fallback pieces
///   `<0xE4><0xB8><0xAD>`, or byte-level BPE tokens that each hold part of a character's UTF-8),
///   and the bytes of an unfinished character decode to `U+FFFD`; they are held back until the next
///   id shows what they become;
/// - SentencePiece removes the leading space of the first piece only (`▁Hello` is `Hello` at the
///   start and ` Hello` after other text), so each id's text depends on what came before.
///
/// **How**, per tokenizer:
/// - ``ByteLevelBPETokenizer``: every token stands for fixed bytes, so the bytes are appended and
///   everything up to a trailing incomplete UTF-8 sequence (a lead byte and the continuation bytes
///   that may still follow it) is returned. Replacement characters then fall where decoding all
///   at once puts them, since an invalid sequence is invalid whatever follows it.
/// - ``SentencePieceTokenizer``: it decodes a short window of recent ids with the library and
///   returns the part of the text not returned yet. Once the window holds a few ids and everything
///   decoded so far has been returned, the window restarts at the last id (the *anchor*), provided
///   that id is a normal or unknown piece that decodes to non-empty text on its own. Then the library
///   decodes whatever follows the anchor the same way whether it decodes the window or the whole
///   sequence (no leading space is removed after non-empty text, and a run of byte pieces cannot
///   span the anchor), and the anchor's own text, already returned, is skipped. So each id costs one
///   library call on a few ids, however long the stream.
/// - Any other ``TextTokenizer``: all ids so far are decoded on every call (quadratic in the length
///   of the stream, correct for any decoder that only ever extends its text), with trailing `U+FFFD`s
///   held back.
///
/// Property tests check the result against decoding everything at once on random id sequences of a
/// real 32000-piece SentencePiece vocabulary and of SmolLM2's 49152-token byte-level one.
public struct StreamingDetokenizer: Sendable {
    /// The tokenizer that decodes.
    public let tokenizer: any TextTokenizer
    private let sentencePiece: SentencePieceTokenizer?
    private let byteLevel: ByteLevelBPETokenizer?

    // SentencePiece state.
    /// Ids of the current window (the anchor first when `baseLength` > 0).
    private var window: [Int32] = []
    /// Bytes of the anchor's own decoding at the head of the window (already returned earlier).
    private var baseLength = 0
    /// Bytes of the window's decoding after the anchor that were already returned.
    private var returnedLength = 0
    /// The window restarts once it holds at least this many ids (each restart costs one more
    /// library call, each id in the window a little decoding work).
    static let anchorInterval = 4

    // Byte-level state: bytes not returned yet (an incomplete UTF-8 sequence).
    private var pendingBytes: [UInt8] = []

    // Other tokenizers: every id, and the UTF-8 returned so far.
    private var allIDs: [Int] = []
    private var returnedBytes: [UInt8] = []

    /// Every id appended since the start or the last ``reset()``.
    public private(set) var count = 0

    /// A detokenizer at the start of a text.
    public init(tokenizer: any TextTokenizer) {
        self.tokenizer = tokenizer
        sentencePiece = tokenizer as? SentencePieceTokenizer
        byteLevel = tokenizer as? ByteLevelBPETokenizer
    }

    /// Adds one id and returns the text that became final (possibly empty).
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:index:vocabularySize:)`` (`index` is the id's
    ///   position in the stream); the state is unchanged then.
    public mutating func append(_ id: Int) throws(TokenizerError) -> String {
        guard id >= 0 && id < tokenizer.vocabularySize else {
            throw .idOutOfRange(id: id, index: count, vocabularySize: tokenizer.vocabularySize)
        }
        let text: String
        if let sentencePiece {
            text = try appendSentencePiece(id, sentencePiece)
        } else if let byteLevel {
            text = appendByteLevel(id, byteLevel)
        } else {
            text = try appendGeneric(id)
        }
        count += 1
        return text
    }

    /// Adds ids in order and returns the text that became final.
    public mutating func append(contentsOf ids: some Sequence<Int>) throws(TokenizerError) -> String {
        var text = ""
        for id in ids { text += try append(id) }
        return text
    }

    /// Returns the text still held back (the `U+FFFD`s of a character that never finished) and
    /// starts over, ready for a new text.
    public mutating func finish() -> String {
        defer { reset() }
        if let sentencePiece {
            guard let bytes = try? sentencePiece.decodeToBytes(window) else { return "" }
            let start = baseLength + returnedLength
            return bytes.count > start ? String(decoding: bytes[start...], as: UTF8.self) : ""
        }
        if byteLevel != nil {
            return String(decoding: pendingBytes, as: UTF8.self)
        }
        guard let text = try? tokenizer.decode(allIDs) else { return "" }
        let bytes = Array(text.utf8)
        guard bytes.starts(with: returnedBytes) else { return "" }
        return String(decoding: bytes[returnedBytes.count...], as: UTF8.self)
    }

    /// Forgets everything: the next id starts a new text.
    public mutating func reset() {
        window.removeAll(keepingCapacity: true)
        baseLength = 0
        returnedLength = 0
        pendingBytes.removeAll(keepingCapacity: true)
        allIDs.removeAll(keepingCapacity: true)
        returnedBytes.removeAll(keepingCapacity: true)
        count = 0
    }

    // MARK: SentencePiece

    private mutating func appendSentencePiece(_ id: Int, _ tokenizer: SentencePieceTokenizer) throws(TokenizerError) -> String {
        let kind = tokenizer.kind(of: id) ?? .normal
        window.append(Int32(id))
        let bytes: [UInt8]
        do {
            bytes = try tokenizer.decodeToBytes(window)
        } catch {
            window.removeLast()
            throw error
        }
        let start = baseLength + returnedLength
        var end = bytes.count
        if kind == .byte {
            // An unfinished UTF-8 character decodes to U+FFFD (EF BF BD) per byte for now.
            while end - 3 >= start && bytes[end - 3] == 0xEF && bytes[end - 2] == 0xBF && bytes[end - 1] == 0xBD {
                end -= 3
            }
        }
        let fresh = end > start ? String(decoding: bytes[start..<end], as: UTF8.self) : ""
        returnedLength = max(returnedLength, end - baseLength)
        if end == bytes.count, kind == .normal || kind == .unknown, window.count >= Self.anchorInterval {
            // Everything is returned: restart the window at this id if it can anchor.
            let own = try tokenizer.decodeToBytes([Int32(id)])
            if !own.isEmpty {
                window = [Int32(id)]
                baseLength = own.count
                returnedLength = 0
            }
        }
        return fresh
    }

    // MARK: Byte-level BPE

    private mutating func appendByteLevel(_ id: Int, _ tokenizer: ByteLevelBPETokenizer) -> String {
        tokenizer.appendBytes(of: id, to: &pendingBytes)
        let end = Self.completePrefixLength(pendingBytes)
        guard end > 0 else { return "" }
        let text = String(decoding: pendingBytes[..<end], as: UTF8.self)
        pendingBytes.removeFirst(end)
        return text
    }

    /// The length of `bytes` without a trailing sequence that more bytes could still complete: a
    /// lead byte followed by fewer continuation bytes than it announces, each in the range UTF-8
    /// allows at its position (so `E0 80` is not held: it can never become valid). Decoding the
    /// prefix alone gives the same text as decoding it followed by anything.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var back = 1
        while back <= min(3, n) {
            let lead = bytes[n - back]
            if lead < 0x80 { return n }
            if lead < 0xC0 {            // a continuation byte: look further back
                back += 1
                continue
            }
            let needed: Int
            switch lead {
            case 0xC2...0xDF: needed = 2
            case 0xE0...0xEF: needed = 3
            case 0xF0...0xF4: needed = 4
            default: return n          // C0, C1, F5...FF never start a character
            }
            guard back < needed else { return n }  // complete (or too many continuations: invalid)
            if back >= 2 {
                let second = bytes[n - back + 1]
                let allowed: ClosedRange<UInt8>
                switch lead {
                case 0xE0: allowed = 0xA0...0xBF
                case 0xED: allowed = 0x80...0x9F
                case 0xF0: allowed = 0x90...0xBF
                case 0xF4: allowed = 0x80...0x8F
                default: allowed = 0x80...0xBF
                }
                guard allowed.contains(second) else { return n }
            }
            return n - back
        }
        return n
    }

    // MARK: Other tokenizers

    private mutating func appendGeneric(_ id: Int) throws(TokenizerError) -> String {
        allIDs.append(id)
        let text: String
        do {
            text = try tokenizer.decode(allIDs)
        } catch {
            allIDs.removeLast()
            throw error
        }
        var bytes = Array(text.utf8)
        while bytes.count >= 3 && bytes.suffix(3) == [0xEF, 0xBF, 0xBD] { bytes.removeLast(3) }
        guard bytes.count > returnedBytes.count, bytes.starts(with: returnedBytes) else { return "" }
        let fresh = String(decoding: bytes[returnedBytes.count...], as: UTF8.self)
        returnedBytes = bytes
        return fresh
    }
}
