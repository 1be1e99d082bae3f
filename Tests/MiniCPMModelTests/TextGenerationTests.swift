import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import XCTest

/// ``LanguageModel/generate(_:parameters:chatTemplate:stopStrings:cache:onText:)`` with a real
/// vocabulary: Mistral's 32000-piece SentencePiece model (the Tokenizer tests' fixture) on a small
/// randomly initialised decoder of the same vocabulary, sampled, so the text is a varied run of real
/// pieces. The references are the tokenizer's own `decode` of all generated ids at once, and the
/// same seeded run without stop strings.
final class TextGenerationTests: XCTestCase {
    nonisolated(unsafe) private static var cached: LanguageModel?

    private func languageModel() throws -> LanguageModel {
        if let cached = Self.cached { return cached }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TokenizerTests/Fixtures/tokenizer.model.v1")
        let tokenizer = try SentencePieceTokenizer(contentsOf: url)
        let configuration = MiniCPMConfiguration(vocabularySize: tokenizer.vocabularySize, hiddenSize: 32,
                                                 intermediateSize: 64, layerCount: 1, attentionHeadCount: 2)
        let model = try MiniCPM(configuration: configuration, seed: 11)
        let loaded = try LanguageModel(model: model, tokenizer: tokenizer, chatTemplate: nil, name: "random-mistral")
        Self.cached = loaded
        return loaded
    }

    /// Sampled at temperature 1 (the random model's logits are nearly flat), never stopping on a token.
    private let sampling = GenerateParameters(maxTokens: 40, temperature: 1, seed: 5, stopTokenIDs: [])

    func testStreamedTextIsTheDecodingOfAllTokensAndTextPromptsGetBOS() throws {
        let lm = try languageModel()
        let ids = try lm.promptTokens(for: .text("The quick brown fox"))
        XCTAssertEqual(ids, [1] + (try lm.tokenizer.encode("The quick brown fox")), "SentencePiece models get BOS")
        var pieces: [String] = []
        let result = try lm.generate(.text("The quick brown fox"), parameters: sampling) { piece in
            pieces.append(piece)
            return .continue
        }
        XCTAssertEqual(result.summary.promptTokenCount, ids.count)
        XCTAssertEqual(result.summary.tokens.count, 40)
        XCTAssertEqual(result.summary.stopReason, .maxTokens)
        XCTAssertEqual(result.text, try lm.tokenizer.decode(result.summary.tokens))
        XCTAssertEqual(pieces.joined(), result.text)
        XCTAssertFalse(pieces.contains(""), "only non-empty pieces are reported")
        XCTAssertGreaterThan(pieces.count, 20)

        // The same ids given directly generate the same text.
        let direct = try lm.generate(.tokens(ids), parameters: sampling)
        XCTAssertEqual(direct, result.withTimings(of: direct))
    }

    /// A stop string made of the end of one token's text and the start of the next: the text stops
    /// right before it, and nothing of it is ever streamed.
    func testAStopStringAcrossATokenBoundaryCutsTheText() throws {
        let lm = try languageModel()
        let full = try lm.generate(.text("The quick brown fox"), parameters: sampling)
        let tokens = full.summary.tokens

        // Find a boundary after token k with two characters before and three after it, where the
        // five characters occur first.
        var found: (stop: String, before: String, k: Int)?
        for k in 15..<35 {
            let before = try lm.tokenizer.decode(Array(tokens[..<k]))
            guard full.text.hasPrefix(before), before.count >= 2, full.text.count - before.count >= 3 else { continue }
            let stop = String(before.suffix(2)) + String(full.text.dropFirst(before.count).prefix(3))
            if let first = full.text.range(of: stop),
               full.text.distance(from: full.text.startIndex, to: first.lowerBound) == before.count - 2 {
                found = (stop, before, k)
                break
            }
        }
        let (stop, before, k) = try XCTUnwrap(found, "no usable boundary in \(full.text.debugDescription)")

        var streamed = ""
        let cut = try lm.generate(.text("The quick brown fox"), parameters: sampling, stopStrings: [stop]) { piece in
            streamed += piece
            return .continue
        }
        XCTAssertEqual(cut.text, String(before.dropLast(2)))
        XCTAssertEqual(streamed, cut.text, "the start of the stop string was held back, never streamed")
        XCTAssertEqual(cut.summary.stopReason, .stopString(stop))
        // Generation ends with the token that completes the stop string: within three tokens of k.
        XCTAssertTrue((k + 1...k + 3).contains(cut.summary.tokens.count), "\(cut.summary.tokens.count) tokens, k = \(k)")
        XCTAssertEqual(cut.summary.tokens, Array(tokens.prefix(cut.summary.tokens.count)))
    }

    func testStreamGivesTheCallbacksPiecesAndResult() async throws {
        let lm = try languageModel()
        var pieces: [String] = []
        let expected = try lm.generate(.text("Once"), parameters: sampling) { pieces.append($0); return .continue }
        var streamed: [String] = []
        var finished: [GeneratedText] = []
        for try await event in lm.textStream(for: .text("Once"), parameters: sampling) {
            switch event {
            case let .text(piece): streamed.append(piece)
            case let .finished(result): finished.append(result)
            }
        }
        XCTAssertEqual(streamed, pieces)
        XCTAssertEqual(finished.count, 1)
        XCTAssertEqual(finished.first?.text, expected.text)
        XCTAssertEqual(finished.first?.summary.tokens, expected.summary.tokens)
    }

    func testAConversationNeedsATemplateAndUsesTheOneGiven() throws {
        let lm = try languageModel()
        XCTAssertThrowsError(try lm.generate(.chat([.user("Hi")]), parameters: sampling)) { error in
            XCTAssertEqual(error as? LanguageModelError, .noChatTemplate(model: "random-mistral"))
        }
        let template = MiniCPMChatTemplate()
        let ids = try lm.promptTokens(for: .chat([.user("Hi")]), chatTemplate: template)
        XCTAssertEqual(ids, try template.encode([.user("Hi")], tokenizer: lm.tokenizer))
        XCTAssertEqual(ids.first, 1)
        let result = try lm.generate(.chat([.user("Hi")]), parameters: sampling, chatTemplate: template)
        XCTAssertEqual(result.summary.promptTokenCount, ids.count)
    }

    func testBadParametersAreTypedErrorsAndLeaveTheCacheAlone() throws {
        let lm = try languageModel()
        let cache = KVCache(configuration: lm.model.configuration)
        var parameters = sampling
        parameters.minP = 2
        XCTAssertThrowsError(try lm.generate(.text("Hi"), parameters: parameters, cache: cache)) { error in
            XCTAssertEqual(error as? GenerationError, .invalidParameter(name: "minP", value: "2.0", requirement: "in [0, 1]"))
        }
        XCTAssertEqual(cache.length, 0)
    }
}

private extension GeneratedText {
    /// This result with the timings of `other` (timings differ from run to run).
    func withTimings(of other: GeneratedText) -> GeneratedText {
        GeneratedText(text: text, summary: GenerationSummary(
            promptTokenCount: summary.promptTokenCount, tokens: summary.tokens, stopReason: summary.stopReason,
            pendingToken: summary.pendingToken, prefillTime: other.summary.prefillTime,
            decodeTime: other.summary.decodeTime, decodeStepCount: summary.decodeStepCount))
    }
}
