import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import TestSupport
import XCTest

/// End-to-end checks on a real trained model, SmolLM2-135M-Instruct (Q4_1 GGUF, Llama architecture):
/// skipped with a message when `make data` has not downloaded it.
final class SmolLM2ChatTests: XCTestCase {
    /// Loading dequantises 135 M weights; do it once for the whole class.
    nonisolated(unsafe) private static var cached: LanguageModel?

    private func languageModel() throws -> LanguageModel {
        if let cached = Self.cached { return cached }
        let loaded = try LanguageModel(ggufFile: try smolLM2URL())
        Self.cached = loaded
        return loaded
    }

    /// The prompt of the issue, without a system turn; an independent numpy forward pass over the
    /// dequantised weights answers it greedily with this sentence and then `<|im_end|>`.
    func testGreedyAnswerToTheChatMLQuestionIsParis() throws {
        let lm = try languageModel()
        let prompt = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        let ids = try lm.tokenizer.encode(prompt)
        XCTAssertEqual(ids.first, 1, "<|im_start|> is one special token")
        var parameters = GenerateParameters.greedy(maxTokens: 24)
        parameters.stopTokenIDs = lm.stopTokenIDs
        let summary = try lm.model.generate(promptTokens: ids, parameters: parameters)
        XCTAssertEqual(try lm.tokenizer.decode(summary.tokens), "The capital of France is Paris.")
        XCTAssertEqual(summary.stopReason, .stopToken(2), "stops at <|im_end|>")
    }

    /// The same question through the one text-generation call: as a conversation in plain ChatML
    /// (no system turn) it encodes to exactly the prompt above and answers with the same sentence,
    /// streamed in pieces, stopping on `<|im_end|>`.
    func testGenerateAnswersTheChatMLQuestionWithParis() throws {
        let lm = try languageModel()
        let raw = "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n"
        let conversation: LanguageModel.Prompt = .chat([.user("What is the capital of France?")])
        let ids = try lm.promptTokens(for: conversation, chatTemplate: ChatMLTemplate())
        XCTAssertEqual(ids, try lm.tokenizer.encode(raw))
        XCTAssertEqual(try lm.promptTokens(for: .text(raw)), ids, "SmolLM2's add_bos_token is false: no BOS")

        var pieces: [String] = []
        let answer = try lm.generate(conversation, parameters: .greedy(maxTokens: 24), chatTemplate: ChatMLTemplate()) {
            pieces.append($0)
            return .continue
        }
        XCTAssertEqual(answer.text, "The capital of France is Paris.")
        XCTAssertEqual(pieces.joined(), answer.text)
        XCTAssertEqual(pieces.count, answer.summary.tokens.count, "one piece per token of plain ASCII text")
        XCTAssertEqual(answer.summary.stopReason, .stopToken(2), "stops at <|im_end|>")
        XCTAssertEqual(answer.summary.promptTokenCount, ids.count)
    }

    /// A stop string that begins inside one token (" is") and ends inside the next (" Paris"), on
    /// the real vocabulary: the answer is cut before it and none of it is streamed.
    func testAStopStringAcrossTokensCutsTheAnswer() throws {
        let lm = try languageModel()
        let conversation: LanguageModel.Prompt = .chat([.user("What is the capital of France?")])
        let full = try lm.generate(conversation, parameters: .greedy(maxTokens: 24), chatTemplate: ChatMLTemplate())
        let tokenTexts = try full.summary.tokens.map { try lm.tokenizer.decode([$0]) }
        XCTAssertFalse(tokenTexts.contains { $0.contains("is Par") }, "\(tokenTexts): the stop string spans tokens")

        var streamed = ""
        let cut = try lm.generate(conversation, parameters: .greedy(maxTokens: 24), chatTemplate: ChatMLTemplate(),
                                  stopStrings: ["is Par"]) { streamed += $0; return .continue }
        XCTAssertEqual(cut.text, "The capital of France ")
        XCTAssertEqual(streamed, cut.text)
        XCTAssertEqual(cut.summary.stopReason, .stopString("is Par"))
        XCTAssertEqual(cut.summary.tokens, Array(full.summary.tokens.prefix(cut.summary.tokens.count)))
        XCTAssertLessThan(cut.summary.tokens.count, full.summary.tokens.count)
    }

    /// The stream form yields the same pieces and result as the callback form.
    func testTextStreamAnswersLikeTheCallback() async throws {
        let lm = try languageModel()
        var text = ""
        var finished: GeneratedText?
        for try await event in lm.textStream(for: .chat([.user("What is the capital of France?")]),
                                             parameters: .greedy(maxTokens: 24), chatTemplate: ChatMLTemplate()) {
            switch event {
            case let .text(piece): text += piece
            case let .finished(result): finished = result
            }
        }
        XCTAssertEqual(text, "The capital of France is Paris.")
        XCTAssertEqual(finished?.text, text)
        XCTAssertEqual(finished?.summary.stopReason, .stopToken(2))
    }

