import Evaluation
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import XCTest

/// Shared-prefix scoring (the context prefilled once, the cache rolled back per option) against each
/// option scored from scratch, on a tiny random MiniCPM.
final class SharedPrefixScoringTests: XCTestCase {
    static func tinyModel() throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 260, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 12
        c.depthScale = 1.4
        c.baseModelDimension = 8
        c.initializerRange = 0.5
        c.rmsNormEpsilon = 1e-5
        return try MiniCPM(configuration: c, seed: 7)
    }

    /// `log softmax` of the row of `logits` `[T, V]` that predicts `context + continuation`'s token at
    /// `position`, computed in `Double` from the full forward pass.
    static func scratchLogProbabilities(_ model: MiniCPM, context: [Int], continuation: [Int]) throws -> [Double] {
        let tokens = context + continuation
        let logits = try model.logits(for: tokens).scalars
        let v = model.configuration.vocabularySize
        return continuation.indices.map { j in
            let row = logits[((context.count + j - 1) * v)..<((context.count + j) * v)]
            let maximum = Double(row.max()!)
            let sum = row.reduce(0.0) { $0 + exp(Double($1) - maximum) }
            return Double(row[row.startIndex + continuation[j]]) - maximum - log(sum)
        }
    }

    func testSharedPrefixEqualsScoringEachOptionFromScratch() throws {
        let model = try Self.tinyModel()
        var random = SeededRandom(seed: 3)
        let context = (0..<11).map { _ in Int.random(in: 0..<260, using: &random) }
        let continuations = [[5], [9, 200, 17], [], (0..<6).map { _ in Int.random(in: 0..<260, using: &random) }, [9, 200]]
        let shared = try model.continuationLogProbabilities(continuations, after: context)
        XCTAssertEqual(shared.map(\.count), continuations.map(\.count))
        for (row, continuation) in zip(shared, continuations) {
            let scratch = try Self.scratchLogProbabilities(model, context: context, continuation: continuation)
            for (a, b) in zip(row, scratch) { XCTAssertEqual(Double(a), b, accuracy: 1e-5 * max(1, abs(b))) }
        }
        // A prefix of an option scores as the option's first tokens: the rollback left nothing behind.
        // Up to rounding: a one-token continuation goes through the single-query attention kernel
        // and a longer one through the blocked kernel (an online softmax), which round differently.
        XCTAssertEqual(shared[4].count, 2)
        for (a, b) in zip(shared[4], shared[1].prefix(2)) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b))) }
    }

    func testLanguageModelScoresTextOptionsThroughItsTokenizer() throws {
        let language = try LanguageModel(model: try Self.tinyModel(), tokenizer: ByteTokenizer(), chatTemplate: nil, name: "tiny")
        let scorer = MultipleChoiceScorer(model: language)
        let scores = try scorer.score(context: "Question: 2 + 2 =", options: [" 4", " five", " 22"])
        let context = [256] + "Question: 2 + 2 =".utf8.map(Int.init)
        for (score, option) in zip(scores.options, [" 4", " five", " 22"]) {
            let scratch = try Self.scratchLogProbabilities(language.model, context: context, continuation: option.utf8.map(Int.init))
            XCTAssertEqual(score.logProbability, scratch.reduce(0, +), accuracy: 1e-3)
            XCTAssertEqual(score.tokenCount, option.utf8.count)
        }
        XCTAssertThrowsError(try language.logProbabilities(of: [[1]], after: [])) { error in
            guard case EvaluationError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try language.logProbabilities(of: [[999]], after: [1])) { error in
            guard case EvaluationError.model = error else { return XCTFail("\(error)") }
        }
    }

    func testLanguageModelGenerationMatchesTheModelsOwn() throws {
        let language = try LanguageModel(model: try Self.tinyModel(), tokenizer: ByteTokenizer(), chatTemplate: nil, name: "tiny")
        let prompt = try language.contextTokens(for: "abc")
        XCTAssertEqual(prompt, [256, 97, 98, 99])
        let parameters = GenerateParameters(maxTokens: 6, temperature: 0, stopTokenIDs: [])
        let completion = try language.generate(after: prompt, parameters: parameters, stopStrings: [])
        let direct = try language.model.generate(promptTokens: prompt, parameters: parameters)
        XCTAssertEqual(completion.tokens, direct.tokens)
        XCTAssertEqual(completion.tokens.count, 6)
    }
}
