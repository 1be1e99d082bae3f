/// The four classes the GPT-2-family split patterns distinguish: `\p{L}` (general category L*),
/// `\p{N}` (N*), `\s` (Unicode `White_Space`, which is what Oniguruma, the engine of Hugging Face
/// `tokenizers`, and llama.cpp's `unicode.cpp` use) and everything else. The classes are disjoint:
/// every `White_Space` scalar is a separator or a control character.
enum ScalarClass: UInt8 {
    case other = 0
    case letter = 1
    case number = 2
    case whitespace = 3

    /// The class of a scalar value (a valid one: decoded from a Swift string).
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 {
            return ScalarClass(rawValue: basicMultilingualPlane[Int(value)])!
        }
        return computed(value)
    }

    /// Looking up `Unicode.Scalar.Properties` costs tens of nanoseconds per scalar, more than the
    /// rest of pre-tokenising; a 64 KiB table for the Basic Multilingual Plane (built once, on first
    /// use) makes that a load for nearly all text.
    static let basicMultilingualPlane: [UInt8] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return ScalarClass.other.rawValue }
        return computed(scalar.value).rawValue
    }

    static func computed(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return .other }
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }
}
