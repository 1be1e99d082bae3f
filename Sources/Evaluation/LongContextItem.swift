/// One generated long-context question (``LongContextGenerator``).
public struct LongContextItem: Sendable, Equatable {
    /// `<kind>-L<length>-D<depth %>-<repetition>`, e.g. `passkey-L4096-D50-0`.
    public var id: String
    /// What is hidden and asked for.
    public var kind: LongContextSettings.Kind
    /// The context length asked for (prompt and answer together, in tokens).
    public var contextLength: Int
    /// The requested depth (fraction of the filler before the needle).
    public var depth: Double
    /// The whole prompt: instruction, filler with the needle, question, and the answer's opening.
    public var prompt: String
    /// The prompt's length in the model's tokens (BOS included), at most `contextLength` minus the
    /// answer's tokens.
    public var promptTokenCount: Int
    /// The needle as it appears in the prompt (once).
    public var needle: String
    /// The expected answer: the pass key, the digits, or the value.
    public var answer: String
    /// Filler units (sentences or key-value pairs) in the prompt, and how many precede the needle.
    public var fillerCount: Int
    public var fillerBeforeNeedle: Int
}
