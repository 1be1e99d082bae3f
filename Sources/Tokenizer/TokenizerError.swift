/// Everything that can go wrong in this module, with the file or value named.
public enum TokenizerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No file exists at `path`.
    case fileNotFound(path: String)
    /// The file exists but could not be read (a directory, no permission, ...).
    case unreadableFile(path: String, reason: String)
    /// A model file could not be written (`reason` says why, e.g. the destination is not a regular file).
    case cannotWrite(path: String, reason: String)
    /// The bytes are not a SentencePiece model (`source` is the file path, or a description such
    /// as `"<data>"` for in-memory bytes); `reason` is the library's message.
    case invalidModel(source: String, reason: String)
    /// `id` (at position `index` of the input) is outside `0..<vocabularySize`.
    case idOutOfRange(id: Int, index: Int, vocabularySize: Int)
    /// The model defines no such special token (e.g. `"BOS"` when BOS was requested).
    case missingSpecialToken(String)
    /// A training option is out of range.
    case invalidTrainingOption(name: String, value: String, requirement: String)
    /// The trainer rejected its input (the library's message, e.g. a vocabulary too large for the
    /// corpus).
    case trainingFailed(reason: String)
    /// Any other failure reported by libsentencepiece (`code` is the shim's `csp_status`).
    case library(operation: String, code: Int, message: String)
    /// Element `index` of a token-type array (GGUF `tokenizer.ggml.token_type`) is not one of the
    /// values of ``TokenType``.
    case invalidTokenType(value: Int, index: Int)
    /// A vocabulary array (`field`: `"tokenTypes"`, `"scores"`, ...) has `count` elements where the
    /// vocabulary has `expected` tokens.
    case vocabularyCountMismatch(field: String, count: Int, expected: Int)
    /// The token string `token` occurs twice in the vocabulary, at `firstID` and `secondID`.
    case duplicateToken(token: String, firstID: Int, secondID: Int)
    /// Merge rule `index` (GGUF `tokenizer.ggml.merges`) is unusable: not two tokens separated by
    /// a space, naming a token the vocabulary lacks, or repeating an earlier rule.
    case invalidMerge(index: Int, merge: String, reason: String)
    /// A special-token id (`field`: `"bosID"`, `"eosID"`, `"unknownID"`, `"paddingID"`) is outside
    /// `0..<vocabularySize`.
    case invalidSpecialTokenID(field: String, id: Int, vocabularySize: Int)
    /// A vocabulary that cannot make a tokenizer for another reason (`field` names the input).
    case invalidVocabulary(field: String, reason: String)
    /// A GGUF `tokenizer.ggml.pre` name that ``PreTokenizer`` does not implement.
    case unsupportedPreTokenizer(name: String)
    /// `source` (a file path, an option such as `"--prompt"`, `"standard input"`) is not UTF-8:
    /// the sequence starting with `byte` at byte `offset` is ill-formed (see ``UTF8Validation``).
    case invalidUTF8(source: String, offset: Int, byte: UInt8)

    public var description: String {
        switch self {
        case let .fileNotFound(path):
            return "no tokenizer model at \(path)"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        case let .invalidModel(source, reason):
            return "\(source) is not a SentencePiece model: \(reason)"
        case let .idOutOfRange(id, index, size):
            return "token id \(id) at index \(index) is outside the vocabulary 0..<\(size)"
        case let .missingSpecialToken(name):
            return "the tokenizer model defines no \(name) token"
        case let .invalidTrainingOption(name, value, requirement):
            return "training option \(name) = \(value) is invalid: must be \(requirement)"
        case let .trainingFailed(reason):
            return "tokenizer training failed: \(reason)"
        case let .library(operation, code, message):
            return "libsentencepiece \(operation) failed (\(code)): \(message)"
        case let .invalidTokenType(value, index):
            return "token type \(value) of token \(index) is not a known type (1...6)"
        case let .vocabularyCountMismatch(field, count, expected):
            return "\(field) has \(count) elements but the vocabulary has \(expected) tokens"
        case let .duplicateToken(token, first, second):
            return "token \(token.debugDescription) occurs twice in the vocabulary (ids \(first) and \(second))"
        case let .invalidMerge(index, merge, reason):
            return "merge \(index) (\(merge.debugDescription)) is invalid: \(reason)"
        case let .invalidSpecialTokenID(field, id, size):
            return "\(field) = \(id) is outside the vocabulary 0..<\(size)"
        case let .invalidVocabulary(field, reason):
            return "invalid vocabulary (\(field)): \(reason)"
        case let .unsupportedPreTokenizer(name):
            return "pre-tokenizer \(name.debugDescription) is not supported (supported: "
                + PreTokenizer.allCases.map(\.rawValue).joined(separator: ", ") + ")"
        case let .invalidUTF8(source, offset, byte):
            let hex = String(byte, radix: 16, uppercase: true)
            return "\(source) is not valid UTF-8: ill-formed sequence at byte offset \(offset) (byte 0x\(hex.count == 1 ? "0" + hex : hex))"
        }
    }
}
