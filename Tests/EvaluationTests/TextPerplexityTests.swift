import Evaluation
import Foundation
import MiniCPMModel
import XCTest

final class TextPerplexityTests: XCTestCase {
    /// A bigram model's probabilities depend on the previous token only, so every window length gives
    /// the exact sum over the text's bigrams.
    func testBigramPerplexityIsExactForAnyWindow() throws {
        let model = BigramModel(trainingText: "abcabcabc")
        let text = "abc ab"
        let ids = [256] + text.utf8.map(Int.init)
        let expected = -zip(ids, ids.dropFirst()).reduce(0.0) { $0 + model.logProbability(of: $1.1, after: $1.0) }
        for window in [1, 2, 5, 6, 100] {
            let result = try TextPerplexity.measure(text: text, model: model, windowLength: window)
            XCTAssertEqual(result.tokenCount, 6)
            XCTAssertEqual(result.negativeLogLikelihood, expected, accuracy: 1e-4, "window \(window)")
        }
        let result = try TextPerplexity.measure(text: text, model: model, windowLength: 4)
        XCTAssertEqual(result.byteCount, 6)
        XCTAssertEqual(result.wordCount, 2)
        XCTAssertEqual(result.tokenPerplexity, exp(result.negativeLogLikelihood / 6), accuracy: 1e-9)
        XCTAssertEqual(result.wordPerplexity, exp(result.negativeLogLikelihood / 2), accuracy: 1e-9)
        XCTAssertEqual(result.bitsPerByte, result.negativeLogLikelihood / (6 * log(2)), accuracy: 1e-12)
        XCTAssertThrowsError(try TextPerplexity.measure(text: text, model: model, windowLength: 0))
        XCTAssertThrowsError(try TextPerplexity.measure(text: "", model: model, windowLength: 4))
    }

    /// One window over the whole text is one forward pass from scratch.
    func testOneWindowOnMiniCPMEqualsScratchScoring() throws {
        let language = try LanguageModel(model: try SharedPrefixScoringTests.tinyModel(), tokenizer: ByteTokenizer(),
                                         chatTemplate: nil, name: "tiny")
        let text = "perplexity"
        let result = try TextPerplexity.measure(text: text, model: language, windowLength: 64)
        let scratch = try SharedPrefixScoringTests.scratchLogProbabilities(language.model, context: [256],
                                                                            continuation: text.utf8.map(Int.init))
        XCTAssertEqual(result.negativeLogLikelihood, -scratch.reduce(0, +), accuracy: 1e-3)
        // Shorter windows forget the text before them, but every token is still predicted once.
        let windowed = try TextPerplexity.measure(text: text, model: language, windowLength: 3)
        XCTAssertEqual(windowed.tokenCount, result.tokenCount)
    }
}
