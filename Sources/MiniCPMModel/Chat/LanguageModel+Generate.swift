import Tokenizer

extension LanguageModel {
    /// Generates text after `prompt`, reporting each piece to `onText` as soon as it is final.
    ///
    /// ```swift
    /// let model = try LanguageModel(ggufFile: URL(fileURLWithPath: "SmolLM2-135M-Instruct.Q4_1.gguf"))
    /// let answer = try model.generate(.chat([.user("What is the capital of France?")]),
    ///                                 parameters: .greedy(maxTokens: 64)) { piece in
    ///     print(piece, terminator: "")
    ///     return .continue
    /// }
    /// print(answer.text, answer.summary.decodeTokensPerSecond)
    /// ```
    ///
    /// This is the text layer over ``MiniCPM/generate(promptTokens:parameters:sampler:cache:onToken:)``,
    /// which ``ChatSession`` and the `minicpm` tool use as well:
    /// - **Prompt.** Encoded by ``promptTokens(for:chatTemplate:)``: plain text with BOS as the model
    ///   expects, a conversation through the chat template, or ids as they are.
    /// - **Stop tokens.** When ``GenerateParameters/stopTokenIDs`` is `nil`, generation stops on the
    ///   configuration's EOS ids, the tokenizer's EOS and every stop string of the chat template in use
    ///   that is a single token of the vocabulary (ChatML's `<|im_end|>`); a set given there is used as
    ///   it is.
    /// - **Stop strings.** The template's other stop strings and `stopStrings` are matched in the
    ///   text, across token boundaries (``StopStringFilter``): text that may be the start of one is
    ///   held back until the next token decides, and when one appears the text is cut where it begins
    ///   and generation ends (``StopReason/stopString(_:)``).
    /// - **Text.** Ids become text through a `StreamingDetokenizer`, so a piece never ends inside a
    ///   UTF-8 character and the pieces add up to decoding all ids at once. Ids past the tokenizer's
    ///   vocabulary (padding rows of a larger embedding) have no text.
    ///
    /// `onText` sees only non-empty pieces, and they concatenate to ``GeneratedText/text``: after it
    /// returns ``GenerationControl/stop`` it may be called once more, with the text that was held back.
    ///
    /// - Parameters:
    ///   - prompt: What to continue.
    ///   - parameters: Length, sampling, seed and stop tokens.
    ///   - chatTemplate: The template for a ``Prompt/chat(_:)`` prompt and for the stop tokens and
    ///     strings, replacing ``chatTemplate``.
    ///   - stopStrings: Text that ends generation, besides the template's.
    ///   - cache: A cache to continue, as in ``MiniCPM/generate(promptTokens:parameters:sampler:cache:onToken:)``:
    ///     the prompt is appended after what it holds, so continue it with ``Prompt/tokens(_:)`` (or
    ///     text of a model that takes no BOS); `nil` for a fresh cache.
    ///   - onText: Called with each piece of text; return ``GenerationControl/stop`` to end.
    /// - Returns: The text and the generation summary.
    /// - Throws: ``LanguageModelError/noChatTemplate(model:)`` for a conversation without a template,
    ///   a `TokenizerError` when the prompt cannot be encoded, or a ``GenerationError`` as
    ///   ``MiniCPM/generate(promptTokens:parameters:sampler:cache:onToken:)`` throws it. Nothing is
    ///   computed and the cache is unchanged when it throws.
    @discardableResult
    public func generate(_ prompt: Prompt,
                         parameters: GenerateParameters = GenerateParameters(),
                         chatTemplate: (any ChatTemplate)? = nil,
                         stopStrings: [String] = [],
                         cache: KVCache? = nil,
                         onText: (String) -> GenerationControl = { _ in .continue }) throws -> GeneratedText {
        try generateText(prompt, parameters: parameters, chatTemplate: chatTemplate, stopStrings: stopStrings,
                         cache: cache) { piece in
            piece.isEmpty ? .continue : onText(piece)
        }
    }

