import TensorCore
import Tokenizer

/// A problem loading a model together with its tokenizer and chat template, naming the file, key or
/// value at fault.
public enum LanguageModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The weights or configuration could not be loaded.
    case checkpoint(CheckpointError)
    /// The GGUF file could not be read.
    case gguf(GGUFError)
    /// The tokenizer could not be built or loaded.
    case tokenizer(TokenizerError)
    /// No file at `path`.
    case missingFile(path: String)
    /// A metadata key the tokenizer needs is absent from the GGUF file at `path`.
    case missingMetadata(key: String, path: String)
    /// A metadata value has the wrong type or an impossible value.
    case invalidMetadata(key: String, path: String, reason: String)
    /// `tokenizer.ggml.model` names a tokenizer kind this suite does not implement.
    case unsupportedTokenizer(model: String, path: String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this suite does not implement.
    case unsupportedPreTokenizer(name: String, path: String)
    /// The tokenizer and the model disagree on the vocabulary.
    case vocabularyMismatch(tokenizer: Int, model: Int)
    /// A chat was asked for, but the model carries no chat template this suite recognises.
    case noChatTemplate(model: String)
    /// `path` is neither a GGUF file (its first four bytes are not `GGUF`) nor a Hugging Face
    /// checkpoint directory; `reason` says what was found instead (see ``ModelFormat``).
    case unrecognizedModel(path: String, reason: String)
    /// The tokenizer stored in the file at `path` (e.g. a GGUF file's `tokenizer.ggml.*`
    /// vocabulary) is inconsistent.
    case tokenizerInFile(path: String, error: TokenizerError)
    /// A maximum context length (e.g. ``ChatSession``'s `maximumContextLength`) that is not positive.
    case invalidContextLength(Int)
    /// A model builder given to ``LanguageModel/init(ggufFile:buildingModel:)`` or
    /// ``LanguageModel/init(directory:buildingModel:)`` failed on the file or directory
    /// at `path` for `reason`.
    case modelBuilding(path: String, reason: String)

    public var description: String {
        switch self {
        case let .checkpoint(e): return e.description
        case let .gguf(e): return e.description
        case let .tokenizer(e): return e.description
        case let .missingFile(path): return "file not found: \(path)"
        case let .missingMetadata(key, path): return "\(path): GGUF metadata has no \"\(key)\""
        case let .invalidMetadata(key, path, reason): return "\(path): GGUF metadata \"\(key)\" is invalid: \(reason)"
        case let .unsupportedTokenizer(model, path):
            return "\(path): tokenizer.ggml.model \"\(model)\" is not supported (supported: llama, gpt2)"
        case let .unsupportedPreTokenizer(name, path):
            return "\(path): tokenizer.ggml.pre \"\(name)\" is not supported"
        case let .vocabularyMismatch(tokenizer, model):
            return "the tokenizer has \(tokenizer) tokens but the model's vocabulary has \(model)"
        case let .noChatTemplate(model):
            return "\(model) has no chat template that this suite recognises (ChatML and MiniCPM's are supported)"
        case let .unrecognizedModel(path, reason):
            return "\(path) is not a model: \(reason); expected a GGUF file (starting with the bytes \"GGUF\") "
                + "or a Hugging Face checkpoint directory (config.json and safetensors weights)"
        case let .tokenizerInFile(path, error):
            return "\(path): tokenizer: \(error.description)"
        case let .invalidContextLength(value):
            return "the maximum context length must be > 0 tokens, not \(value)"
        case let .modelBuilding(path, reason):
            return "\(path): cannot build the model: \(reason)"
        }
    }
}
