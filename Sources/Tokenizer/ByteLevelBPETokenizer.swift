import Synchronization

/// A byte-level BPE tokenizer (GPT-2, Llama 3, SmolLM, Qwen, ...) built from the vocabulary a GGUF
/// file carries when its `tokenizer.ggml.model` is `"gpt2"`.
///
/// ```swift
/// let tokenizer = try ByteLevelBPETokenizer(
///     tokens: tokens, tokenTypes: try [TokenType](ggufValues: types), merges: merges,
///     preTokenizer: .smollm, bosID: 1, eosID: 2, unknownID: 0, paddingID: 2, addsBOS: false)
/// try tokenizer.encode("<|im_start|>user\nHi<|im_end|>")   // [1, 4093, 198, 26843, 2]
/// try tokenizer.decode([19556, 905])                      // "Hello world"
/// ```
///
/// **Encoding** follows Hugging Face `tokenizers` (and llama.cpp with `parse_special`), and the
/// tests hold it to `tokenizers` id for id:
/// 1. Special tokens (``TokenType/control``, ``TokenType/userDefined`` and ``TokenType/unknown``
///    entries) written in the text are matched literally, longest first at the leftmost position,
///    and become their ids; only the text between them goes on.
/// 2. The ``preTokenizer`` cuts that text into words.
/// 3. Each word's UTF-8 bytes become the tokens of GPT-2's byte alphabet (a byte whose token the
///    vocabulary lacks is dropped, as both reference implementations do: SmolLM2's lacks 21, such
///    as 0xC0 and 0xF5...0xFF, which UTF-8 never uses).
/// 4. Merge rules apply lowest rank first (rank = position in `merges`), leftmost first among
///    equal ranks. With ``ignoresMerges`` a word that is itself a token is that token (Llama 3).
///
/// Every distinct word is merged once and then looked up (per call, and across calls up to 65536
/// words), which is what makes encoding fast: natural text repeats its words.
///
/// **Decoding** is Hugging Face's `decode(ids, skip_special_tokens=False)` with the `ByteLevel`
/// decoder: each token's characters map back to bytes through the alphabet (a token with a character
/// outside it, e.g. an added `<用户>`, contributes its own UTF-8), special tokens included, so
/// `<|im_end|>` decodes to `"<|im_end|>"`; the bytes are read as UTF-8 with every maximal invalid
/// subsequence replaced by U+FFFD (Rust's `String::from_utf8_lossy`, which Swift's decoding
/// matches). ``decode(_:skippingSpecialTokens:)`` drops control tokens instead.
///
/// **Thread safety.** The vocabulary and rules are immutable; each call keeps its own cache of the
/// words it has seen, and a bounded cache shared by all calls (behind a mutex, consulted once per
/// word new to the call) remembers words across calls. Share one tokenizer among any number of
/// tasks.
public final class ByteLevelBPETokenizer: TextTokenizer, Sendable {
    /// Every token string, indexed by id, in the byte alphabet (`Ġworld` for " world").
    public let tokens: [String]
    /// The type of every token, indexed by id.
    public let tokenTypes: [TokenType]
    /// How text is cut into words before merging.
    public let preTokenizer: PreTokenizer
    /// The beginning-of-sequence id, or `nil`.
    public let bosID: Int?
    /// The end-of-sequence id, or `nil`.
    public let eosID: Int?
    /// The unknown id, or `nil`. Byte-level BPE never needs it to encode; it is kept for callers.
    public let unknownID: Int?
    /// The padding id, or `nil`.
    public let paddingID: Int?
    /// Whether the model expects BOS before a prompt (GGUF `tokenizer.ggml.add_bos_token`).
    /// ``encode(_:addBOS:addEOS:)`` adds BOS only when asked; this tells callers whether to ask.
    public let addsBOS: Bool
    /// Whether a word that is a token of the vocabulary is taken whole, without merging (Hugging
    /// Face's `ignore_merges`, llama.cpp's rule for the Llama 3 pre-tokenizer).
    public let ignoresMerges: Bool

    /// The number of tokens; valid ids are `0..<vocabularySize`.
    public var vocabularySize: Int { tokens.count }

