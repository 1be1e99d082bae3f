import Foundation
import TensorCore
import Tokenizer

/// A model together with what it takes to talk to it: its tokenizer and chat template.
///
/// ```swift
/// let model = try LanguageModel(ggufFile: URL(fileURLWithPath: "SmolLM2-135M-Instruct.Q4_1.gguf"))
/// try model.generate(.text("Once upon a time")) { print($0, terminator: ""); return .continue }
/// let chat = try ChatSession(model)
/// try chat.respond(to: "What is the capital of France?") { print($0, terminator: ""); return .continue }
/// ```
///
/// ``generate(_:parameters:chatTemplate:stopStrings:cache:onText:)`` turns a prompt into streamed
/// text; ``ChatSession`` keeps a conversation and its cache between turns.
public struct LanguageModel: Sendable {
    /// The network.
    public var model: MiniCPM
    /// Text to ids and back, with the same vocabulary as ``model``.
    public var tokenizer: any TextTokenizer
    /// The prompt format the model was fine-tuned on, or `nil` for a base model (or a template this
    /// suite does not recognise).
    public var chatTemplate: (any ChatTemplate)?
    /// A short name for messages (the GGUF `general.name`, or the file name).
    public var name: String

    /// Puts the parts together.
    ///
    /// - Throws: ``LanguageModelError/vocabularyMismatch(tokenizer:model:)`` when the tokenizer has
    ///   more ids than the model's embedding (fewer is allowed: embeddings are often padded).
    public init(model: MiniCPM, tokenizer: any TextTokenizer, chatTemplate: (any ChatTemplate)?,
                name: String) throws(LanguageModelError) {
        guard tokenizer.vocabularySize <= model.configuration.vocabularySize else {
            throw .vocabularyMismatch(tokenizer: tokenizer.vocabularySize, model: model.configuration.vocabularySize)
        }
        self.model = model
        self.tokenizer = tokenizer
        self.chatTemplate = chatTemplate
        self.name = name
    }

    /// Loads a GGUF file: weights (quantised types are dequantised), tokenizer and chat template
    /// (recognised from `tokenizer.chat_template`; `nil` when absent or not recognised).
    ///
    /// - Throws: ``LanguageModelError`` naming the file, key or tensor at fault.
    public init(ggufFile url: URL) throws(LanguageModelError) {
        try self.init(ggufFile: url, buildingModel: { try MiniCPM(gguf: $0) })
    }

    /// Loads a GGUF file's tokenizer and chat template as ``init(ggufFile:)`` does, with the network
    /// built by `buildingModel` from the open file: the seam through which a module above this one
    /// (Quantization) keeps the weights in their stored format instead of dequantising them.
    ///
    /// - Throws: ``LanguageModelError``; a builder's `CheckpointError` as
    ///   ``LanguageModelError/checkpoint(_:)``, any other of its errors as
    ///   ``LanguageModelError/modelBuilding(path:reason:)``.
    public init(ggufFile url: URL, buildingModel: (GGUFFile) throws -> MiniCPM) throws(LanguageModelError) {
        guard FileManager.default.fileExists(atPath: url.path) else { throw .missingFile(path: url.path) }
        let file: GGUFFile
        do { file = try GGUFFile(contentsOf: url) } catch { throw .gguf(error) }
        let tokenizer = try file.makeTokenizer()
        let model: MiniCPM
        do { model = try buildingModel(file) } catch let error as CheckpointError { throw .checkpoint(error) } catch {
            throw .modelBuilding(path: url.path, reason: "\(error)")
        }
        // `add_bos_token` says whether llama.cpp puts BOS before a rendered prompt; the template
        // follows it so that prompts here are the ids llama.cpp would feed.
        let addsBOS = file.bool(forKey: "tokenizer.ggml.add_bos_token")
        let template = file.string(forKey: "tokenizer.chat_template").flatMap {
            ChatTemplates.recognizing($0, addsBOS: addsBOS)
        }
        try self.init(model: model, tokenizer: tokenizer, chatTemplate: template,
                      name: file.string(forKey: "general.name") ?? url.deletingPathExtension().lastPathComponent)
    }

