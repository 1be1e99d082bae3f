import Foundation

extension SentencePieceTokenizer {
    /// Builds a SentencePiece BPE tokenizer from the vocabulary a GGUF file carries when its
    /// `tokenizer.ggml.model` is `"llama"` (Llama 1/2, Mistral, MiniCPM, ...).
    ///
    /// ```swift
    /// let tokenizer = try SentencePieceTokenizer(
    ///     pieces: tokens, scores: scores, types: try [TokenType](ggufValues: types),
    ///     bosID: 1, eosID: 2, unknownID: 0, paddingID: nil, addsSpacePrefix: true)
    /// ```
    ///
    /// The vocabulary is written as a SentencePiece `ModelProto` (BPE, identity normaliser, white
    /// space escaped as `▁`, byte fallback when the vocabulary has byte pieces) and loaded by
    /// libsentencepiece, so encoding and decoding are the library's, exactly as for the
    /// `tokenizer.model` the GGUF file was converted from.
    ///
    /// Types map one to one (GGUF took them from SentencePiece), with two adjustments:
    /// - The BOS, EOS and padding pieces become control pieces and the unknown piece the unknown
    ///   piece, since the library finds its special ids by piece type.
    /// - Every other control piece (`<|im_start|>`, `<|im_end|>` and the like, which fine-tuning
    ///   adds and converters mark as control) becomes **user-defined**. SentencePiece never matches a
    ///   control piece in text, only emits it by id, while llama.cpp (`parse_special`) and Hugging
    ///   Face (added tokens) match these in the prompt: as user-defined pieces they are recognised in
    ///   text too, so a chat template's markers become single ids, and they decode to their text (as
    ///   Hugging Face decodes them with `skip_special_tokens=False`). BOS and EOS stay control pieces:
    ///   libsentencepiece's behaviour for them (text `<s>` is ordinary text, the ids decode to
    ///   nothing) is kept.
    ///
    /// - Parameters:
    ///   - pieces: `tokenizer.ggml.tokens`.
    ///   - scores: `tokenizer.ggml.scores`, one per piece (BPE merges higher scores first).
    ///   - types: `tokenizer.ggml.token_type`, one per piece; empty means all normal.
    ///   - bosID: `tokenizer.ggml.bos_token_id`.
    ///   - eosID: `tokenizer.ggml.eos_token_id`.
    ///   - unknownID: `tokenizer.ggml.unknown_token_id`; `nil` takes the piece typed unknown.
    ///     SentencePiece requires one.
    ///   - paddingID: `tokenizer.ggml.padding_token_id`.
    ///   - addsSpacePrefix: `tokenizer.ggml.add_space_prefix` (SentencePiece's `add_dummy_prefix`):
    ///     whether encoding puts `▁` before the text, so that a first word is the same piece as
    ///     after a space.
    /// - Throws: ``TokenizerError/invalidVocabulary(field:reason:)``,
    ///   ``TokenizerError/vocabularyCountMismatch(field:count:expected:)``,
    ///   ``TokenizerError/duplicateToken(token:firstID:secondID:)`` or
    ///   ``TokenizerError/invalidSpecialTokenID(field:id:vocabularySize:)`` naming the value, and
    ///   ``TokenizerError/invalidModel(source:reason:)`` with the library's message for what only
    ///   it checks (e.g. byte pieces other than the 256 `<0x00>`...`<0xFF>`).
    public convenience init(pieces: [String], scores: [Float], types: [TokenType] = [],
                            bosID: Int? = nil, eosID: Int? = nil, unknownID: Int? = nil, paddingID: Int? = nil,
                            addsSpacePrefix: Bool = true) throws(TokenizerError) {
        let model = try SentencePieceModelProto.serialize(
            pieces: pieces, scores: scores, types: types, bosID: bosID, eosID: eosID,
            unknownID: unknownID, paddingID: paddingID, addsSpacePrefix: addsSpacePrefix)
        try self.init(data: model, source: "<vocabulary of \(pieces.count) pieces>")
    }
}

