import TensorCore

/// A problem with a checkpoint (a Hugging Face directory or a GGUF file), naming the file, key or
/// tensor at fault.
public enum CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the checkpoint needs does not exist.
    case missingFile(path: String)
    /// `config.json` is unreadable or invalid, or the configuration a GGUF file describes is invalid.
    case configuration(MiniCPMConfigurationError)
    /// A safetensors file could not be read.
    case safetensors(SafetensorsError)
    /// `model.safetensors.index.json` is malformed.
    case invalidIndex(path: String, reason: String)
    /// A parameter's tensor is absent (named as the checkpoint names it).
    case missingTensor(name: String)
    /// A tensor in `file` is not a parameter of this model.
    case unexpectedTensor(name: String, file: String)
    /// Several shards hold a tensor with this name.
    case duplicateTensor(name: String, files: [String])
    /// A tensor's row-major shape is not the parameter's shape.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A tensor's element type cannot be loaded (or saved).
    case unsupportedDType(name: String, dtype: String)
    /// Writing a checkpoint failed.
    case writeFailed(path: String, reason: String)
    /// A GGUF file could not be read (its header, or a tensor whose type is not dequantised).
    case gguf(GGUFError)
    /// A tensor that could not be turned into its layer, for `reason`.
    case invalidTensor(name: String, reason: String)
    /// A GGUF file's `general.architecture` is not one ``MiniCPM`` runs (`llama`, `minicpm`).
    case unsupportedArchitecture(String, path: String)
    /// A GGUF file lacks a metadata key the configuration needs.
    case missingMetadata(key: String, path: String)
    /// A GGUF metadata value has the wrong type, an impossible value, or describes something this
    /// model does not support (`reason` says which).
    case invalidMetadata(key: String, value: String, reason: String, path: String)

    public var description: String {
        switch self {
        case let .missingFile(path): return "checkpoint file not found: \(path)"
        case let .configuration(e): return e.description
        case let .safetensors(e): return e.description
        case let .invalidIndex(path, reason): return "invalid shard index \(path): \(reason)"
        case let .missingTensor(name): return "checkpoint has no tensor \"\(name)\""
        case let .unexpectedTensor(name, file): return "unexpected tensor \"\(name)\" in \(file) (not part of this model)"
        case let .duplicateTensor(name, files): return "tensor \"\(name)\" appears in several files: \(files.joined(separator: ", "))"
        case let .shapeMismatch(name, expected, found): return "tensor \"\(name)\" has shape \(found), expected \(expected)"
        case let .unsupportedDType(name, dtype): return "tensor \"\(name)\" has dtype \(dtype); weights must be F32, F16 or BF16"
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        case let .gguf(e): return e.description
        case let .invalidTensor(name, reason): return "tensor \"\(name)\": \(reason)"
        case let .unsupportedArchitecture(architecture, path):
            return "\(path): GGUF architecture \"\(architecture)\" is not supported (llama and minicpm are)"
        case let .missingMetadata(key, path): return "\(path): GGUF metadata key \"\(key)\" is missing"
        case let .invalidMetadata(key, value, reason, path):
            return "\(path): GGUF metadata \"\(key)\" = \(value): \(reason)"
        }
    }
}
