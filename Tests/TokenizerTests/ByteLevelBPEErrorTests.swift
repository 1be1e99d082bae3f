import Foundation
import Tokenizer
import XCTest

/// Invalid GGUF vocabularies are typed errors naming the field and value, never a crash.
final class ByteLevelBPEErrorTests: XCTestCase {
    /// A tiny valid vocabulary: the byte alphabet's `a`, `b`, `c`, `Ġ`, merges and a control token.
    let tokens = ["<|end|>", "a", "b", "c", "Ġ", "ab", "abc", "Ġa"]
    let types: [TokenType] = [.control, .normal, .normal, .normal, .normal, .normal, .normal, .normal]
    let merges = ["a b", "ab c", "Ġ a"]

    func build(tokens: [String]? = nil, types: [TokenType]? = nil, merges: [String]? = nil,
               bos: Int? = 0, eos: Int? = 0, unknown: Int? = nil, padding: Int? = nil) throws(TokenizerError) -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(tokens: tokens ?? self.tokens, tokenTypes: types ?? self.types, merges: merges ?? self.merges,
                                  preTokenizer: .gpt2, bosID: bos, eosID: eos, unknownID: unknown, paddingID: padding)
    }

    func testTheTinyVocabularyWorks() throws {
        let tokenizer = try build()
        XCTAssertEqual(try tokenizer.encode("abc a<|end|>abca"), [6, 7, 0, 6, 1])
        XCTAssertEqual(try tokenizer.decode([6, 7, 0]), "abc a<|end|>")
        XCTAssertEqual(try tokenizer.decode([6, 7, 0], skippingSpecialTokens: true), "abc a")
        // Bytes the vocabulary lacks are dropped.
        XCTAssertEqual(try tokenizer.encode("xaz"), [1])
        // Types may be left out: all normal, so `<|end|>` is not matched.
        XCTAssertEqual(try build(types: []).encode("<|end|>"), [])
    }

    func testTokenTypeValues() {
        XCTAssertEqual(try [TokenType](ggufValues: [1, 2, 3, 4, 5, 6]), [.normal, .unknown, .control, .userDefined, .unused, .byte])
        XCTAssertThrows(.invalidTokenType(value: 0, index: 2)) { () throws(TokenizerError) in try [TokenType](ggufValues: [1, 3, 0]) }
        XCTAssertThrows(.invalidTokenType(value: 7, index: 0)) { () throws(TokenizerError) in try [TokenType](ggufValues: [7]) }
        XCTAssertThrows(.invalidTokenType(value: -1, index: 9)) { () throws(TokenizerError) in try TokenType(ggufValue: -1, index: 9) }
        XCTAssertNil(TokenType(rawValue: 0))
        XCTAssertEqual(TokenType(rawValue: 6), .byte)
        XCTAssertTrue(TokenizerError.invalidTokenType(value: 7, index: 42).description.contains("42"))
    }

    func testVocabularyErrors() {
        XCTAssertThrows(.invalidVocabulary(field: "tokens", reason: "no tokens")) { () throws(TokenizerError) in
            try build(tokens: [], types: [], merges: [], bos: nil, eos: nil)
        }
        XCTAssertThrows(.vocabularyCountMismatch(field: "tokenTypes", count: 2, expected: 8)) { () throws(TokenizerError) in
            try build(types: [.normal, .normal])
        }
        XCTAssertThrows(.duplicateToken(token: "a", firstID: 1, secondID: 3)) { () throws(TokenizerError) in
            try build(tokens: ["<|end|>", "a", "b", "a", "Ġ", "ab", "abc", "Ġa"])
        }
    }

    func testSpecialIDErrors() {
        XCTAssertThrows(.invalidSpecialTokenID(field: "bosID", id: 8, vocabularySize: 8)) { () throws(TokenizerError) in try build(bos: 8) }
        XCTAssertThrows(.invalidSpecialTokenID(field: "eosID", id: -1, vocabularySize: 8)) { () throws(TokenizerError) in try build(eos: -1) }
        XCTAssertThrows(.invalidSpecialTokenID(field: "unknownID", id: 100, vocabularySize: 8)) { () throws(TokenizerError) in try build(unknown: 100) }
        XCTAssertThrows(.invalidSpecialTokenID(field: "paddingID", id: 9, vocabularySize: 8)) { () throws(TokenizerError) in try build(padding: 9) }
        XCTAssertTrue(TokenizerError.invalidSpecialTokenID(field: "paddingID", id: 9, vocabularySize: 8).description.contains("paddingID = 9"))
    }

    func testMergeErrors() {
        XCTAssertThrows(.invalidMerge(index: 1, merge: "abc", reason: "not two tokens separated by a space")) { () throws(TokenizerError) in
            try build(merges: ["a b", "abc"])
        }
        XCTAssertThrows(.invalidMerge(index: 0, merge: "", reason: "not two tokens separated by a space")) { () throws(TokenizerError) in
            try build(merges: [""])
        }
        XCTAssertThrows(.invalidMerge(index: 0, merge: "a ", reason: "the right token is empty")) { () throws(TokenizerError) in
            try build(merges: ["a "])
        }
        XCTAssertThrows(.invalidMerge(index: 0, merge: "a z", reason: "the vocabulary has no token \"z\"")) { () throws(TokenizerError) in
            try build(merges: ["a z"])
        }
        XCTAssertThrows(.invalidMerge(index: 0, merge: "q b", reason: "the vocabulary has no token \"q\"")) { () throws(TokenizerError) in
            try build(merges: ["q b"])
        }
        XCTAssertThrows(.invalidMerge(index: 0, merge: "b a", reason: "the vocabulary has no merged token \"ba\"")) { () throws(TokenizerError) in
            try build(merges: ["b a"])
        }
        XCTAssertThrows(.invalidMerge(index: 2, merge: "a b", reason: "it repeats merge 0")) { () throws(TokenizerError) in
            try build(merges: ["a b", "ab c", "a b"])
        }
        // A space as the left token: the separator is the first space after the first character.
        XCTAssertNoThrow(try ByteLevelBPETokenizer(tokens: [" ", "x", " x"], merges: ["  x"], preTokenizer: .gpt2))
    }

    func testMissingSpecialTokens() throws {
        let tokenizer = try build(bos: nil, eos: nil)
        XCTAssertThrows(.missingSpecialToken("BOS")) { () throws(TokenizerError) in try tokenizer.encode("a", addBOS: true) }
        XCTAssertThrows(.missingSpecialToken("EOS")) { () throws(TokenizerError) in try tokenizer.encode("a", addEOS: true) }
    }

    func testOutOfRangeIDs() throws {
        let tokenizer = try build()
        XCTAssertThrows(.idOutOfRange(id: 8, index: 1, vocabularySize: 8)) { () throws(TokenizerError) in try tokenizer.decode([1, 8]) }
        XCTAssertThrows(.idOutOfRange(id: -3, index: 0, vocabularySize: 8)) { () throws(TokenizerError) in try tokenizer.decode([-3]) }
        XCTAssertThrows(.idOutOfRange(id: Int.max, index: 0, vocabularySize: 8)) { () throws(TokenizerError) in
            try tokenizer.decode([Int.max], skippingSpecialTokens: true)
        }
    }

    func testPreTokenizerNames() {
        XCTAssertTrue(TokenizerError.unsupportedPreTokenizer(name: "qwen2").description.contains("llama-bpe"))
    }

    /// `ignoresMerges` (Llama 3): a word that is a token is taken whole even when no merge path
    /// leads to it.
    func testIgnoringMerges() throws {
        let tokens = ["a", "b", "c", "ab", "abc", "bc"]
        let merges = ["b c", "a b"]   // "abc" merges to a + bc: no rule makes "abc"
        let merging = try ByteLevelBPETokenizer(tokens: tokens, merges: merges, preTokenizer: .gpt2)
        XCTAssertFalse(merging.ignoresMerges)
        XCTAssertEqual(try merging.encode("abc"), [0, 5])
        let whole = try ByteLevelBPETokenizer(tokens: tokens, merges: merges, preTokenizer: .gpt2, ignoresMerges: true)
        XCTAssertEqual(try whole.encode("abc"), [4])
        XCTAssertTrue(try ByteLevelBPETokenizer(tokens: tokens, merges: merges, preTokenizer: .llama3).ignoresMerges)
    }
}
