import Foundation
import Tokenizer
import XCTest

/// ``SentencePieceTokenizer/init(pieces:scores:types:bosID:eosID:unknownID:paddingID:addsSpacePrefix:)``:
/// a GGUF `llama` vocabulary written as a `ModelProto` and run by libsentencepiece.
final class SentencePieceVocabularyTests: XCTestCase {
    /// Mistral's `tokenizer.model.v1` as a GGUF converter would store it.
    static let vocabulary: (pieces: [String], scores: [Float], types: [TokenType]) = (
        mistral.pieces, mistral.scores, mistral.pieceKinds.map(TokenType.init)
    )

    static let rebuilt: SentencePieceTokenizer = {
        do {
            return try SentencePieceTokenizer(pieces: vocabulary.pieces, scores: vocabulary.scores, types: vocabulary.types,
                                              bosID: 1, eosID: 2, unknownID: 0, paddingID: nil, addsSpacePrefix: true)
        } catch {
            fatalError("cannot rebuild Mistral's tokenizer: \(error)")
        }
    }()

    func testScoresAreTheModelsOwn() {
        XCTAssertEqual(mistral.scores.count, 32000)
        XCTAssertEqual(mistral.scores[0], 0)
        // BPE pieces are scored by merge order: later pieces score lower.
        XCTAssertGreaterThan(mistral.scores[300], mistral.scores[20000])
    }

    func testRebuiltModelEncodesExactlyAsTheOriginal() throws {
        let tokenizer = Self.rebuilt
        XCTAssertEqual(tokenizer.pieces, mistral.pieces)
        XCTAssertEqual(tokenizer.scores, mistral.scores)
        XCTAssertEqual(tokenizer.pieceKinds, mistral.pieceKinds)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        XCTAssertEqual(tokenizer.unknownID, 0)
        XCTAssertNil(tokenizer.padID)
        for item in Golden.shared.cases {
            XCTAssertEqual(try tokenizer.encode(item.text), item.ids, item.name)
            XCTAssertEqual(try tokenizer.decode(item.ids), item.decoded, item.name)
        }
        for item in Golden.shared.decodeCases {
            XCTAssertEqual(Array(try tokenizer.decode(item.ids).utf8), Array(item.text.utf8), "\(item.ids)")
        }
    }

