import Foundation
import TestSupport
import Tokenizer
import XCTest

/// Runs the snippets of `Docs/Tokenizer.md` (`Snippets/Tokenizer.swift`) on the tokenizer fixtures
/// of `Tests/TokenizerTests/Fixtures` and checks them against the golden ids committed there (made by
/// the Python `sentencepiece` package and Hugging Face `tokenizers`).
final class TokenizerSnippetTests: SnippetTestCase {
    static let fixtures = "Tests/TokenizerTests/Fixtures"

    func testEncodeDecodeAndStreamWithMistralsTokenizer() throws {
        try enterTemporaryDirectory(copying: ["tokenizer.model": "\(Self.fixtures)/tokenizer.model.v1"])
        let golden = try GoldenIDs.load("\(Self.fixtures)/golden.json")
        // A generated reply with byte-fallback emoji and EOS: it streams back as its golden decoding.
        let reply = try XCTUnwrap(golden.cases.first { $0.name == "emoji sentence" })
        let (result, output) = try capturingStandardOutput {
            try TokenizerDocumentation.encodeDecodeAndStream(reply.ids + [golden.eosID])
        }
        XCTAssertEqual(output, reply.text + "\n")

        // The ids the page shows (sentencepiece 0.2.3 in Python gives the same for "Hello, world").
        XCTAssertEqual(result.ids, [1, 22557, 28725, 1526])
        XCTAssertEqual(result.text, "Hello, world")
        XCTAssertEqual(result.pieces, ["▁Hello"])
        XCTAssertEqual(result.size, golden.vocabularySize)
        XCTAssertEqual(result.bos, golden.bosID)
        XCTAssertEqual(result.eos, golden.eosID)
        XCTAssertEqual([result.size, result.bos, result.eos], [32000, 1, 2])
        // The golden decoding of the first ids.
        let decodings = Dictionary(golden.decodeCases.map { ($0.ids, $0.text) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(decodings[[1, 22557]], "Hello")

        // BOS, then "<用户>What is 2+2?<AI>" as ordinary text: Mistral's vocabulary has neither marker
        // (ids from sentencepiece 0.2.3 in Python).
        XCTAssertEqual(result.prompt, [1, 523, 28963, 29106, 28767, 3195, 349, 28705, 28750, 28806, 28750, 28804, 28789, 11741, 28767])
    }

    func testGGUFByteLevelVocabularyWithSmolLM2() throws {
        let vocabulary = try SmolLM2VocabularyFile.load(contentsOf: repositoryRoot.appendingPathComponent("\(Self.fixtures)/smollm2/vocabulary.json"))
        let golden = try GoldenIDs.load("\(Self.fixtures)/smollm2/golden.json")
        let result = try TokenizerDocumentation.byteLevelVocabulary(
            preName: vocabulary.pre, tokens: vocabulary.tokens, tokenTypes: vocabulary.tokenType, merges: vocabulary.merges,
            bos: vocabulary.bosId, eos: vocabulary.eosId, unknown: vocabulary.unknownId, padding: vocabulary.paddingId,
            addBOS: vocabulary.addBosToken, chatTemplate: vocabulary.chatTemplate)
        XCTAssertEqual(result.tokenizer.vocabularySize, 49152)
        XCTAssertEqual(result.tokenizer.preTokenizer, .smollm)

        let chatTurn = try XCTUnwrap(golden.cases.first { $0.name == "chat turn" })
        XCTAssertEqual(chatTurn.text, "<|im_start|>user\nHi<|im_end|>")
        XCTAssertEqual(result.ids, chatTurn.ids)
        XCTAssertEqual(result.ids, [1, 4093, 198, 26843, 2])

        // SmolLM2's template is ChatML with its fixed system turn; the prompt is the golden conversation's
        // system turn (up to its first "<|im_end|>\n") followed by the user turn "Hi".
        let template = try XCTUnwrap(result.template as? ChatMLTemplate)
        XCTAssertEqual(template.defaultSystemPrompt, "You are a helpful AI assistant named SmolLM, trained by Hugging Face")
        let conversation = try XCTUnwrap(golden.cases.first { $0.name == "chat conversation" })
        let systemTurn = Array(conversation.ids.prefix { $0 != 2 }) + [2, 198]
        XCTAssertEqual(result.prompt, systemTurn + [1, 4093, 198, 26843, 2, 198, 1, 520, 9531, 198])
        XCTAssertEqual(result.stops, [2])
        // Streaming the prompt back gives jinja2's rendering of the template.
        XCTAssertEqual(result.streamed, "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
                       + "<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
        XCTAssertEqual(result.streamed, try result.tokenizer.decode(result.prompt!))
    }

    func testGGUFSentencePieceVocabularyRebuildsMistralsTokenizer() throws {
        let mistral = try SentencePieceTokenizer(contentsOf: repositoryRoot.appendingPathComponent("\(Self.fixtures)/tokenizer.model.v1"))
        let golden = try GoldenIDs.load("\(Self.fixtures)/golden.json")
        // The arrays a GGUF converter stores for this model.
        let tokenizer = try TokenizerDocumentation.sentencePieceVocabulary(
            tokens: mistral.pieces, scores: mistral.scores, tokenTypes: mistral.pieceKinds.map(ggufTokenType),
            bos: 1, eos: 2, unknown: 0, padding: nil, addSpacePrefix: true)
        XCTAssertEqual(tokenizer.vocabularySize, golden.vocabularySize)
        XCTAssertEqual(tokenizer.bosID, golden.bosID)
        XCTAssertEqual(tokenizer.eosID, golden.eosID)
        XCTAssertEqual(tokenizer.unknownID, 0)
        for item in golden.cases {
            XCTAssertEqual(try tokenizer.encode(item.text), item.ids, item.name)
        }
        for item in golden.decodeCases {
            XCTAssertEqual(Array(try tokenizer.decode(item.ids).utf8), Array(item.text.utf8), "\(item.ids)")
        }
    }

    func testTrainingWritesAModelWithTheUserDefinedSymbols() throws {
        let directory = try enterTemporaryDirectory()
        // The committed corpus (9 KB) is too small for 8000 pieces: add about 100 KB of made-up words.
        let fixture = try String(contentsOf: repositoryRoot.appendingPathComponent("\(Self.fixtures)/corpus.txt"), encoding: .utf8)
        var generator = SeededGenerator(seed: 8_000)
        let syllables = "bcdfghjklmnprstvwz".flatMap { c in "aeiou".map { v in "\(c)\(v)" } } + ["th", "sh", "ch", "qu", "x", "y"]
        let words = (0..<1_500).map { _ in
            (0..<12).map { _ in (0..<Int.random(in: 1...4, using: &generator)).map { _ in syllables.randomElement(using: &generator)! }.joined() }
                .joined(separator: " ")
        }
        try (fixture + words.joined(separator: "\n")).write(to: directory.appendingPathComponent("corpus.txt"),
                                                            atomically: true, encoding: .utf8)

        let trained = try TokenizerDocumentation.training()
        XCTAssertEqual(trained.vocabularySize, 8000)
        XCTAssertEqual(trained.pieceKinds.filter { $0 == .byte }.count, 256, "byte fallback")
        let user = try XCTUnwrap(trained.id(forPiece: "<用户>"))
        let ai = try XCTUnwrap(trained.id(forPiece: "<AI>"))
        let ids = try trained.encode("<用户>In the beginning<AI>", addBOS: true)
        XCTAssertEqual(ids.first, trained.bosID)
        XCTAssertEqual(ids.filter { $0 == user }.count, 1, "one id, matched whole")
        XCTAssertEqual(ids.last, ai)
        XCTAssertEqual(try trained.decode(ids), "<用户>In the beginning<AI>")

        // The written model is the trained one.
        let written = try SentencePieceTokenizer(contentsOf: directory.appendingPathComponent("tokenizer.model"))
        XCTAssertEqual(written.pieces, trained.pieces)
        XCTAssertEqual(try written.serializedModel(), try trained.serializedModel())
        for line in fixture.split(separator: "\n").prefix(40) {
            XCTAssertEqual(try written.decode(written.encode(String(line))), String(line))
        }
    }
}

/// The `tokenizer.ggml.token_type` value a GGUF converter writes for a SentencePiece piece kind.
private func ggufTokenType(_ kind: PieceKind) -> Int {
    switch kind {
    case .normal: return TokenType.normal.rawValue
    case .unknown: return TokenType.unknown.rawValue
    case .control: return TokenType.control.rawValue
    case .unused: return TokenType.unused.rawValue
    case .byte: return TokenType.byte.rawValue
    }
}

/// `golden.json` of the SentencePiece and the byte-level fixtures: the fields both have.
private struct GoldenIDs: Decodable {
    struct Case: Decodable {
        let name: String
        let text: String
        let ids: [Int]
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
    }

    let cases: [Case]
    let decodeCases: [DecodeCase]
    let vocabularySize: Int?
    let bosId: Int?
    let eosId: Int?

    var bosID: Int { bosId ?? -1 }
    var eosID: Int { eosId ?? -1 }

    static func load(_ path: String) throws -> GoldenIDs {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(GoldenIDs.self, from: Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
    }
}

