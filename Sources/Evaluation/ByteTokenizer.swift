import Tokenizer

/// A tokenizer whose ids are the UTF-8 bytes of the text (0–255), plus BOS (256) and EOS (257): the
/// vocabulary of ``BigramModel``, and of tests that need a tokenizer with no model file.
///
/// Every text encodes, and every split of a text into two parts encodes to the concatenation of the
/// parts' ids, so continuation boundaries are always stable.
public struct ByteTokenizer: TextTokenizer, Sendable, Hashable {
    /// 258: the 256 bytes, BOS and EOS.
    public var vocabularySize: Int { 258 }
    /// 256.
    public var bosID: Int? { 256 }
    /// 257.
    public var eosID: Int? { 257 }

    /// The tokenizer.
    public init() {}

    /// The text's UTF-8 bytes, after BOS / before EOS when asked.
    public func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
        (addBOS ? [256] : []) + text.utf8.map(Int.init) + (addEOS ? [257] : [])
    }

    /// The bytes as UTF-8 text (invalid sequences become U+FFFD); BOS and EOS have no text.
    ///
    /// - Throws: `TokenizerError.idOutOfRange` for an id outside `0..<258`.
    public func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        var bytes: [UInt8] = []
        for (index, id) in ids.enumerated() {
            guard (0..<vocabularySize).contains(id) else {
                throw .idOutOfRange(id: id, index: index, vocabularySize: vocabularySize)
            }
            if id < 256 { bytes.append(UInt8(id)) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The id of a one-byte piece; `nil` otherwise.
    public func id(forPiece piece: String) -> Int? {
        piece.utf8.count == 1 ? Int(piece.utf8.first!) : nil
    }
}