    /// The same question through the chat API: the recognised ChatML template (with SmolLM2's
    /// default system turn), a second turn that reuses the cache, and the same reply as a fresh
    /// session given the whole conversation.
    func testChatSessionKeepsTheCacheBetweenTurns() throws {
        let lm = try languageModel()
        XCTAssertNotNil(lm.chatTemplate as? ChatMLTemplate)
        let chat = try ChatSession(lm, parameters: .greedy(maxTokens: 40))
        var streamed = ""
        let first = try chat.respond(to: "What is the capital of France?") { streamed += $0; return .continue }
        XCTAssertEqual(streamed, first.text)
        XCTAssertTrue(first.text.contains("Paris"), first.text)
        XCTAssertEqual(first.reusedTokenCount, 0)
        let second = try chat.respond(to: "And of Germany?")
        XCTAssertGreaterThan(second.reusedTokenCount, first.summary.promptTokenCount,
                             "the first turn and most of the reply stay cached")
        XCTAssertTrue(second.text.contains("Berlin"), second.text)

        // A fresh session over the same conversation computes everything from scratch.
        let replay = try ChatSession(lm, parameters: .greedy(maxTokens: 40))
        let ids = try replay.chatTemplate.encode(Array(chat.messages.dropLast()), addGenerationPrompt: true, tokenizer: lm.tokenizer)
        var parameters = GenerateParameters.greedy(maxTokens: 40)
        parameters.stopTokenIDs = lm.stopTokenIDs
        let fresh = try lm.model.generate(promptTokens: ids, parameters: parameters)
        XCTAssertEqual(try lm.tokenizer.decode(fresh.tokens), second.text)
    }

    /// The tokenizer built from the file's own metadata gives the ids that Hugging Face `tokenizers`
    /// gives on the same vocabulary (the golden cases of the Tokenizer tests, made by
    /// `Tests/TokenizerTests/Fixtures/smollm2/make_bpe_golden.py`).
    func testTokenizerFromTheFileMatchesTheGoldenIDs() throws {
        let tokenizer = try GGUFFile(contentsOf: try smolLM2URL()).makeTokenizer()
        XCTAssertTrue(tokenizer is ByteLevelBPETokenizer)
        let goldenURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenizerTests/Fixtures/smollm2/golden.json")
        struct Case: Decodable { let text: String; let ids: [Int]; let decoded: String }
        struct Golden: Decodable { let cases: [Case] }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: goldenURL))
        XCTAssertGreaterThanOrEqual(golden.cases.count, 30)
        for item in golden.cases {
            XCTAssertEqual(try tokenizer.encode(item.text), item.ids, item.text)
            XCTAssertEqual(try tokenizer.decode(item.ids), item.decoded, item.text)
        }
        XCTAssertEqual(tokenizer.bosID, 1)
        XCTAssertEqual(tokenizer.eosID, 2)
    }

    /// Perplexity of an ordinary English paragraph: a sound model gives a small number (a broken
    /// permutation or scale gives hundreds or thousands).
    func testPerplexityOfAnEnglishParagraphIsBelow30() throws {
        let lm = try languageModel()
        let paragraph = """
        The city of Paris is the capital and largest city of France. It is located on the river Seine, \
        in the north of the country. Paris is known for its museums and architectural landmarks, such as \
        the Louvre, which is the most visited art museum in the world, and the Eiffel Tower, which was \
        built for the World's Fair in 1889. Millions of tourists visit the city every year.
        """
        let ids = try lm.tokenizer.encode(paragraph)
        XCTAssertGreaterThan(ids.count, 60)
        let logits = try withoutGradients { try lm.model.logits(for: ids) }
        let vocabulary = logits.shape[1]
        let values = logits.scalars
        var negativeLogLikelihood = 0.0
        for position in 0..<(ids.count - 1) {
            let row = values[(position * vocabulary)..<((position + 1) * vocabulary)].map(Double.init)
            let maximum = row.max()!
            let logSum = maximum + log(row.reduce(0) { $0 + exp($1 - maximum) })
            negativeLogLikelihood += logSum - row[ids[position + 1]]
        }
        let perplexity = exp(negativeLogLikelihood / Double(ids.count - 1))
        print("SmolLM2-135M-Instruct perplexity on the paragraph (\(ids.count) tokens): \(perplexity)")
        XCTAssertTrue(perplexity.isFinite)
        XCTAssertLessThan(perplexity, 30, "perplexity \(perplexity)")
        XCTAssertGreaterThan(perplexity, 1.5, "perplexity \(perplexity) is implausibly low")
    }
}
