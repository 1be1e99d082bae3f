/// The byte layout of a token file (version 1), shared by ``TokenFile`` and ``TokenFileWriter``.
/// All integers are little-endian.
///
/// | offset | size | field |
/// | --- | --- | --- |
/// | 0 | 8 | magic, ASCII `MCPMTOKS` |
/// | 8 | 4 | version, 1 |
/// | 12 | 4 | id width in bytes: 2 (`UInt16`, vocabulary ≤ 65,536) or 4 (`UInt32`) |
/// | 16 | 8 | token count `N` |
/// | 24 | 8 | document count `D` |
/// | 32 | 8 | vocabulary size `V` (every id is below it) |
/// | 40 | 8 | source bytes: the UTF-8 length of all documents' text |
/// | 48 | 4 | end-of-document id, `0xFFFF_FFFF` when documents are not separated by one |
/// | 52 | 4 | tokenizer identifier length `L` in bytes (at most 4,096) |
/// | 56 | 8 | reserved, zero |
/// | 64 | `L` | tokenizer identifier, UTF-8, then zero bytes up to a multiple of 8 |
/// | `T` = 64 + ⌈`L`/8⌉·8 | 16·`D` | document table: per document its first token (`UInt64`) and its text's UTF-8 length (`UInt64`) |
/// | `T` + 16·`D` | width·`N` | the ids |
///
/// The file ends right after the ids. A document's tokens run from its first token to the next
/// document's (the last one's to `N`), its end-of-document id included.
enum TokenFileLayout {
    static let magic: [UInt8] = Array("MCPMTOKS".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64
    static let documentEntrySize = 16
    static let noEndOfDocument: UInt32 = 0xFFFF_FFFF
    static let maximumIdentifierLength = 4096
    /// The largest vocabulary stored in 2-byte ids.
    static let largestTwoByteVocabulary = 1 << 16
    /// Ids are at most `UInt32`; `0xFFFF_FFFF` is also the "no end-of-document id" mark.
    static let largestVocabulary = 1 << 32 - 1

    /// The id width the writer chooses for a vocabulary.
    static func idWidth(forVocabularySize size: Int) -> Int { size <= largestTwoByteVocabulary ? 2 : 4 }

    /// Where the document table starts for an identifier of `length` bytes.
    static func tableOffset(identifierLength length: Int) -> Int { headerSize + (length + 7) / 8 * 8 }
}
