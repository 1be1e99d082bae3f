import Tokenizer

extension LanguageModel {
    /// What ``LanguageModel/generate(_:parameters:chatTemplate:stopStrings:cache:onText:)`` continues:
    /// plain text, a conversation, or ids already encoded.
    ///
    /// ```swift
    /// try model.generate(.text("Once upon a time"))                 // a base model continues the text
    /// try model.generate(.chat([.user("What is the capital of France?")]))   // an instruct model answers
    /// ```
    public enum Prompt: Sendable, Hashable {
        /// Text the model continues as it is, encoded with the tokenizer's BOS first when the model
        /// expects one (see ``LanguageModel/promptTokens(for:chatTemplate:)``).
        case text(String)
        /// A conversation, rendered by the chat template and ending where the assistant's reply begins.
        case chat([ChatMessage])
        /// Ids that are prefilled unchanged (no BOS is added): a prompt encoded by the caller, or the
        /// part of a conversation that a kept cache does not hold yet.
        case tokens([Int])
    }

    /// The ids that generation prefills for `prompt`.
    ///
    /// - ``Prompt/text(_:)``: the text encoded in one piece, after BOS when the model expects it. A
    ///   byte-level BPE vocabulary says so itself (`ByteLevelBPETokenizer.addsBOS`, from GGUF
    ///   `tokenizer.ggml.add_bos_token`: SmolLM2 and Qwen say no, Llama 3 yes); SentencePiece models
    ///   (Llama 2, Mistral, MiniCPM) are trained with BOS before every document, so they get it
    ///   whenever the tokenizer has one.
    /// - ``Prompt/chat(_:)``: `ChatTemplate.encode(_:addGenerationPrompt:tokenizer:)` of the
    ///   messages with the generation prompt; the template decides about BOS.
    /// - ``Prompt/tokens(_:)``: the ids as given.
    ///
    /// - Parameters:
    ///   - prompt: Text, a conversation or ids.
    ///   - chatTemplate: The template for ``Prompt/chat(_:)``, replacing ``chatTemplate``.
    /// - Throws: ``LanguageModelError/noChatTemplate(model:)`` for a conversation when there is no
    ///   template; a `TokenizerError` when the text cannot be encoded.
    public func promptTokens(for prompt: Prompt, chatTemplate: (any ChatTemplate)? = nil) throws -> [Int] {
        switch prompt {
        case let .text(text):
            return try tokenizer.encode(text, addBOS: expectsBOS, addEOS: false)
        case let .chat(messages):
            guard let template = chatTemplate ?? self.chatTemplate else {
                throw LanguageModelError.noChatTemplate(model: name)
            }
            return try template.encode(messages, addGenerationPrompt: true, tokenizer: tokenizer)
        case let .tokens(ids):
            return ids
        }
    }

    /// Whether plain text is encoded with BOS first (see ``promptTokens(for:chatTemplate:)``).
    var expectsBOS: Bool {
        guard tokenizer.bosID != nil else { return false }
        return (tokenizer as? ByteLevelBPETokenizer)?.addsBOS ?? true
    }
}
