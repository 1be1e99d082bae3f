/// The outcome of a ``LanguageModel``'s text generation: the text and the token-level summary.
public struct GeneratedText: Sendable, Hashable {
    /// Everything generated, as text: the concatenation of the pieces streamed, without the stop
    /// token or the stop string and whatever followed it.
    public let text: String
    /// The generated ids, why generation ended (``StopReason/stopString(_:)`` for a stop string) and
    /// timings.
    public let summary: GenerationSummary

    /// A result with the given values.
    public init(text: String, summary: GenerationSummary) {
        self.text = text
        self.summary = summary
    }
}

/// An element of ``LanguageModel/textStream(for:parameters:chatTemplate:stopStrings:cache:)``.
public enum TextGenerationEvent: Sendable, Hashable {
    /// A piece of text as soon as it is final: complete UTF-8 characters, never a part of a stop string.
    case text(String)
    /// The last event: the whole text and the summary.
    case finished(GeneratedText)
}
