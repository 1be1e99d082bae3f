import Evaluation
import Foundation
import MiniCPMModel
import Tokenizer
import XCTest

/// The scorer on the bigram double, whose probabilities are exact ratios: trained on "abcabcabc",
/// row `a` has 3 counts (all `a → b`), so `P(b | a) = 4/261` and any other byte after `a` is `1/261`.
final class MultipleChoiceScorerTests: XCTestCase {
    let model = BigramModel(trainingText: "abcabcabc")

    func testScoresAreExactLogProbabilitiesAndCriteriaDisagreeAsExpected() throws {
        let scores = try MultipleChoiceScorer(model: model).score(context: "a", options: ["bc", "x"])
        let bc = 2 * log(4.0 / 261)                         // log P(b|a) + log P(c|b)
        let x = log(1.0 / 261)
        XCTAssertEqual(scores.options.map(\.tokenCount), [2, 1])
        XCTAssertEqual(scores.options.map(\.characterCount), [2, 1])
        XCTAssertEqual(scores.options[0].logProbability, bc, accuracy: 1e-5)
        XCTAssertEqual(scores.options[1].logProbability, x, accuracy: 1e-5)
        XCTAssertEqual(scores.options[0].logProbabilityPerCharacter, bc / 2, accuracy: 1e-5)
        XCTAssertEqual(scores.choiceBySum, 1, "acc favours the short option: -8.36 < -5.56")
        XCTAssertEqual(scores.choiceByCharacter, 0, "acc_norm: -4.18 per character beats -5.56")
        XCTAssertEqual(scores.choiceByToken, 0)

        var accuracy = MultipleChoiceAccuracy()
        accuracy.add(scores, correctIndex: 0)
        accuracy.add(scores, correctIndex: 1)
        accuracy.add(scores, correctIndex: 1)
        XCTAssertEqual(accuracy.questionCount, 3)
        XCTAssertEqual(accuracy.accuracyBySum, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(accuracy.accuracyByCharacter, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(accuracy.accuracyByToken, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(MultipleChoiceAccuracy().accuracyBySum, 0)
    }

    func testTiesGoToTheFirstOption() {
        let tie = MultipleChoiceScores(options: [OptionScore(logProbability: -1, tokenCount: 1, characterCount: 1),
                                                 OptionScore(logProbability: -1, tokenCount: 1, characterCount: 1)])
        XCTAssertEqual(tie.choiceBySum, 0)
        XCTAssertNil(MultipleChoiceScores(options: []).choiceBySum)
    }

    func testContextWhitespaceMovesToTheOptions() throws {
        let (context, options) = try ContinuationTokenization.split(context: "Answer: ", options: ["B", ""], model: model)
        XCTAssertEqual(context, [256] + "Answer:".utf8.map(Int.init))
        XCTAssertEqual(options, [" B".utf8.map(Int.init), [32]])
        // The character count is the option's own text, not the moved space.
        let scores = try MultipleChoiceScorer(model: model).score(context: "Answer: ", options: ["B"])
        XCTAssertEqual(scores.options[0].characterCount, 1)
        XCTAssertEqual(scores.options[0].tokenCount, 2)
    }

    func testUnstableBoundaryEncodesTheOptionAlone() throws {
        let stub = StubModel()
        // "He" + "llo" is one piece "Hello": the whole text's ids do not start with the context's.
        let (context, options) = try ContinuationTokenization.split(context: "He", options: ["llo", " x"], model: stub)
        XCTAssertEqual(context, [1])
        XCTAssertEqual(options, [[2], [3, 4]])
        // An empty context becomes the EOS id.
        let empty = try ContinuationTokenization.split(context: "", options: ["Hello"], model: stub)
        XCTAssertEqual(empty.context, [5])
        XCTAssertEqual(empty.options, [[0]])
    }

    func testCharacterCountsMustMatchTheOptions() {
        XCTAssertThrowsError(try MultipleChoiceScorer(model: model).score(contextTokens: [256], optionTokens: [[97]],
                                                                          characterCounts: [])) { error in
            guard case EvaluationError.invalidArgument = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try model.logProbabilities(of: [[97]], after: []))
        XCTAssertThrowsError(try model.logProbabilities(of: [[300]], after: [256]))
    }

    func testThroughputCountsQuestionsAndTokens() throws {
        let questions: [(context: String, options: [String])] = [("ab", ["c", "cc"]), ("Q: ", ["a", "b", "c"])]
        let (scores, throughput) = try MultipleChoiceScorer(model: model).scoreMeasuringThroughput(questions)
        XCTAssertEqual(scores.count, 2)
        XCTAssertEqual(throughput.questionCount, 2)
        // (BOS + "ab") + 1 + 2, then (BOS + "Q:") + 3 × " x".
        XCTAssertEqual(throughput.tokenCount, 3 + 3 + 3 + 6)
        XCTAssertGreaterThan(throughput.seconds, 0)
        XCTAssertGreaterThan(throughput.tokensPerSecond, throughput.questionsPerSecond)
        XCTAssertEqual(scores[0], try MultipleChoiceScorer(model: model).score(context: "ab", options: ["c", "cc"]))
    }

    func testChoiceByGenerationExtractsTheLetter() throws {
        // After ':' the bigram model has only ever seen " B", and after "B" a newline then a newline.
        let scorer = MultipleChoiceScorer(model: BigramModel(trainingText: "Answer: B\n\n"))
        let answer = try scorer.chooseByGeneration(prompt: "Q?\nA. x\nB. y\nAnswer:", optionCount: 2)
        XCTAssertEqual(answer.text, " B")
        XCTAssertEqual(answer.choice, 1)
        XCTAssertNil(try scorer.chooseByGeneration(prompt: "Answer:", optionCount: 1).choice, "B is not among one option")
    }

    func testBigramGenerationIsGreedyAndStops() throws {
        let prompt = try model.contextTokens(for: "a")
        let completion = try model.generate(after: prompt, parameters: .greedy(maxTokens: 7), stopStrings: [])
        XCTAssertEqual(completion.text, "bcabcab")
        let stopped = try model.generate(after: prompt, parameters: .greedy(maxTokens: 7), stopStrings: ["ca"])
        XCTAssertEqual(stopped.text, "b")
        XCTAssertEqual(stopped.tokens, [98, 99, 97])
    }
}

/// A model with a piece tokenizer ("Hello" is one piece, "He" and "llo" others) and no BOS, for
/// tokenization boundaries; its scores are all zero.
struct StubModel: EvaluatedModel {
    struct PieceTokenizer: TextTokenizer {
        static let pieces = ["Hello", "He", "llo", " ", "x"]
        var vocabularySize: Int { 6 }
        var bosID: Int? { nil }
        var eosID: Int? { 5 }
        func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
            var ids: [Int] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                guard let index = Self.pieces.firstIndex(where: { rest.hasPrefix($0) }) else {
                    throw .invalidModel(source: "stub", reason: "cannot encode \(rest)")
                }
                ids.append(index)
                rest = rest.dropFirst(Self.pieces[index].count)
            }
            return ids
        }
        func decode(_ ids: [Int]) throws(TokenizerError) -> String { ids.map { $0 < 5 ? Self.pieces[$0] : "" }.joined() }
        func id(forPiece piece: String) -> Int? { Self.pieces.firstIndex(of: piece) }
    }

    var name: String { "stub" }
    var tokenizer: any TextTokenizer { PieceTokenizer() }
    func contextTokens(for text: String) throws(EvaluationError) -> [Int] {
        do { return try PieceTokenizer().encode(text) } catch { throw .model(model: name, reason: "\(error)") }
    }
    func logProbabilities(of continuations: [[Int]], after context: [Int]) throws(EvaluationError) -> [[Float]] {
        continuations.map { $0.map { _ in 0 } }
    }
    func generate(after prompt: [Int], parameters: GenerateParameters, stopStrings: [String]) throws(EvaluationError) -> GeneratedCompletion {
        GeneratedCompletion(text: "", tokens: [])
    }
}
