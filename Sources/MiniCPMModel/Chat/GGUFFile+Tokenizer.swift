import TensorCore
import Tokenizer

extension GGUFFile {
    /// The tokenizer this file carries in its `tokenizer.ggml.*` metadata.
    ///
    /// `tokenizer.ggml.model = "llama"` (a SentencePiece vocabulary with scores and token types) gives
    /// a ``SentencePieceTokenizer``; `"gpt2"` (byte-level BPE with merges and the pre-tokenizer named
    /// by `tokenizer.ggml.pre`) a ``ByteLevelBPETokenizer``. Special ids and `add_bos_token` /
    /// `add_space_prefix` come from the same metadata.
    ///
    /// - Throws: ``LanguageModelError/missingMetadata(key:path:)``,
    ///   ``LanguageModelError/invalidMetadata(key:path:reason:)``,
    ///   ``LanguageModelError/unsupportedTokenizer(model:path:)``,
    ///   ``LanguageModelError/unsupportedPreTokenizer(name:path:)``, or
    ///   ``LanguageModelError/tokenizerInFile(path:error:)`` when the vocabulary itself is
    ///   inconsistent (the tokenizer's error, with this file's path).
    public func makeTokenizer() throws(LanguageModelError) -> any TextTokenizer {
        let path = url.path
        guard let kind = string(forKey: "tokenizer.ggml.model") else {
            throw metadataError("tokenizer.ggml.model")
        }
        guard let tokens = strings(forKey: "tokenizer.ggml.tokens") else {
            throw metadataError("tokenizer.ggml.tokens")
        }
        let types = try tokenTypes(count: tokens.count)
        let bos = try specialID("tokenizer.ggml.bos_token_id", count: tokens.count)
        let eos = try specialID("tokenizer.ggml.eos_token_id", count: tokens.count)
        let unknown = try specialID("tokenizer.ggml.unknown_token_id", count: tokens.count)
        let padding = try specialID("tokenizer.ggml.padding_token_id", count: tokens.count)
        switch kind {
        case "llama":
            guard let scores = floats(forKey: "tokenizer.ggml.scores") else {
                throw metadataError("tokenizer.ggml.scores")
            }
            guard scores.count == tokens.count else {
                throw .invalidMetadata(key: "tokenizer.ggml.scores", path: path,
                                       reason: "\(scores.count) scores for \(tokens.count) tokens")
            }
            let addsSpacePrefix = bool(forKey: "tokenizer.ggml.add_space_prefix") ?? true
            return try wrapped { () throws(TokenizerError) -> any TextTokenizer in
                try SentencePieceTokenizer(
                    pieces: tokens, scores: scores.map { Float($0) }, types: types,
                    bosID: bos, eosID: eos, unknownID: unknown, paddingID: padding,
                    addsSpacePrefix: addsSpacePrefix)
            }
        case "gpt2":
            guard let merges = strings(forKey: "tokenizer.ggml.merges") else {
                throw metadataError("tokenizer.ggml.merges")
            }
            // llama.cpp treats a missing `pre` as the original GPT-2 splitting ("default").
            let preName = string(forKey: "tokenizer.ggml.pre") ?? "gpt2"
            guard let pre = PreTokenizer(ggufName: preName) else {
                throw .unsupportedPreTokenizer(name: preName, path: path)
            }
            let addsBOS = bool(forKey: "tokenizer.ggml.add_bos_token") ?? false
            return try wrapped { () throws(TokenizerError) -> any TextTokenizer in
                try ByteLevelBPETokenizer(
                    tokens: tokens, tokenTypes: types, merges: merges, preTokenizer: pre,
                    bosID: bos, eosID: eos, unknownID: unknown, paddingID: padding, addsBOS: addsBOS)
            }
        default:
            throw .unsupportedTokenizer(model: kind, path: path)
        }
    }

    private func wrapped(_ make: () throws(TokenizerError) -> any TextTokenizer) throws(LanguageModelError) -> any TextTokenizer {
        do { return try make() } catch { throw .tokenizerInFile(path: url.path, error: error) }
    }

    private func metadataError(_ key: String) -> LanguageModelError {
        metadata[key] == nil
            ? .missingMetadata(key: key, path: url.path)
            : .invalidMetadata(key: key, path: url.path, reason: "has type \(metadata[key]!.type)")
    }

    private func tokenTypes(count: Int) throws(LanguageModelError) -> [TokenType] {
        let key = "tokenizer.ggml.token_type"
        guard metadata[key] != nil else { return [] }
        guard let raw = integers(forKey: key) else { throw metadataError(key) }
        guard raw.count == count else {
            throw .invalidMetadata(key: key, path: url.path, reason: "\(raw.count) types for \(count) tokens")
        }
        var types: [TokenType] = []
        types.reserveCapacity(count)
        for (id, value) in raw.enumerated() {
            guard let type = TokenType(rawValue: value) else {
                throw .invalidMetadata(key: key, path: url.path, reason: "token \(id) has type \(value), not 1...6")
            }
            types.append(type)
        }
        return types
    }

    private func specialID(_ key: String, count: Int) throws(LanguageModelError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let id = value.intValue else { throw metadataError(key) }
        // Some converters write -1 (or UInt32.max) for "none".
        if id < 0 || id == Int(UInt32.max) { return nil }
        guard id < count else {
            throw .invalidMetadata(key: key, path: url.path, reason: "id \(id) is outside the \(count) tokens")
        }
        return id
    }
}
