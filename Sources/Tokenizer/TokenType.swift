/// What a vocabulary entry is, as a GGUF file's `tokenizer.ggml.token_type` array says (llama.cpp's
/// `llama_token_type`; the values are SentencePiece's `ModelProto.SentencePiece.Type`, which
/// llama.cpp adopted for every vocabulary kind).
public enum TokenType: Int, Sendable, Hashable, CaseIterable, Codable {
    /// An ordinary entry that encoding produces from text.
    case normal = 1
    /// The unknown entry (`<unk>`).
    case unknown = 2
    /// A special entry such as `<|endoftext|>` or `<|im_start|>`: matched whole in the input text
    /// (llama.cpp with `parse_special`, Hugging Face's added special tokens), never produced by
    /// merging.
    case control = 3
    /// An entry added to the vocabulary by hand (Hugging Face's non-special added tokens): matched
    /// whole in the input text.
    case userDefined = 4
    /// A reserved entry that no text encodes to.
    case unused = 5
    /// A byte-fallback entry `<0xAB>` of a SentencePiece vocabulary.
    case byte = 6

    /// The type of one element of `tokenizer.ggml.token_type`.
    ///
    /// `RawRepresentable`'s `init?(rawValue:)` answers `nil` for other values; this one says which
    /// element was wrong, for files whose type array is damaged.
    ///
    /// - Parameters:
    ///   - ggufValue: The stored integer.
    ///   - index: The position in the array (the token id), for the error.
    /// - Throws: ``TokenizerError/invalidTokenType(value:index:)`` for a value outside `1...6`
    ///   (llama.cpp's `0`, "undefined", included: no converter writes it).
    public init(ggufValue: Int, index: Int) throws(TokenizerError) {
        guard let type = TokenType(rawValue: ggufValue) else {
            throw .invalidTokenType(value: ggufValue, index: index)
        }
        self = type
    }

    /// Whether encoding matches this entry literally in the input text before pre-tokenising.
    ///
    /// llama.cpp does so for control, user-defined and unknown entries (`cache_special_tokens`,
    /// with `parse_special`); Hugging Face for its added tokens, which is where GGUF converters take
    /// the control and user-defined types from (and its unknown token is usually one of them).
    var isMatchedLiterally: Bool {
        switch self {
        case .control, .userDefined, .unknown: return true
        case .normal, .unused, .byte: return false
        }
    }
}

extension Array where Element == TokenType {
    /// The types of a whole `tokenizer.ggml.token_type` array.
    ///
    /// ```swift
    /// let types = try [TokenType](ggufValues: [3, 1, 1, 6])   // [.control, .normal, .normal, .byte]
    /// ```
    ///
    /// - Throws: ``TokenizerError/invalidTokenType(value:index:)`` naming the first bad element.
    public init(ggufValues: some Sequence<Int>) throws(TokenizerError) {
        self.init()
        reserveCapacity(ggufValues.underestimatedCount)
        for (index, value) in ggufValues.enumerated() {
            append(try TokenType(ggufValue: value, index: index))
        }
    }
}
