import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import XCTest

/// ``GGUFFile/makeTokenizer()``: tokenizers from `tokenizer.ggml.*` metadata, written here with
/// ``GGUFWriter`` (no weights are needed for a tokenizer).
final class GGUFTokenizerTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gguf-tokenizer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func file(_ entries: [(String, GGUFValue)]) throws -> GGUFFile {
        var writer = GGUFWriter()
        for (key, value) in entries { try writer.setValue(value, forKey: key) }
        let url = directory.appendingPathComponent("\(UUID().uuidString).gguf")
        try writer.write(to: url)
        return try GGUFFile(contentsOf: url)
    }

    private static func strings(_ values: [String]) -> GGUFValue {
        .array(elementType: .string, elements: values.map { .string($0) })
    }

    private static func int32s(_ values: [Int]) -> GGUFValue {
        .array(elementType: .int32, elements: values.map { .int32(Int32($0)) })
    }

    private static func float32s(_ values: [Float]) -> GGUFValue {
        .array(elementType: .float32, elements: values.map { .float32($0) })
    }

    /// Mistral's SentencePiece model (the Tokenizer tests' fixture), read from the source tree.
    private static func mistral() throws -> SentencePieceTokenizer {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenizerTests/Fixtures/tokenizer.model.v1")
        return try SentencePieceTokenizer(contentsOf: url)
    }

    /// A `llama` vocabulary as llama.cpp's converter stores Mistral's model encodes exactly like the
    /// original `tokenizer.model` run by libsentencepiece.
    func testLlamaVocabularyEncodesLikeTheOriginalSentencePieceModel() throws {
        let original = try Self.mistral()
        let types: [Int] = original.pieceKinds.map { kind in
            switch kind {
            case .normal: 1
            case .unknown: 2
            case .control: 3
            case .unused: 5
            case .byte: 6
            }
        }
        let gguf = try file([
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", Self.strings(original.pieces)),
            ("tokenizer.ggml.scores", Self.float32s(original.scores)),
            ("tokenizer.ggml.token_type", Self.int32s(types)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
            ("tokenizer.ggml.unknown_token_id", .uint32(0)),
        ])
        let tokenizer = try gguf.makeTokenizer()
        XCTAssertTrue(tokenizer is SentencePieceTokenizer)
        XCTAssertEqual(tokenizer.vocabularySize, 32000)
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
        for text in ["Hello, world", " leading space", "numbers 12345 and 3.14", "naïve café – 中文 🙂", "tabs\tand\nnewlines  "] {
            XCTAssertEqual(try tokenizer.encode(text, addBOS: true, addEOS: false),
                           try original.encode(text, addBOS: true, addEOS: false), text)
            let ids = try original.encode(text)
            XCTAssertEqual(try tokenizer.decode(ids), try original.decode(ids), text)
        }
    }

    private static let bpeTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "ab", "Ġ", "Ġa"]

    private func bpeFile(dropping key: String? = nil, replacing replacement: (String, GGUFValue)? = nil) throws -> GGUFFile {
        var entries: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", Self.strings(Self.bpeTokens)),
            ("tokenizer.ggml.token_type", Self.int32s([3, 3, 3, 1, 1, 1, 1, 1])),
            ("tokenizer.ggml.merges", Self.strings(["a b", "Ġ a"])),
            ("tokenizer.ggml.bos_token_id", .uint32(1)),
            ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        entries.removeAll { $0.0 == key }
        if let replacement {
            entries.removeAll { $0.0 == replacement.0 }
            entries.append(replacement)
        }
        return try file(entries)
    }

    func testByteLevelVocabularyWithSpecialTokens() throws {
        let tokenizer = try bpeFile().makeTokenizer()
        XCTAssertTrue(tokenizer is ByteLevelBPETokenizer)
        XCTAssertEqual(try tokenizer.encode("<|im_start|>ab a<|im_end|>"), [1, 5, 7, 2])
        XCTAssertEqual(try tokenizer.decode([1, 5, 7, 2]), "<|im_start|>ab a<|im_end|>")
    }

    func testMissingAndInvalidMetadataAreTypedErrors() throws {
        func error(_ file: GGUFFile) -> LanguageModelError? {
            do { _ = try file.makeTokenizer(); return nil } catch { return error }
        }
        let path = { (f: GGUFFile) in f.url.path }

        let noModel = try bpeFile(dropping: "tokenizer.ggml.model")
        XCTAssertEqual(error(noModel), .missingMetadata(key: "tokenizer.ggml.model", path: path(noModel)))

        let noMerges = try bpeFile(dropping: "tokenizer.ggml.merges")
        XCTAssertEqual(error(noMerges), .missingMetadata(key: "tokenizer.ggml.merges", path: path(noMerges)))

        let wrongType = try bpeFile(replacing: ("tokenizer.ggml.tokens", .uint32(7)))
        XCTAssertEqual(error(wrongType), .invalidMetadata(key: "tokenizer.ggml.tokens", path: path(wrongType), reason: "has type uint32"))

        let unknownKind = try bpeFile(replacing: ("tokenizer.ggml.model", .string("rwkv")))
        XCTAssertEqual(error(unknownKind), .unsupportedTokenizer(model: "rwkv", path: path(unknownKind)))

        let unknownPre = try bpeFile(replacing: ("tokenizer.ggml.pre", .string("deepseek-coder")))
        XCTAssertEqual(error(unknownPre), .unsupportedPreTokenizer(name: "deepseek-coder", path: path(unknownPre)))

        let badType = try bpeFile(replacing: ("tokenizer.ggml.token_type", Self.int32s([3, 3, 3, 1, 1, 9, 1, 1])))
        XCTAssertEqual(error(badType), .invalidMetadata(key: "tokenizer.ggml.token_type", path: path(badType),
                                                        reason: "token 5 has type 9, not 1...6"))

        let shortTypes = try bpeFile(replacing: ("tokenizer.ggml.token_type", Self.int32s([1, 1])))
        XCTAssertEqual(error(shortTypes), .invalidMetadata(key: "tokenizer.ggml.token_type", path: path(shortTypes),
                                                           reason: "2 types for 8 tokens"))

        let badBOS = try bpeFile(replacing: ("tokenizer.ggml.bos_token_id", .uint32(99)))
        XCTAssertEqual(error(badBOS), .invalidMetadata(key: "tokenizer.ggml.bos_token_id", path: path(badBOS),
                                                       reason: "id 99 is outside the 8 tokens"))

        // A merge naming a token the vocabulary lacks: the tokenizer's own typed error, with the
        // file's path (issue 11, hole 9: it used to name no file).
        let badMerge = try bpeFile(replacing: ("tokenizer.ggml.merges", Self.strings(["a c"])))
        guard case let .tokenizerInFile(mergePath, .invalidMerge(index, merge, _))? = error(badMerge) else {
            return XCTFail("expected a tokenizer error naming the file, got \(String(describing: error(badMerge)))")
        }
        XCTAssertEqual(mergePath, path(badMerge))
        XCTAssertEqual(index, 0)
        XCTAssertEqual(merge, "a c")
        let message = error(badMerge)?.description ?? ""
        XCTAssertTrue(message.hasPrefix("\(path(badMerge)): tokenizer: merge 0 (\"a c\") is invalid"), message)
    }

    func testLanguageModelNamesAMissingFile() {
        XCTAssertThrowsError(try LanguageModel(ggufFile: URL(fileURLWithPath: "/nonexistent/model.gguf"))) { error in
            XCTAssertEqual(error as? LanguageModelError, .missingFile(path: "/nonexistent/model.gguf"))
            XCTAssertTrue("\(error)".contains("/nonexistent/model.gguf"))
        }
    }
}