    private let tokenIDs: [String: Int]
    private let merges: BytePairMerges
    /// The id of the token of each byte, -1 where the vocabulary lacks it.
    private let byteTokenIDs: [Int32]
    private let literalTokens: LiteralTokenMatcher
    /// The decoded bytes of every token, concatenated; token `i` is
    /// `tokenBytes[tokenByteOffsets[i]..<tokenByteOffsets[i + 1]]`.
    private let tokenBytes: [UInt8]
    private let tokenByteOffsets: [Int32]
    /// For ``ignoresMerges``: token ids by their decoded bytes.
    private let tokensByBytes: [[UInt8]: Int32]
    /// Ids of words merged by earlier calls, shared by all of them (Hugging Face keeps the same kind
    /// of cache): short inputs, such as the lines of an evaluation set, repeat each other's words.
    /// Bounded: once full, new words are merged every time but not stored.
    private let sharedCache = Mutex<[[UInt8]: [Int32]]>([:])
    static let sharedCacheCapacity = 1 << 16

    /// Builds a tokenizer from a GGUF vocabulary, checking it first.
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`: every token string, indexed by id.
    ///   - tokenTypes: `tokenizer.ggml.token_type`, one per token; empty means all
    ///     ``TokenType/normal``.
    ///   - merges: `tokenizer.ggml.merges`: `"left right"` rules, highest priority first.
    ///   - preTokenizer: From `tokenizer.ggml.pre` (see ``PreTokenizer/init(ggufName:)``).
    ///   - bosID: `tokenizer.ggml.bos_token_id`.
    ///   - eosID: `tokenizer.ggml.eos_token_id`.
    ///   - unknownID: `tokenizer.ggml.unknown_token_id`.
    ///   - paddingID: `tokenizer.ggml.padding_token_id`.
    ///   - addsBOS: `tokenizer.ggml.add_bos_token`.
    ///   - ignoresMerges: Whether whole-token words skip merging; `nil` decides as llama.cpp does
    ///     (only for ``PreTokenizer/llama3``).
    /// - Throws: ``TokenizerError/invalidVocabulary(field:reason:)`` for an empty or oversized
    ///   vocabulary, ``TokenizerError/vocabularyCountMismatch(field:count:expected:)``,
    ///   ``TokenizerError/duplicateToken(token:firstID:secondID:)``,
    ///   ``TokenizerError/invalidSpecialTokenID(field:id:vocabularySize:)`` and
    ///   ``TokenizerError/invalidMerge(index:merge:reason:)``, naming the value.
    public init(tokens: [String], tokenTypes: [TokenType] = [], merges: [String], preTokenizer: PreTokenizer,
                bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil,
                addsBOS: Bool = false, ignoresMerges: Bool? = nil) throws(TokenizerError) {
        guard !tokens.isEmpty else { throw .invalidVocabulary(field: "tokens", reason: "no tokens") }
        guard tokens.count < Int(Int32.max) else {
            throw .invalidVocabulary(field: "tokens", reason: "\(tokens.count) tokens, more than 32-bit ids hold")
        }
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw .vocabularyCountMismatch(field: "tokenTypes", count: tokenTypes.count, expected: tokens.count)
        }
        let types = tokenTypes.isEmpty ? [TokenType](repeating: .normal, count: tokens.count) : tokenTypes
        var tokenIDs: [String: Int] = [:]
        tokenIDs.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            if let first = tokenIDs.updateValue(id, forKey: token) {
                throw .duplicateToken(token: token, firstID: first, secondID: id)
            }
        }
        for (field, id) in [("bosID", bosID), ("eosID", eosID), ("unknownID", unknownID), ("paddingID", paddingID)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw .invalidSpecialTokenID(field: field, id: id, vocabularySize: tokens.count)
            }
        }

        var table = BytePairMerges(capacity: merges.count)
        for (rank, merge) in merges.enumerated() {
            // The first space after the first character separates the two tokens, as llama.cpp
            // reads the rules (so a rule may start with a token that is a space).
            let scalars = merge.unicodeScalars
            guard let space = scalars.dropFirst().firstIndex(of: " ") else {
                throw .invalidMerge(index: rank, merge: merge, reason: "not two tokens separated by a space")
            }
            let left = String(scalars[..<space])
            let right = String(scalars[scalars.index(after: space)...])
            guard !right.isEmpty else {
                throw .invalidMerge(index: rank, merge: merge, reason: "the right token is empty")
            }
            guard let leftID = tokenIDs[left] else {
                throw .invalidMerge(index: rank, merge: merge, reason: "the vocabulary has no token \(left.debugDescription)")
            }
            guard let rightID = tokenIDs[right] else {
                throw .invalidMerge(index: rank, merge: merge, reason: "the vocabulary has no token \(right.debugDescription)")
            }
            guard let mergedID = tokenIDs[left + right] else {
                throw .invalidMerge(index: rank, merge: merge,
                                    reason: "the vocabulary has no merged token \((left + right).debugDescription)")
            }
            if let earlier = table.insert(Int32(leftID), Int32(rightID), merged: Int32(mergedID), rank: Int32(rank)) {
                throw .invalidMerge(index: rank, merge: merge, reason: "it repeats merge \(earlier)")
            }
        }

        var byteTokenIDs = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = tokenIDs[String(ByteLevelAlphabet.characters[byte])] { byteTokenIDs[byte] = Int32(id) }
        }

        var tokenBytes: [UInt8] = []
        var offsets: [Int32] = [0]
        offsets.reserveCapacity(tokens.count + 1)
        for token in tokens {
            tokenBytes += ByteLevelAlphabet.decode(token)
            offsets.append(Int32(tokenBytes.count))
        }
        let ignores = ignoresMerges ?? (preTokenizer == .llama3)
        var tokensByBytes: [[UInt8]: Int32] = [:]
        if ignores {
            for id in tokens.indices {
                // Hugging Face looks the word up by its alphabet spelling, so only tokens spelled in
                // the alphabet can match (and no two of them share their bytes).
                let bytes = Array(tokenBytes[Int(offsets[id])..<Int(offsets[id + 1])])
                if ByteLevelAlphabet.encode(bytes) == tokens[id] { tokensByBytes[bytes] = Int32(id) }
            }
        }

        self.tokens = tokens
        self.tokenTypes = types
        self.preTokenizer = preTokenizer
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addsBOS = addsBOS
        self.ignoresMerges = ignores
        self.tokenIDs = tokenIDs
        self.merges = table
        self.byteTokenIDs = byteTokenIDs
        self.literalTokens = LiteralTokenMatcher(tokens.indices.filter { types[$0].isMatchedLiterally }.map { (tokens[$0], $0) })
        self.tokenBytes = tokenBytes
        self.tokenByteOffsets = offsets
        self.tokensByBytes = tokensByBytes
    }

    // MARK: Encoding

    /// Encodes text to ids, optionally with BOS first and EOS last.
    ///
    /// - Throws: ``TokenizerError/missingSpecialToken(_:)`` when BOS or EOS is requested and the
    ///   vocabulary names none.
    public func encode(_ text: String, addBOS: Bool = false, addEOS: Bool = false) throws(TokenizerError) -> [Int] {
        if addBOS && bosID == nil { throw .missingSpecialToken("BOS") }
        if addEOS && eosID == nil { throw .missingSpecialToken("EOS") }
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let bosID { ids.append(bosID) }
        var text = text
        text.withUTF8 { utf8 in encodeBody(utf8, into: &ids) }
        if addEOS, let eosID { ids.append(eosID) }
        return ids
    }

    /// Special tokens first, then every stretch between them.
    private func encodeBody(_ utf8: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        guard !utf8.isEmpty else { return }
        var state = EncodingState(bytes: Array(utf8))
        if literalTokens.isEmpty {
            encodeStretch(utf8, 0, utf8.count, &state, &ids)
            return
        }
        var stretchStart = 0
        var i = 0
        while i < utf8.count {
            if let (id, length) = literalTokens.match(in: utf8, at: i) {
                encodeStretch(utf8, stretchStart, i, &state, &ids)
                ids.append(Int(id))
                i += length
                stretchStart = i
            } else {
                i += 1
            }
        }
        encodeStretch(utf8, stretchStart, utf8.count, &state, &ids)
    }

    private func encodeStretch(_ utf8: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int,
                               _ state: inout EncodingState, _ ids: inout [Int]) {
        guard start < end else { return }
        state.scalars.load(utf8, from: start, to: end)
        preTokenizer.pieces(&state.scalars)
        var first = 0
        for last in state.scalars.ends {
            encodeWord(state.scalars.offsets[first], state.scalars.offsets[last], &state, &ids)
            first = last
        }
    }

    /// The ids of the word `state.bytes[start..<end]`, from the cache when it was seen before.
    private func encodeWord(_ start: Int, _ end: Int, _ state: inout EncodingState, _ ids: inout [Int]) {
        if end - start == 1 {
            let id = byteTokenIDs[Int(state.bytes[start])]
            if id >= 0 { ids.append(Int(id)) }
            return
        }
        let word = state.bytes[start..<end]
        if let packed = state.cache[word] {
            let first = Int(packed >> 32), count = Int(packed & 0xFFFF_FFFF)
            for i in first..<(first + count) { ids.append(Int(state.pool[i])) }
            return
        }
        let key = Array(word)
        var symbols: [Int32]
        if let shared = sharedCache.withLock({ $0[key] }) {
            symbols = shared
        } else {
            symbols = []
            if ignoresMerges, let id = tokensByBytes[key] {
                symbols.append(id)
            } else {
                symbols.reserveCapacity(key.count)
                for byte in key {
                    let id = byteTokenIDs[Int(byte)]
                    if id >= 0 { symbols.append(id) }
                }
                merges.apply(to: &symbols, scratch: &state.merging)
            }
            let merged = symbols
            sharedCache.withLock { cache in
                if cache.count < Self.sharedCacheCapacity { cache[key] = merged }
            }
        }
        state.cache[word] = UInt64(state.pool.count) << 32 | UInt64(symbols.count)
        state.pool += symbols
        for id in symbols { ids.append(Int(id)) }
    }

    // MARK: Decoding

    /// Decodes ids to text as Hugging Face's `decode(ids, skip_special_tokens=False)`: special
    /// tokens appear as their text, invalid UTF-8 as U+FFFD.
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:index:vocabularySize:)`` naming the first bad id.
    public func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        try decode(ids, skippingSpecialTokens: false)
    }

    /// Decodes ids to text; with `skippingSpecialTokens`, ``TokenType/control`` tokens decode to
    /// nothing (Hugging Face's `skip_special_tokens=True`, llama.cpp's `special = false`).
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:index:vocabularySize:)`` naming the first bad id.
    public func decode(_ ids: [Int], skippingSpecialTokens: Bool) throws(TokenizerError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for (index, id) in ids.enumerated() {
            guard id >= 0 && id < tokens.count else {
                throw .idOutOfRange(id: id, index: index, vocabularySize: tokens.count)
            }
            if skippingSpecialTokens && tokenTypes[id] == .control { continue }
            appendBytes(of: id, to: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the bytes token `id` (a valid id) stands for.
    @inline(__always)
    func appendBytes(of id: Int, to bytes: inout [UInt8]) {
        bytes += tokenBytes[Int(tokenByteOffsets[id])..<Int(tokenByteOffsets[id + 1])]
    }

    // MARK: Vocabulary

    /// The id of a token string (in the byte alphabet: `"Ġworld"`, or a special token such as
    /// `"<|im_end|>"`), or `nil` when the vocabulary lacks it.
    public func id(forPiece piece: String) -> Int? {
        tokenIDs[piece]
    }
}

/// What one ``ByteLevelBPETokenizer/encode(_:addBOS:addEOS:)`` call reuses: the input's bytes (the
/// cache's keys are slices of them, so a lookup allocates nothing), the ids of every word seen,
/// and scratch buffers.
private struct EncodingState {
    let bytes: [UInt8]
    /// Word bytes to `first << 32 | count` in `pool`.
    var cache: [ArraySlice<UInt8>: UInt64] = [:]
    var pool: [Int32] = []
    var scalars = PreTokenizerScratch()
    var merging = MergeScratch()

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }
}
