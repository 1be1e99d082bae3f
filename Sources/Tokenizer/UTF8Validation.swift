import Foundation

/// Byte-level UTF-8 validation for text that arrives as bytes (command-line arguments, standard
/// input, files), so that invalid input is refused with its position instead of being silently
/// repaired: Swift's `String(decoding:as:)`, `readLine()` and `CommandLine.arguments` all replace
/// ill-formed sequences by U+FFFD, and a tokenizer would then encode text nobody wrote.
///
/// ```swift
/// let text = try UTF8Validation.string(from: bytes, source: "standard input")
/// ```
///
/// Well-formedness is Unicode's (Table 3-7 of the standard): no overlong forms, no surrogates
/// (U+D800...U+DFFF), nothing above U+10FFFF, no truncated sequence at the end.
public enum UTF8Validation {
    /// The offset of the first byte of `bytes` that does not begin (or continue) a well-formed
    /// UTF-8 sequence, or `nil` when all of `bytes` is well-formed UTF-8.
    public static func firstInvalidOffset<Bytes: Collection>(in bytes: Bytes) -> Int? where Bytes.Element == UInt8 {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case let .valid(encoded): offset += encoded.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// `bytes` decoded as UTF-8.
    ///
    /// - Parameter source: What the bytes are, for the error (a file path, `"--prompt"`,
    ///   `"standard input"`, ...).
    /// - Throws: ``TokenizerError/invalidUTF8(source:offset:byte:)`` naming the first ill-formed byte.
    public static func string<Bytes: Collection>(from bytes: Bytes, source: String) throws(TokenizerError) -> String
    where Bytes.Element == UInt8 {
        if let offset = firstInvalidOffset(in: bytes) {
            let byte = bytes[bytes.index(bytes.startIndex, offsetBy: offset)]
            throw .invalidUTF8(source: source, offset: offset, byte: byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