    /// Text generation as an asynchronous stream: a ``TextGenerationEvent/text(_:)`` for every piece
    /// as soon as it is final, then one ``TextGenerationEvent/finished(_:)``.
    ///
    /// ```swift
    /// for try await event in model.textStream(for: .chat([.user("Hi!")]), parameters: .greedy()) {
    ///     switch event {
    ///     case .text(let piece): print(piece, terminator: "")
    ///     case .finished(let result): print("\n\(result.summary.decodeTokensPerSecond) tokens/s")
    ///     }
    /// }
    /// ```
    ///
    /// Same semantics, text and errors as ``generate(_:parameters:chatTemplate:stopStrings:cache:onText:)``
    /// (an error ends the stream by throwing it). The work runs in a detached task; cancelling the
    /// consuming task or abandoning the stream stops it after the current token
    /// (``StopReason/cancelled``). Do not touch `cache` until the stream has finished.
    public func textStream(for prompt: Prompt,
                           parameters: GenerateParameters = GenerateParameters(),
                           chatTemplate: (any ChatTemplate)? = nil,
                           stopStrings: [String] = [],
                           cache: KVCache? = nil) -> AsyncThrowingStream<TextGenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached {
                do {
                    let result = try self.generateText(prompt, parameters: parameters, chatTemplate: chatTemplate,
                                                       stopStrings: stopStrings, cache: cache) { piece in
                        if !piece.isEmpty { continuation.yield(.text(piece)) }
                        // Checked after every token, also those whose text is held back.
                        return Task.isCancelled ? .stop : .continue
                    }
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The common body of the callback and stream forms: `onPiece` is called after every generated
    /// token with the text that became final (often empty), and once more at the end with what was
    /// held back when that is not empty.
    private func generateText(_ prompt: Prompt, parameters: GenerateParameters, chatTemplate: (any ChatTemplate)?,
                              stopStrings: [String], cache: KVCache?,
                              onPiece: (String) -> GenerationControl) throws -> GeneratedText {
        let template = chatTemplate ?? self.chatTemplate
        let promptTokens = try self.promptTokens(for: prompt, chatTemplate: template)
        var parameters = parameters
        if parameters.stopTokenIDs == nil { parameters.stopTokenIDs = stopTokenIDs(chatTemplate: template) }
        // A template's stop string that is one token is stopped on as an id (above); the others, and
        // the caller's, are matched in the text.
        let templateStrings = (template?.stopStrings ?? []).filter { tokenizer.id(forPiece: $0) == nil }
        var filter = StopStringFilter(stopStrings: templateStrings + stopStrings)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var text = ""
        var reached: String?

        var summary = try model.generate(promptTokens: promptTokens, parameters: parameters, cache: cache) { id in
            // `append` only throws for an id outside the tokenizer's vocabulary, which has no text.
            let (piece, stop) = filter.feed((try? detokenizer.append(id)) ?? "")
            text += piece
            let control = onPiece(piece)
            if let stop {
                reached = stop
                return .stop
            }
            return control
        }
        if reached == nil {
            // The end of the text: what the detokenizer (an unfinished character) and the filter (a
            // possible start of a stop string) hold back is final now.
            let (piece, stop) = filter.feed(detokenizer.finish())
            let rest = stop == nil ? piece + filter.flush() : piece
            reached = stop
            if !rest.isEmpty {
                text += rest
                _ = onPiece(rest)
            }
        }
        if let reached {
            summary = GenerationSummary(
                promptTokenCount: summary.promptTokenCount, tokens: summary.tokens, stopReason: .stopString(reached),
                pendingToken: summary.pendingToken, prefillTime: summary.prefillTime,
                decodeTime: summary.decodeTime, decodeStepCount: summary.decodeStepCount)
        }
        return GeneratedText(text: text, summary: summary)
    }
}
