import TensorCore

/// What a ``MiniCPM/generate(promptTokens:parameters:sampler:cache:onToken:)`` callback asks for
/// after seeing a token.
public enum GenerationControl: Sendable, Hashable {
    /// Generate the next token.
    case `continue`
    /// Stop now (the summary reports ``StopReason/cancelled``).
    case stop
}

/// Why generation ended.
public enum StopReason: Sendable, Hashable {
    /// A stop token (``GenerateParameters/stopTokenIDs``, by default the model's EOS) was sampled;
    /// it is not part of ``GenerationSummary/tokens``.
    case stopToken(Int)
    /// ``GenerateParameters/maxTokens`` tokens were generated.
    case maxTokens
    /// The callback returned ``GenerationControl/stop``, or the consumer of
    /// ``MiniCPM/tokens(promptTokens:parameters:sampler:cache:)`` went away or was cancelled.
    case cancelled
    /// The cache reached its ``KVCache/maximumLength``: the last generated token cannot be fed back.
    case contextFull
    /// The generated text reached this stop string (text generation of a ``LanguageModel`` only;
    /// ``GeneratedText/text`` ends where it begins, while ``GenerationSummary/tokens`` holds every
    /// token generated up to the one that completed it).
    case stopString(String)
}

/// The outcome of one generation: the tokens, why it stopped, and how fast it went.
public struct GenerationSummary: Sendable, Hashable {
    /// The prompt tokens prefilled by this call (not counting what the cache already held).
    public let promptTokenCount: Int
    /// The generated token ids, in order (a stop token is not included).
    public let tokens: [Int]
    /// Why generation ended.
    public let stopReason: StopReason
    /// The last token sampled, which the cache does **not** hold yet (its logits were never needed):
    /// the stop token, or the last of ``tokens``; `nil` when nothing was sampled (`maxTokens == 0`).
    ///
    /// To continue a conversation in the same cache, start the next prompt with it:
    /// `model.generate(promptTokens: [pending] + nextTurn, ..., cache: cache)`.
    public let pendingToken: Int?
    /// Wall time of the prompt's forward pass and the selection of the first token.
    public let prefillTime: Duration
    /// Wall time from the first token to the end: one-token forward passes, sampling, callbacks.
    public let decodeTime: Duration
    /// One-token forward passes run after the prefill (each generated token but the last,
    /// unless generation stopped on a stop token: then every generated token).
    public let decodeStepCount: Int

    /// The number of generated tokens (``tokens``' count).
    public var generatedTokenCount: Int { tokens.count }
    /// Prompt tokens per second of ``prefillTime`` (0 for no time).
    public var prefillTokensPerSecond: Double { Self.rate(promptTokenCount, prefillTime) }
    /// One-token decoding steps per second of ``decodeTime`` (0 when there were none).
    public var decodeTokensPerSecond: Double { Self.rate(decodeStepCount, decodeTime) }

    /// A summary with the given values.
    public init(promptTokenCount: Int, tokens: [Int], stopReason: StopReason, pendingToken: Int?,
                prefillTime: Duration, decodeTime: Duration, decodeStepCount: Int) {
        self.promptTokenCount = promptTokenCount
        self.tokens = tokens
        self.stopReason = stopReason
        self.pendingToken = pendingToken
        self.prefillTime = prefillTime
        self.decodeTime = decodeTime
        self.decodeStepCount = decodeStepCount
    }

    static func rate(_ count: Int, _ time: Duration) -> Double {
        let c = time.components
        let seconds = Double(c.seconds) + Double(c.attoseconds) * 1e-18
        return count > 0 && seconds > 0 ? Double(count) / seconds : 0
    }
}

/// An element of ``MiniCPM/tokens(promptTokens:parameters:sampler:cache:)``.
public enum GenerationEvent: Sendable, Hashable {
    /// A generated token id, as soon as it is sampled.
    case token(Int)
    /// The last event: the summary of the whole generation.
    case summary(GenerationSummary)
}

