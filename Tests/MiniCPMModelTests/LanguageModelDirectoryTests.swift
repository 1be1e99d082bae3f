import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import XCTest

/// ``LanguageModel/init(directory:)`` on a Hugging Face-style directory: the tiny fixture's weights,
/// a SentencePiece tokenizer trained here to fit its 512-id vocabulary, and MiniCPM's Jinja chat
/// template in `tokenizer_config.json`.
final class LanguageModelDirectoryTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lm-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: fixtureURL("tiny-minicpm").appendingPathComponent(name),
                                             to: directory.appendingPathComponent(name))
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private static let miniCPMJinja = "{% for message in messages %}{% if message['role'] == 'user' %}{{'<用户>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}{% endif %}{% endfor %}"

    private func writeTokenizer(vocabularySize: Int) throws -> SentencePieceTokenizer {
        let sentences = [
            "In the beginning was the word, and the word was with the model.",
            "The quick brown fox jumps over the lazy dog.",
            "What is the capital of France? Paris is the capital of France.",
            "Small language models can be trained with scalable strategies.",
        ]
        var options = TokenizerTrainingOptions(vocabularySize: vocabularySize)
        options.userDefinedSymbols = ["<用户>", "<AI>"]
        options.addDummyPrefix = false   // as MiniCPM's tokenizer: the prompt starts with <用户> itself
        let tokenizer = try TokenizerTrainer.train(sentences: Array(repeating: sentences, count: 20).flatMap { $0 },
                                                   options: options)
        try tokenizer.write(to: directory.appendingPathComponent("tokenizer.model"))
        return tokenizer
    }

    func testLoadsTokenizerAndRecognisedTemplateAndChats() throws {
        let tokenizer = try writeTokenizer(vocabularySize: 400)
        let config = ["chat_template": Self.miniCPMJinja, "add_bos_token": true] as [String: Any]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("tokenizer_config.json"))

        let lm = try LanguageModel(directory: directory)
        XCTAssertEqual(lm.tokenizer.vocabularySize, 400)
        let template = try XCTUnwrap(lm.chatTemplate as? MiniCPMChatTemplate)
        XCTAssertTrue(template.addsBOS)

        // The session's reply is exactly greedy generation on the template's ids.
        let chat = try ChatSession(lm, parameters: .greedy(maxTokens: 6))
        let reply = try chat.respond(to: "What is the capital of France?")
        let ids = try template.encode([.user("What is the capital of France?")], tokenizer: tokenizer)
        XCTAssertEqual(ids.first, tokenizer.bosID)
        XCTAssertEqual(ids[1], tokenizer.id(forPiece: "<用户>"))
        var parameters = GenerateParameters.greedy(maxTokens: 6)
        parameters.stopTokenIDs = lm.stopTokenIDs
        let direct = try lm.model.generate(promptTokens: ids, parameters: parameters)
        XCTAssertEqual(reply.summary.tokens, direct.tokens)
        XCTAssertEqual(reply.summary.promptTokenCount, ids.count)
        XCTAssertEqual(chat.messages.count, 2)
        chat.reset()
        XCTAssertTrue(chat.messages.isEmpty)
        XCTAssertEqual(chat.cache.length, 0)
    }

    func testAConversationThatOutgrowsTheContextIsATypedErrorAndChangesNothing() throws {
        _ = try writeTokenizer(vocabularySize: 400)
        let lm = try LanguageModel(directory: directory)
        let chat = try ChatSession(lm, chatTemplate: MiniCPMChatTemplate(), parameters: .greedy(maxTokens: 4),
                                   maximumContextLength: 24)
        try chat.respond(to: "Hi")
        let before = (chat.messages, chat.cache.tokens)
        let long = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 4)
        XCTAssertThrowsError(try chat.respond(to: long)) { error in
            guard case .model(.contextOverflow(_, maximum: 24))? = error as? GenerationError else {
                return XCTFail("expected a context overflow, got \(error)")
            }
        }
        XCTAssertEqual(chat.messages, before.0)
        XCTAssertEqual(chat.cache.tokens, before.1)
    }

    /// Issue 11, hole 5: a context of 0 or fewer tokens, in which no turn fits, is refused up front.
    func testANonPositiveContextLengthIsATypedError() throws {
        _ = try writeTokenizer(vocabularySize: 400)
        let config = ["chat_template": Self.miniCPMJinja] as [String: Any]
        try JSONSerialization.data(withJSONObject: config).write(to: directory.appendingPathComponent("tokenizer_config.json"))
        let lm = try LanguageModel(directory: directory)
        for length in [0, -1] {
            XCTAssertThrowsError(try ChatSession(lm, maximumContextLength: length)) { error in
                XCTAssertEqual(error as? LanguageModelError, .invalidContextLength(length))
                XCTAssertEqual("\(error)", "the maximum context length must be > 0 tokens, not \(length)")
            }
        }
        XCTAssertEqual(try ChatSession(lm, maximumContextLength: 1).cache.maximumLength, 1)
    }

    func testWithoutATemplateAChatNeedsOneGiven() throws {
        _ = try writeTokenizer(vocabularySize: 400)
        let lm = try LanguageModel(directory: directory)
        XCTAssertNil(lm.chatTemplate)
        XCTAssertThrowsError(try ChatSession(lm)) { error in
            XCTAssertEqual(error as? LanguageModelError, .noChatTemplate(model: directory.lastPathComponent))
        }
        XCTAssertNoThrow(try ChatSession(lm, chatTemplate: ChatMLTemplate()))
    }

    func testMissingTokenizerAndTooLargeVocabularyAreTypedErrors() throws {
        XCTAssertThrowsError(try LanguageModel(directory: directory)) { error in
            XCTAssertEqual(error as? LanguageModelError,
                           .missingFile(path: directory.appendingPathComponent("tokenizer.model").path))
        }
        _ = try writeTokenizer(vocabularySize: 530)
        XCTAssertThrowsError(try LanguageModel(directory: directory)) { error in
            XCTAssertEqual(error as? LanguageModelError, .vocabularyMismatch(tokenizer: 530, model: 512))
        }
    }
}
