/// GPT-2's reversible byte-to-character table (`bytes_to_unicode` in OpenAI's `encoder.py`, the
/// `ByteLevel` pre-tokenizer and decoder of Hugging Face `tokenizers`): every byte becomes a
/// printable character, so that a byte-level vocabulary can be stored as text.
///
/// The printable bytes `!`...`~`, `¡`...`¬` and `®`...`ÿ` stand for themselves; the other 68
/// (controls, space, DEL, the C1 range, no-break space and soft hyphen) become U+0100, U+0101, ...
/// in byte order, which is why a space is `Ġ` (U+0120) and a line feed `Ċ` (U+010A).
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte of each character value below 324 (the largest is U+0143), -1 for characters that
    /// stand for no byte.
    static let bytes: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (byte, character) in characters.enumerated() {
            table[Int(character.value)] = Int16(byte)
        }
        return table
    }()

    /// The bytes a token string stands for, as Hugging Face's `ByteLevel` decoder reads it: each
    /// character through the table, or, when any character is outside it (an added token such as
    /// `<用户>`), the string's own UTF-8.
    static func decode(_ token: String) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            let value = Int(scalar.value)
            guard value < bytes.count, bytes[value] >= 0 else { return Array(token.utf8) }
            result.append(UInt8(bytes[value]))
        }
        return result
    }

    /// The token string of a byte sequence (the inverse of ``decode(_:)`` for table characters).
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var text = String.UnicodeScalarView()
        for byte in bytes { text.append(characters[Int(byte)]) }
        return String(text)
    }
}