/// Writes a SentencePiece `ModelProto` (sentencepiece_model.proto) for a BPE vocabulary.
enum SentencePieceModelProto {
    static func serialize(pieces: [String], scores: [Float], types: [TokenType], bosID: Int?, eosID: Int?,
                          unknownID: Int?, paddingID: Int?, addsSpacePrefix: Bool) throws(TokenizerError) -> Data {
        guard !pieces.isEmpty else { throw .invalidVocabulary(field: "pieces", reason: "no pieces") }
        guard pieces.count < Int(Int32.max) else {
            throw .invalidVocabulary(field: "pieces", reason: "\(pieces.count) pieces, more than 32-bit ids hold")
        }
        guard scores.count == pieces.count else {
            throw .vocabularyCountMismatch(field: "scores", count: scores.count, expected: pieces.count)
        }
        guard types.isEmpty || types.count == pieces.count else {
            throw .vocabularyCountMismatch(field: "types", count: types.count, expected: pieces.count)
        }
        var seen: [String: Int] = [:]
        seen.reserveCapacity(pieces.count)
        for (id, piece) in pieces.enumerated() {
            guard !piece.isEmpty else { throw .invalidVocabulary(field: "pieces", reason: "piece \(id) is empty") }
            if let first = seen.updateValue(id, forKey: piece) {
                throw .duplicateToken(token: piece, firstID: first, secondID: id)
            }
        }
        for (field, id) in [("bosID", bosID), ("eosID", eosID), ("unknownID", unknownID), ("paddingID", paddingID)] {
            if let id, !(0..<pieces.count).contains(id) {
                throw .invalidSpecialTokenID(field: field, id: id, vocabularySize: pieces.count)
            }
        }
        var kinds = types.isEmpty ? [TokenType](repeating: .normal, count: pieces.count) : types
        guard let unknown = unknownID ?? kinds.firstIndex(of: .unknown) else {
            throw .invalidVocabulary(field: "unknownID", reason: "SentencePiece needs an unknown piece, and none is given or typed unknown")
        }
        if let other = kinds.indices.first(where: { kinds[$0] == .unknown && $0 != unknown }) {
            throw .invalidVocabulary(field: "types", reason: "piece \(other) is typed unknown, but the unknown piece is \(unknown)")
        }
        for (field, id) in [("bosID", bosID), ("eosID", eosID), ("paddingID", paddingID)] where id == unknown {
            throw .invalidVocabulary(field: field, reason: "\(unknown) is also the unknown piece")
        }
        let specials = Set([bosID, eosID, paddingID].compactMap { $0 })
        for id in kinds.indices where kinds[id] == .control && !specials.contains(id) {
            kinds[id] = .userDefined
        }
        for id in specials { kinds[id] = .control }
        kinds[unknown] = .unknown

        var writer = ProtobufWriter()
        for (id, piece) in pieces.enumerated() {
            writer.message(1) { entry in                     // pieces
                entry.string(1, piece)                       // piece
                entry.float(2, scores[id])                   // score
                entry.int32(3, Int32(kinds[id].rawValue))    // type: GGUF's values are SentencePiece's
            }
        }
        writer.message(2) { trainer in                       // trainer_spec
            trainer.int32(3, 2)                              // model_type = BPE
            trainer.int32(4, Int32(pieces.count))            // vocab_size
            trainer.bool(35, kinds.contains(.byte))          // byte_fallback
            trainer.int32(40, Int32(unknown))                // unk_id
            trainer.int32(41, Int32(bosID ?? -1))            // bos_id
            trainer.int32(42, Int32(eosID ?? -1))            // eos_id
            trainer.int32(43, Int32(paddingID ?? -1))        // pad_id
            // The library finds special ids by these strings (then checks the piece's type); an
            // absent one is the empty string, which no piece is.
            trainer.string(45, pieces[unknown])              // unk_piece
            trainer.string(46, bosID.map { pieces[$0] } ?? "")   // bos_piece
            trainer.string(47, eosID.map { pieces[$0] } ?? "")   // eos_piece
            trainer.string(48, paddingID.map { pieces[$0] } ?? "")  // pad_piece
        }
        writer.message(3) { normalizer in                    // normalizer_spec
            normalizer.string(1, "identity")                 // name
            normalizer.bool(3, addsSpacePrefix)              // add_dummy_prefix
            normalizer.bool(4, false)                        // remove_extra_whitespaces
            normalizer.bool(5, true)                         // escape_whitespaces
        }
        return Data(writer.bytes)
    }
}
