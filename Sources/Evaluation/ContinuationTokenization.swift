/// How a context and its options become token ids so that every option follows the **same** context
/// ids (which shared-prefix scoring needs) and an option's ids are the ones the model would see in the
/// whole text wherever possible.
///
/// The rule, lm-evaluation-harness's `_encode_pair` made safe:
/// 1. Whitespace at the end of the context moves to the front of every option (`"Answer: "` +
///    `"Paris"` becomes `"Answer:"` + `" Paris"`): tokenizers attach a space to the word after it,
///    so a context ending in a space would leave a lone space token no text of the training data has.
/// 2. The context ids are ``EvaluatedModel/contextTokens(for:)`` of the context (BOS first when the
///    model expects it). An empty result (no text and no BOS) becomes the tokenizer's EOS id, else its
///    BOS id, as lm-evaluation-harness's prefix token.
/// 3. An option's ids are those of the context and option encoded together, less the context's ids,
///    when the whole text's ids start with the context's (a **stable boundary**: the usual case, as the
///    option starts with a space or punctuation). When they do not — a merge across the boundary,
///    e.g. a context ending in "He" and an option "llo" — the option is encoded on its own (without
///    BOS), keeping the context ids shared; lm-evaluation-harness instead slices the whole text's ids
///    at the context's length, which can drop or duplicate a piece.
public enum ContinuationTokenization {
    /// The context's ids and each option's ids, by the rule above.
    ///
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` when the context
    ///   encodes to nothing and the tokenizer has neither EOS nor BOS;
    ///   ``EvaluationError/model(model:reason:)`` when a text cannot be encoded.
    public static func split(context: String, options: [String], model: some EvaluatedModel) throws(EvaluationError) -> (context: [Int], options: [[Int]]) {
        let trimmedContext = String(context.reversed().drop(while: \.isWhitespace).reversed())
        let movedWhitespace = String(context.dropFirst(trimmedContext.count))
        var contextIDs = try model.contextTokens(for: trimmedContext)
        let substituted = contextIDs.isEmpty
        if substituted {
            guard let prefix = model.tokenizer.eosID ?? model.tokenizer.bosID else {
                throw .invalidArgument(name: "context", value: "\"\(context)\"",
                                       requirement: "text that encodes to at least one token (the tokenizer has no EOS or BOS)")
            }
            contextIDs = [prefix]
        }
        var optionIDs: [[Int]] = []
        optionIDs.reserveCapacity(options.count)
        for option in options {
            let continuation = movedWhitespace + option
            let whole = try model.contextTokens(for: trimmedContext + continuation)
            if !substituted && whole.count >= contextIDs.count && whole.starts(with: contextIDs) {
                optionIDs.append(Array(whole.dropFirst(contextIDs.count)))
            } else {
                do { optionIDs.append(try model.tokenizer.encode(continuation)) } catch {
                    throw .model(model: model.name, reason: "cannot encode \"\(continuation)\": \(error)")
                }
            }
        }
        return (contextIDs, optionIDs)
    }
}