    func testWithoutTheSpacePrefix() throws {
        let (pieces, scores, types) = Self.vocabulary
        let tokenizer = try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types,
                                                   bosID: 1, eosID: 2, unknownID: 0, addsSpacePrefix: false)
        XCTAssertEqual(try tokenizer.encodeToPieces("Hello world"), ["Hello", "▁world"])
        XCTAssertEqual(try Self.rebuilt.encodeToPieces("Hello world"), ["▁Hello", "▁world"])
    }

    /// Control pieces other than BOS/EOS/UNK/PAD (chat markers) become user-defined: matched whole
    /// in text, decoded to their text. BOS stays a control piece: text `<s>` is text.
    func testChatMarkersAreRecognisedInText() throws {
        var (pieces, scores, types) = Self.vocabulary
        pieces += ["<|im_start|>", "<|im_end|>"]
        scores += [0, 0]
        types += [.control, .control]
        let tokenizer = try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types,
                                                   bosID: 1, eosID: 2, unknownID: 0)
        let start = 32000, end = 32001
        XCTAssertEqual(tokenizer.vocabularySize, 32002)
        let text = "<|im_start|>user\nHi<|im_end|>"
        let ids = try tokenizer.encode(text)
        XCTAssertEqual(ids.filter { $0 == start }.count, 1)
        XCTAssertEqual(ids.filter { $0 == end }.count, 1)
        XCTAssertEqual(ids.last, end)
        XCTAssertEqual(try tokenizer.decode(ids), text)
        XCTAssertEqual(try tokenizer.encode("<s>"), try mistral.encode("<s>"))
        XCTAssertEqual(try tokenizer.decode([1, 22557, 2]), "Hello")
        let template = ChatMLTemplate()
        XCTAssertEqual(template.stopTokenIDs(tokenizer: tokenizer), [2, end])
        // Streaming handles the user-defined pieces like any other.
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        XCTAssertEqual(try stream.append(contentsOf: ids) + stream.finish(), text)
    }

    /// Streaming stays exact with user-defined pieces among byte pieces, `▁` runs and control ids.
    func testStreamingWithUserDefinedPieces() throws {
        var (pieces, scores, types) = Self.vocabulary
        pieces += ["<|im_start|>", "<|im_end|>", "▁<tool>"]
        scores += [0, 0, 0]
        types += [.control, .control, .userDefined]
        let tokenizer = try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types,
                                                   bosID: 1, eosID: 2, unknownID: 0)
        let spaces = ["▁", "▁▁"].compactMap { tokenizer.id(forPiece: $0) }
        var rng = SplitMix64(seed: 32002)
        for trial in 0..<200 {
            var ids: [Int] = []
            for _ in 0..<Int.random(in: 1...40, using: &rng) {
                switch Double.random(in: 0..<1, using: &rng) {
                case ..<0.3: ids.append(Int.random(in: 3...258, using: &rng))        // bytes
                case ..<0.5: ids.append(Int.random(in: 32000...32002, using: &rng))  // user-defined
                case ..<0.6: ids.append(spaces.randomElement(using: &rng)!)
                case ..<0.65: ids.append(Int.random(in: 0...2, using: &rng))
                default: ids.append(Int.random(in: 0..<32000, using: &rng))
                }
            }
            let expected = try tokenizer.decode(ids)
            var stream = StreamingDetokenizer(tokenizer: tokenizer)
            var text = ""
            for id in ids {
                text += try stream.append(id)
                XCTAssertTrue(expected.utf8.starts(with: text.utf8), "trial \(trial): \(ids)")
            }
            text += stream.finish()
            XCTAssertEqual(Array(text.utf8), Array(expected.utf8), "trial \(trial): \(ids)")
        }
    }

    func testSpecialIDsFollowTheArguments() throws {
        let (pieces, scores, types) = Self.vocabulary
        // No BOS: `<s>` is then an ordinary control piece, recognised in text as user-defined.
        let noBOS = try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types,
                                               bosID: nil, eosID: 2, unknownID: 0)
        XCTAssertNil(noBOS.bosID)
        XCTAssertEqual(noBOS.eosID, 2)
        XCTAssertThrows(.missingSpecialToken("BOS")) { () throws(TokenizerError) in try noBOS.encode("x", addBOS: true) }
        XCTAssertTrue(try noBOS.encode("a <s> b").contains(1))
        // The unknown piece found by its type; EOS as padding too.
        let padded = try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types,
                                                bosID: 1, eosID: 2, unknownID: nil, paddingID: 2)
        XCTAssertEqual(padded.unknownID, 0)
        XCTAssertEqual(padded.padID, 2)
    }

    func testInvalidVocabulariesAreTypedErrors() {
        let (pieces, scores, types) = Self.vocabulary
        func build(pieces: [String] = pieces, scores: [Float] = scores, types: [TokenType] = types,
                   bos: Int? = 1, eos: Int? = 2, unknown: Int? = 0, padding: Int? = nil) throws(TokenizerError) -> SentencePieceTokenizer {
            try SentencePieceTokenizer(pieces: pieces, scores: scores, types: types, bosID: bos, eosID: eos,
                                       unknownID: unknown, paddingID: padding)
        }
        XCTAssertThrows(.invalidVocabulary(field: "pieces", reason: "no pieces")) { () throws(TokenizerError) in
            try build(pieces: [], scores: [], types: [])
        }
        XCTAssertThrows(.vocabularyCountMismatch(field: "scores", count: 31999, expected: 32000)) { () throws(TokenizerError) in
            try build(scores: Array(scores.dropLast()))
        }
        XCTAssertThrows(.vocabularyCountMismatch(field: "types", count: 3, expected: 32000)) { () throws(TokenizerError) in
            try build(types: [.unknown, .control, .control])
        }
        var duplicated = pieces
        duplicated[500] = pieces[400]
        XCTAssertThrows(.duplicateToken(token: pieces[400], firstID: 400, secondID: 500)) { () throws(TokenizerError) in
            try build(pieces: duplicated)
        }
        var empty = pieces
        empty[7] = ""
        XCTAssertThrows(.invalidVocabulary(field: "pieces", reason: "piece 7 is empty")) { () throws(TokenizerError) in
            try build(pieces: empty)
        }
        XCTAssertThrows(.invalidSpecialTokenID(field: "eosID", id: 32000, vocabularySize: 32000)) { () throws(TokenizerError) in
            try build(eos: 32000)
        }
        XCTAssertThrows(.invalidSpecialTokenID(field: "paddingID", id: -1, vocabularySize: 32000)) { () throws(TokenizerError) in
            try build(padding: -1)
        }
        var noUnknown = types
        noUnknown[0] = .control
        XCTAssertThrows(.invalidVocabulary(field: "unknownID",
                                           reason: "SentencePiece needs an unknown piece, and none is given or typed unknown")) { () throws(TokenizerError) in
            try build(types: noUnknown, unknown: nil)
        }
        XCTAssertThrows(.invalidVocabulary(field: "types", reason: "piece 0 is typed unknown, but the unknown piece is 5")) { () throws(TokenizerError) in
            try build(unknown: 5)
        }
        XCTAssertThrows(.invalidVocabulary(field: "bosID", reason: "0 is also the unknown piece")) { () throws(TokenizerError) in
            try build(bos: 0)
        }
        // What only the library checks comes back as its message.
        var missingByte = types
        missingByte[100] = .normal                        // <0x61> no longer a byte piece
        do {
            _ = try build(types: missingByte)
            XCTFail("loaded a byte-fallback model without <0x61>")
        } catch {
            guard case let .invalidModel(source, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(source, "<vocabulary of 32000 pieces>")
            XCTAssertTrue(reason.contains("256 byte pieces"), reason)
        }
    }
}

extension TokenType {
    /// The GGUF type a converter writes for a SentencePiece piece kind.
    init(_ kind: PieceKind) {
        switch kind {
        case .normal: self = .normal
        case .unknown: self = .unknown
        case .control: self = .control
        case .unused: self = .unused
        case .byte: self = .byte
        }
    }
}
