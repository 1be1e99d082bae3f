import Foundation

/// How a model is stored on disk: what ``detect(at:)`` finds at a path, from the file's contents
/// rather than its name.
///
/// ```swift
/// let network = try MiniCPM(contentsOf: url)          // either format
/// let model = try LanguageModel(contentsOf: url)      // with its tokenizer
/// ```
public enum ModelFormat: Sendable, Hashable {
    /// A GGUF file (llama.cpp's format): a regular file whose first four bytes are `GGUF`.
    case gguf
    /// A Hugging Face checkpoint directory: `config.json` and safetensors weights.
    case checkpointDirectory

    /// The four bytes every GGUF file starts with.
    public static let ggufMagic: [UInt8] = Array("GGUF".utf8)

    /// The format of what is at `url`: a directory holding `config.json` is a checkpoint directory,
    /// a file starting with the GGUF magic is a GGUF file, whatever its name.
    ///
    /// - Throws: ``LanguageModelError/unrecognizedModel(path:reason:)`` when nothing is there, the
    ///   file cannot be read or is something else, or the directory has no `config.json`; the reason
    ///   says what was found.
    public static func detect(at url: URL) throws(LanguageModelError) -> ModelFormat {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unrecognizedModel(path: path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("config.json").path) else {
                throw .unrecognizedModel(path: path, reason: "the directory has no config.json")
            }
            return .checkpointDirectory
        }
        let prefix: Data
        do {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            prefix = try handle.read(upToCount: ggufMagic.count) ?? Data()
        } catch {
            throw .unrecognizedModel(path: path, reason: "it cannot be read (\(error.localizedDescription))")
        }
        if Array(prefix) == ggufMagic { return .gguf }
        if prefix.count < ggufMagic.count {
            throw .unrecognizedModel(path: path, reason: "the file is only \(prefix.count) bytes long")
        }
        let hex = prefix.map { byte -> String in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }
        throw .unrecognizedModel(path: path, reason: "the file starts with the bytes \(hex.joined(separator: " ")), not \"GGUF\"")
    }
}

extension MiniCPM {
    /// Loads the network at `url`, a GGUF file or a Hugging Face checkpoint directory, told apart by
    /// ``ModelFormat/detect(at:)`` (so a GGUF file needs no `.gguf` extension).
    ///
    /// - Throws: ``LanguageModelError/unrecognizedModel(path:reason:)`` when `url` is neither, and
    ///   ``LanguageModelError/checkpoint(_:)`` with the loader's error otherwise.
    public init(contentsOf url: URL) throws(LanguageModelError) {
        switch try ModelFormat.detect(at: url) {
        case .gguf:
            do { self = try MiniCPM(ggufFile: url) } catch { throw .checkpoint(error) }
        case .checkpointDirectory:
            do { self = try MiniCPM(directory: url) } catch { throw .checkpoint(error) }
        }
    }
}

extension LanguageModel {
    /// Loads the model at `url` with its tokenizer: ``init(ggufFile:)`` for a GGUF file,
    /// ``init(directory:)`` for a checkpoint directory, told apart by ``ModelFormat/detect(at:)``.
    ///
    /// - Throws: ``LanguageModelError/unrecognizedModel(path:reason:)`` when `url` is neither, and
    ///   the errors of the loader otherwise.
    public init(contentsOf url: URL) throws(LanguageModelError) {
        switch try ModelFormat.detect(at: url) {
        case .gguf: try self.init(ggufFile: url)
        case .checkpointDirectory: try self.init(directory: url)
        }
    }
}