extension MiniCPM {
    /// Generates tokens after `promptTokens`, reporting each one to `onToken` as soon as it is chosen.
    ///
    /// ```swift
    /// let cache = KVCache(configuration: model.configuration)
    /// let summary = try model.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 64),
    ///                                  cache: cache) { token in
    ///     print(tokenizer.decode([token]), terminator: "")
    ///     return .continue
    /// }
    /// print(summary.stopReason, summary.decodeTokensPerSecond)
    /// // Next turn, reusing the cache (nothing before is recomputed):
    /// let next = try model.generate(promptTokens: [summary.pendingToken!] + nextTurn,
    ///                               parameters: .greedy(maxTokens: 64), cache: cache) { _ in .continue }
    /// ```
    ///
    /// The prompt is prefilled as one batch, then tokens are produced one forward pass at a time over
    /// the KV cache; everything runs without recording gradients. Each sampled token is checked in
    /// this order: a stop token ends generation (``StopReason/stopToken(_:)``, not reported);
    /// otherwise it is appended to ``GenerationSummary/tokens`` and passed to `onToken`, and generation
    /// ends when the callback returns ``GenerationControl/stop`` (``StopReason/cancelled``), when
    /// `maxTokens` tokens have been generated (``StopReason/maxTokens``), or when the cache is full
    /// (``StopReason/contextFull``); else the token is fed back and the next one is sampled.
    ///
    /// **The cache.** Without one, a fresh cache is used and dropped. With one, the prompt is
    /// **appended after whatever the cache already holds** (it is not compared with the cached tokens),
    /// so a kept cache continues a conversation without recomputing it; ``KVCache/trim(to:)`` first to
    /// regenerate or edit a turn. On return the cache holds its earlier tokens, the prompt and every
    /// generated token except ``GenerationSummary/pendingToken``. The repetition penalty sees the
    /// cached tokens, the prompt and the generated tokens as one history. Do not use the cache
    /// elsewhere while generating.
    ///
    /// - Parameters:
    ///   - promptTokens: The tokens to prefill (at least one; include the BOS token if the model
    ///     expects it, e.g. ``MiniCPMConfiguration/bosTokenID``).
    ///   - parameters: Length, sampling, seed and stop tokens.
    ///   - sampler: A custom sampling chain replacing ``GenerateParameters/sampler`` (the parameters'
    ///     `maxTokens`, `seed` and `stopTokenIDs` still apply, and all of them are still validated).
    ///   - cache: A cache to continue and extend, or `nil` for a fresh one.
    ///   - onToken: Called with every generated token; return ``GenerationControl/stop`` to end.
    /// - Returns: The generated tokens, the reason generation stopped and timings.
    /// - Throws: ``GenerationError/invalidParameter(name:value:requirement:)`` or
    ///   ``GenerationError/stopTokenOutOfRange(id:vocabularySize:)`` for bad parameters;
    ///   ``GenerationError/model(_:)`` wrapping ``MiniCPMError/emptyInput``,
    ///   ``MiniCPMError/tokenOutOfRange(id:vocabularySize:)`` or
    ///   ``MiniCPMError/contextOverflow(requested:maximum:)`` (a prompt longer than the room left in
    ///   the cache). Nothing is computed and the cache is unchanged when these are thrown.
    ///   ``GenerationError/nonFiniteLogits(step:tokenID:)`` when a step's logits hold NaN or
    ///   infinity (checked before sampling, every step); the cache then holds the tokens run so far.
    public func generate(promptTokens: [Int],
                         parameters: GenerateParameters = GenerateParameters(),
                         sampler: Sampler? = nil,
                         cache: KVCache? = nil,
                         onToken: (Int) -> GenerationControl = { _ in .continue }) throws(GenerationError) -> GenerationSummary {
        try parameters.validate(vocabularySize: configuration.vocabularySize)
        let cache = cache ?? KVCache(configuration: configuration, maximumLength: maximumContextLength,
                                     reservedLength: promptTokens.count + min(parameters.maxTokens, configuration.maxPositionEmbeddings))
        do { try validate([promptTokens], cache: cache) } catch { throw .model(error) }
        let sampler = sampler ?? parameters.sampler
        let stopTokens = parameters.stopTokenIDs ?? Set(configuration.eosTokenIDs)
        let maxTokens = parameters.maxTokens
        var generator = SeededRandom(seed: parameters.seed)

        let result: Result<GenerationSummary, GenerationError> = withoutGradients {
            let clock = ContinuousClock()
            let start = clock.now
            var history = cache.tokens + promptTokens
            var generated: [Int] = []
            generated.reserveCapacity(min(maxTokens, 4096))
            var decodeSteps = 0
            do throws(GenerationError) {
                var logits = try checkedLogits(for: promptTokens, cache: cache, step: 0)
                guard maxTokens > 0 else {
                    return .success(GenerationSummary(
                        promptTokenCount: promptTokens.count, tokens: [], stopReason: .maxTokens,
                        pendingToken: nil, prefillTime: clock.now - start, decodeTime: .zero, decodeStepCount: 0))
                }
                var token = sampler.nextToken(logits: &logits, history: history, using: &generator)
                let prefillEnd = clock.now
                let reason: StopReason
                while true {
                    if stopTokens.contains(token) { reason = .stopToken(token); break }
                    generated.append(token)
                    history.append(token)
                    if onToken(token) == .stop { reason = .cancelled; break }
                    if generated.count >= maxTokens { reason = .maxTokens; break }
                    if cache.remainingCapacity == 0 { reason = .contextFull; break }
                    decodeSteps += 1
                    logits = try checkedLogits(for: [token], cache: cache, step: decodeSteps)
                    token = sampler.nextToken(logits: &logits, history: history, using: &generator)
                }
                return .success(GenerationSummary(
                    promptTokenCount: promptTokens.count, tokens: generated, stopReason: reason,
                    pendingToken: token, prefillTime: prefillEnd - start, decodeTime: clock.now - prefillEnd,
                    decodeStepCount: decodeSteps))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case let .success(summary): return summary
        case let .failure(error): throw error
        }
    }

    /// The next-token logits of `tokens`, refused when one is NaN or infinite: sampling from them
    /// would silently pick token 0 (greedy) or nothing meaningful, and a corrupt weight shows up here
    /// first. The check reads the `V` floats of the row once, negligible next to the forward pass.
    private func checkedLogits(for tokens: [Int], cache: KVCache, step: Int) throws(GenerationError) -> [Float] {
        let logits: Tensor
        do { logits = try nextTokenLogits(for: tokens, cache: cache) } catch { throw .model(error) }
        if let index = logits.firstNonFiniteIndex { throw .nonFiniteLogits(step: step, tokenID: index) }
        return logits.scalars
    }

    /// Generation as an asynchronous stream: a ``GenerationEvent/token(_:)`` for every generated
    /// token as it is chosen, then one ``GenerationEvent/summary(_:)``.
    ///
    /// ```swift
    /// for try await event in model.tokens(promptTokens: prompt, parameters: parameters) {
    ///     switch event {
    ///     case .token(let id): print(tokenizer.decode([id]), terminator: "")
    ///     case .summary(let s): print("\n\(s.generatedTokenCount) tokens, \(s.decodeTokensPerSecond) tok/s")
    ///     }
    /// }
    /// ```
    ///
    /// Same semantics, tokens and errors as ``generate(promptTokens:parameters:sampler:cache:onToken:)``
    /// (an error ends the stream by throwing a ``GenerationError``). The work runs in a detached task;
    /// cancelling the consuming task or abandoning the stream stops it after the current token
    /// (``StopReason/cancelled``). Do not touch `cache` until the stream has finished.
    public func tokens(promptTokens: [Int],
                       parameters: GenerateParameters = GenerateParameters(),
                       sampler: Sampler? = nil,
                       cache: KVCache? = nil) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached {
                do throws(GenerationError) {
                    let summary = try self.generate(promptTokens: promptTokens, parameters: parameters,
                                                    sampler: sampler, cache: cache) { token in
                        continuation.yield(.token(token))
                        return Task.isCancelled ? .stop : .continue
                    }
                    continuation.yield(.summary(summary))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
