import TensorCore
import Tokenizer

/// A conversation with a model that keeps its KV cache between turns.
///
/// ```swift
/// let chat = try ChatSession(try LanguageModel(ggufAt: url))
/// let reply = try chat.respond(to: "What is the capital of France?") { piece in
///     print(piece, terminator: "")
///     return .continue
/// }
/// print(reply.summary.decodeTokensPerSecond)
/// try chat.respond(to: "And of Italy?")      // only the new turn is prefilled
/// ```
///
/// **Reusing the cache.** Each turn renders the whole conversation with the chat template and
/// encodes it, then keeps the longest prefix of those ids that the cache already holds and prefills
/// only the rest. The reply's own tokens are usually that prefix; where re-encoding the reply's text
/// gives different ids (BPE may merge differently than the model sampled) or the template renders
/// earlier turns differently, the cache is trimmed back to where they agree, so the model always sees
/// exactly the template's rendering, as if the conversation were run from scratch.
///
/// Not thread-safe: use a session from one task at a time.
public final class ChatSession {
    /// The model, tokenizer and template.
    public let languageModel: LanguageModel
    /// The prompt format in use.
    public let chatTemplate: any ChatTemplate
    /// Sampling and length settings of each reply; ``GenerateParameters/stopTokenIDs`` is replaced
    /// by the language model's stop ids when `nil`.
    public var parameters: GenerateParameters
    /// The conversation so far (the optional system turn, then user and assistant turns).
    public private(set) var messages: [ChatMessage]
    /// The keys and values of the conversation so far.
    public let cache: KVCache

    /// A new conversation.
    ///
    /// - Parameters:
    ///   - languageModel: The model to talk to.
    ///   - systemPrompt: A system turn to start with (else the template's default, if any).
    ///   - chatTemplate: A template replacing the language model's own.
    ///   - parameters: Sampling and length of each reply (greedy, 512 tokens by default).
    ///   - maximumContextLength: The most tokens the conversation may hold (default: the model's
    ///     context length).
    /// - Throws: ``LanguageModelError/noChatTemplate(model:)`` when neither a template is given nor
    ///   the model carries a recognised one.
    public init(_ languageModel: LanguageModel, systemPrompt: String? = nil,
                chatTemplate: (any ChatTemplate)? = nil,
                parameters: GenerateParameters = .greedy(maxTokens: 512),
                maximumContextLength: Int? = nil) throws(LanguageModelError) {
        guard let template = chatTemplate ?? languageModel.chatTemplate else {
            throw .noChatTemplate(model: languageModel.name)
        }
        self.languageModel = languageModel
        self.chatTemplate = template
        self.parameters = parameters
        self.messages = systemPrompt.map { [.system($0)] } ?? []
        self.cache = KVCache(configuration: languageModel.model.configuration, maximumLength: maximumContextLength)
    }

    /// One assistant reply.
    public struct Reply: Sendable, Hashable {
        /// The reply's text (without the stop token or stop string).
        public let text: String
        /// Token counts, stop reason and timings of the generation.
        public let summary: GenerationSummary
        /// Prompt tokens found in the cache and not computed again.
        public let reusedTokenCount: Int
    }

    /// Adds a user turn, generates the assistant's reply and adds it to ``messages``.
    ///
    /// - Parameters:
    ///   - userMessage: The user's text.
    ///   - onText: Called with each piece of the reply as soon as it is final text (complete UTF-8
    ///     characters, stop strings held back); return ``GenerationControl/stop`` to end the reply.
    /// - Returns: The reply's text, the generation summary and how much of the prompt was cached.
    /// - Throws: a `TokenizerError` if the conversation cannot be encoded, or a ``GenerationError``
    ///   (``GenerationError/model(_:)`` wrapping ``MiniCPMError/contextOverflow(requested:maximum:)``
    ///   when the conversation no longer fits the cache). The conversation and the cache are
    ///   unchanged when it throws.
    @discardableResult
    public func respond(to userMessage: String,
                        onText: (String) -> GenerationControl = { _ in .continue }) throws -> Reply {
        let conversation = messages + [.user(userMessage)]
        let tokenizer = languageModel.tokenizer
        let ids = try chatTemplate.encode(conversation, addGenerationPrompt: true, tokenizer: tokenizer)

        // Reuse the longest cached prefix, but prefill at least one token to get logits from.
        var reused = 0
        let cached = cache.tokens
        while reused < min(cached.count, ids.count - 1) && cached[reused] == ids[reused] { reused += 1 }
        let prompt = Array(ids[reused...])
        guard prompt.count <= cache.maximumLength - reused else {
            throw GenerationError.model(.contextOverflow(requested: ids.count, maximum: cache.maximumLength))
        }
        var parameters = self.parameters
        if parameters.stopTokenIDs == nil { parameters.stopTokenIDs = languageModel.stopTokenIDs }
        // Everything `generate` could reject is checked before the cache is touched.
        try parameters.validate(vocabularySize: languageModel.model.configuration.vocabularySize)
        cache.trim(to: reused)
        // Stop strings that are single tokens are handled as stop ids; the others in the text.
        var filter = StopStringFilter(stopStrings: chatTemplate.stopStrings.filter { tokenizer.id(forPiece: $0) == nil })
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var text = ""
        var stoppedByString = false
        let summary = try languageModel.model.generate(promptTokens: prompt, parameters: parameters, cache: cache) { id in
            let piece = (try? detokenizer.append(id)) ?? ""
            let (final, stopped) = filter.feed(piece)
            text += final
            if !final.isEmpty, onText(final) == .stop { return .stop }
            if stopped { stoppedByString = true; return .stop }
            return .continue
        }
        if !stoppedByString {
            let (final, _) = filter.feed(detokenizer.finish())
            let rest = final + filter.flush()
            text += rest
            if !rest.isEmpty { _ = onText(rest) }
        }
        messages = conversation + [.assistant(text)]
        return Reply(text: text, summary: summary, reusedTokenCount: reused)
    }

    /// Forgets the conversation (keeping the system turn given at creation when `keepingSystemPrompt`).
    public func reset(keepingSystemPrompt: Bool = true) {
        messages = keepingSystemPrompt ? messages.filter { $0.role == .system }.prefix(1).map { $0 } : []
        cache.reset()
    }
}
