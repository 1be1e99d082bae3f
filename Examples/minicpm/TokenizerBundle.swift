import Foundation
import MiniCPMModel
import TensorCore

/// The files that carry a model's tokenizer and chat template into a checkpoint directory written
/// by `minicpm quantize`, so that `generate` and `chat` can run the directory on its own.
///
/// From a checkpoint directory they are its own `tokenizer.model` (or `tokenizer.gguf`) and
/// `tokenizer_config.json`, copied. From a GGUF file they are `tokenizer.gguf`: a GGUF file without
/// tensors holding the source's `tokenizer.*` metadata (vocabulary, merges or scores, special ids,
/// chat template) and `general.name`. That is the one form that carries both of the suite's
/// tokenizer kinds (SentencePiece and byte-level BPE) unchanged; `LanguageModel(directory:)` reads
/// it when there is no `tokenizer.model`. Hugging Face tools do not read it.
enum TokenizerBundle {
    /// The files by name for the model at `url`; empty when a directory has no tokenizer.
    static func files(for url: URL) throws -> [String: Data] {
        if try ModelFormat.detect(at: url) == .gguf {
            let source = try GGUFFile(contentsOf: url)
            var writer = GGUFWriter()
            for key in source.metadataKeys where key.hasPrefix("tokenizer.") || key == "general.name" {
                if let value = source.metadata[key] { try writer.setValue(value, forKey: key) }
            }
            return [LanguageModel.tokenizerGGUFFileName: Data(writer.serializedBytes())]
        }
        var files: [String: Data] = [:]
        for name in ["tokenizer.model", LanguageModel.tokenizerGGUFFileName, "tokenizer_config.json"] {
            let file = url.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: file.path) { files[name] = try Data(contentsOf: file) }
        }
        return files
    }

    /// The `tokenizer.*` metadata a GGUF file written from the model at `url` carries: a GGUF
    /// source's own, or that of a directory's `tokenizer.gguf`; empty otherwise (a SentencePiece
    /// `tokenizer.model` is not converted, and the file then says `tokenizer.ggml.model = none`).
    static func ggufMetadata(for url: URL) throws -> [(key: String, value: GGUFValue)] {
        let source: URL
        if try ModelFormat.detect(at: url) == .gguf {
            source = url
        } else {
            source = url.appendingPathComponent(LanguageModel.tokenizerGGUFFileName)
            guard FileManager.default.fileExists(atPath: source.path) else { return [] }
        }
        return try GGUFFile(contentsOf: source).metadata(withPrefix: "tokenizer.")
    }
}