    /// Loads a Hugging Face checkpoint directory: `config.json` and safetensors weights, its
    /// tokenizer and the `chat_template` of `tokenizer_config.json` when it is one this suite
    /// recognises.
    ///
    /// The tokenizer is the SentencePiece `tokenizer.model`, or else ``tokenizerGGUFFileName``: a
    /// GGUF file holding only a tokenizer's `tokenizer.ggml.*` metadata (and its chat template), which
    /// `minicpm quantize` writes beside weights converted from a GGUF file whose byte-level BPE
    /// vocabulary has no SentencePiece form.
    ///
    /// - Throws: ``LanguageModelError/missingFile(path:)`` when neither tokenizer file is there, and
    ///   the checkpoint's and tokenizer's own errors.
    public init(directory: URL) throws(LanguageModelError) {
        try self.init(directory: directory, buildingModel: { try MiniCPM(directory: $0) })
    }

    /// The file name of a tokenizer stored as a tensorless GGUF file in a checkpoint directory (see
    /// ``init(directory:)``).
    public static let tokenizerGGUFFileName = "tokenizer.gguf"

    /// Loads a checkpoint directory's tokenizer and chat template as ``init(directory:)`` does, with
    /// the network built by `buildingModel` from the directory: the seam through which a module above
    /// this one (Quantization) loads weights stored in another layout, e.g. int4 AutoGPTQ tensors.
    ///
    /// - Throws: ``LanguageModelError``; a builder's `CheckpointError` as
    ///   ``LanguageModelError/checkpoint(_:)``, any other of its errors as
    ///   ``LanguageModelError/modelBuilding(path:reason:)``.
    public init(directory: URL, buildingModel: (URL) throws -> MiniCPM) throws(LanguageModelError) {
        let model: MiniCPM
        do { model = try buildingModel(directory) } catch let error as CheckpointError { throw .checkpoint(error) } catch {
            throw .modelBuilding(path: directory.path, reason: "\(error)")
        }
        let tokenizerURL = directory.appendingPathComponent("tokenizer.model")
        let ggufURL = directory.appendingPathComponent(Self.tokenizerGGUFFileName)
        let tokenizer: any TextTokenizer
        var template: (any ChatTemplate)?
        if FileManager.default.fileExists(atPath: tokenizerURL.path) {
            do { tokenizer = try SentencePieceTokenizer(contentsOf: tokenizerURL) } catch { throw .tokenizer(error) }
        } else if FileManager.default.fileExists(atPath: ggufURL.path) {
            let file: GGUFFile
            do { file = try GGUFFile(contentsOf: ggufURL) } catch { throw .gguf(error) }
            tokenizer = try file.makeTokenizer()
            template = file.string(forKey: "tokenizer.chat_template").flatMap {
                ChatTemplates.recognizing($0, addsBOS: file.bool(forKey: "tokenizer.ggml.add_bos_token"))
            }
        } else {
            throw .missingFile(path: tokenizerURL.path)
        }
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        if let data = try? Data(contentsOf: configURL),
           let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let jinja = object["chat_template"] as? String {
            template = ChatTemplates.recognizing(jinja, addsBOS: object["add_bos_token"] as? Bool)
        }
        try self.init(model: model, tokenizer: tokenizer, chatTemplate: template,
                      name: directory.lastPathComponent)
    }

    /// The ids that end a reply: the tokenizer's EOS, the model configuration's EOS ids and the chat
    /// template's stop pieces (e.g. `<|im_end|>`), restricted to the vocabulary.
    public var stopTokenIDs: Set<Int> { stopTokenIDs(chatTemplate: chatTemplate) }

    /// ``stopTokenIDs`` with the stop pieces of `chatTemplate` (none when `nil`).
    func stopTokenIDs(chatTemplate: (any ChatTemplate)?) -> Set<Int> {
        var ids = Set(model.configuration.eosTokenIDs)
        if let eos = tokenizer.eosID { ids.insert(eos) }
        if let chatTemplate { ids.formUnion(chatTemplate.stopTokenIDs(tokenizer: tokenizer)) }
        return ids.filter { $0 >= 0 && $0 < model.configuration.vocabularySize }
    }
}
