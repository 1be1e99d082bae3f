import Evaluation
import Foundation
import MiniCPMModel
import TensorCore
import TestSupport
import XCTest

/// Scoring with SmolLM2-135M-Instruct (skipped when `make data` has not fetched it): its byte-level BPE
/// tokenizer, shared-prefix scoring against scratch scoring, an easy question, and the throughput hook
/// beside plain prefill (printed; a debug build's speed is no benchmark).
final class RealModelScoringTests: XCTestCase {
    func testSmolLM2ScoresAnEasyQuestionWithSharedPrefix() throws {
        let model = try LanguageModel(ggufFile: try smolLM2URL())
        let context = "Question: What is the capital of France?\nAnswer:"
        let options = [" Paris", " London", " Berlin", " Madrid"]
        let (contextIDs, optionIDs) = try ContinuationTokenization.split(context: context, options: options, model: model)
        // A space-led word after "Answer:" is a stable boundary: the option's own ids.
        XCTAssertEqual(optionIDs, try options.map { try model.tokenizer.encode($0) })

        let shared = try model.logProbabilities(of: optionIDs, after: contextIDs)
        for (row, option) in zip(shared, optionIDs) {
            let scratch = try SharedPrefixScoringTests.scratchLogProbabilities(model.model, context: contextIDs,
                                                                                continuation: option)
            for (a, b) in zip(row, scratch) { XCTAssertEqual(Double(a), b, accuracy: 1e-3) }
        }
        let scorer = MultipleChoiceScorer(model: model)
        let scores = try scorer.score(context: context, options: options)
        XCTAssertEqual(scores.choiceBySum, 0, "\(scores.options.map(\.logProbability))")
        XCTAssertEqual(scores.choiceByCharacter, 0)

        let questions = Array(repeating: (context: context, options: options), count: 4)
        let (_, throughput) = try scorer.scoreMeasuringThroughput(questions)
        let prompt = Array(contextIDs + optionIDs.joined())
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<4 { _ = try withoutGradients { try model.model.nextTokenLogits(for: prompt) } }
        let elapsed = (clock.now - start).components
        let prefill = Double(4 * prompt.count) / (Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
        print(String(format: "SmolLM2 scoring: %.1f questions/s, %.0f tokens/s; prefill of the same %d tokens: %.0f tokens/s",
                     throughput.questionsPerSecond, throughput.tokensPerSecond, prompt.count, prefill))
    }
}
