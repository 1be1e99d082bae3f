import MiniCPMModel
import Tokenizer
import TensorCore
import Training
import XCTest

final class TaskAccuracyTests: XCTestCase {
    let sum = TaskItem(task: .arithmetic, prompt: "What is 37 + 48?", answer: "85", rejected: "86")
    let verse = TaskItem(task: .verseContinuation, prompt: "Continue the verse: In the beginning God created",
                         answer: "the heaven and the", rejected: "was the Word")
    let book = TaskItem(task: .verseBook, prompt: "Which book of the Bible is this verse from? Jesus wept.",
                        answer: "John", rejected: "Luke")

    func testGradingRules() {
        XCTAssertTrue(sum.isCorrect(reply: "85"))
        XCTAssertTrue(sum.isCorrect(reply: " 85. "))
        XCTAssertFalse(sum.isCorrect(reply: "850"))
        XCTAssertFalse(sum.isCorrect(reply: "85 or 86"))
        XCTAssertFalse(sum.isCorrect(reply: ""))

        XCTAssertTrue(verse.isCorrect(reply: "the heaven and the earth."))
        XCTAssertTrue(verse.isCorrect(reply: "The heaven, and the"))
        XCTAssertFalse(verse.isCorrect(reply: "the heaven and"))
        XCTAssertFalse(verse.isCorrect(reply: "the earth and the heaven"))

        XCTAssertTrue(book.isCorrect(reply: "john"))
        XCTAssertTrue(book.isCorrect(reply: "John."))
        XCTAssertFalse(book.isCorrect(reply: "1 John"))
        XCTAssertFalse(book.isCorrect(reply: "Luke"))
    }

    func testAccuracyPerTask() {
        let replies = [sum.prompt: "85", verse.prompt: "the heaven", book.prompt: "John"]
        let items = [sum, verse, book, sum]
        let accuracy = TaskAccuracy.evaluate(items) { replies[$0.prompt]! }
        XCTAssertEqual(accuracy.accuracy(of: .arithmetic), 1)
        XCTAssertEqual(accuracy.accuracy(of: .verseContinuation), 0)
        XCTAssertEqual(accuracy.accuracy(of: .verseBook), 1)
        XCTAssertEqual(accuracy.total[.arithmetic], 2)
        XCTAssertEqual(accuracy.overallAccuracy, 0.75)
        XCTAssertNil(TaskAccuracy().accuracy(of: .arithmetic))
    }

    /// Greedy generation from a model: the reply is the decoded generation, stopped at EOS or after
    /// `maxTokens`; graded like a hand-written reply.
    func testEvaluatesAModelsGreedyReplies() throws {
        let model = try TinyModels.model(seed: 4)
        let template = MiniCPMChatTemplate(), tokenizer = TinyChatTokenizer()
        let accuracy = try TaskAccuracy.evaluate([sum, book], model: model, template: template, tokenizer: tokenizer, maxTokens: 3)
        XCTAssertEqual(accuracy.total, [.arithmetic: 1, .verseBook: 1])
        // The same reply by hand.
        let prompt = try template.encode([.user(sum.prompt)], tokenizer: tokenizer)
        let summary = try model.generate(promptTokens: prompt, parameters: .greedy(maxTokens: 3))
        XCTAssertLessThanOrEqual(summary.tokens.count, 3)
        let reply = try tokenizer.decode(summary.tokens)
        XCTAssertEqual(accuracy.correct[.arithmetic] ?? 0, sum.isCorrect(reply: reply) ? 1 : 0)
    }

    /// Likelihood grading: right when the answer's summed log-probability beats the wrong one's,
    /// checked against the model's own cross-entropy on each reply alone (mean × count = −sum).
    func testGradesByLikelihoodOfAnswerAgainstTheWrongOne() throws {
        let model = try TinyModels.model(seed: 4)
        let template = MiniCPMChatTemplate(), tokenizer = TinyChatTokenizer()
        var generator = SeededRandom(seed: 3)
        let items = Array(ArithmeticTask(operands: 0...6).items(using: &generator).prefix(12)) + [book]
        let accuracy = try TaskAccuracy.evaluateByLikelihood(items, model: model, template: template, tokenizer: tokenizer,
                                                             batchSize: 5)
        var expected = TaskAccuracy()
        for item in items {
            let pair = try item.preferencePair(template: template, tokenizer: tokenizer)
            func logProbability(_ reply: [Int]) throws -> Double {
                let ids = pair.prompt + reply
                let targets = ids.indices.dropFirst().map { $0 >= pair.prompt.count ? ids[$0] : TrainingSequence.ignoredTarget }
                let mean = try model.loss(inputs: [Array(ids.dropLast())], targets: [targets], ignoreIndex: TrainingSequence.ignoredTarget)
                return -Double(mean.scalar) * Double(reply.count)
            }
            expected.record(item, isCorrect: try logProbability(pair.chosen) > logProbability(pair.rejected))
        }
        XCTAssertEqual(accuracy, expected)
        XCTAssertEqual(accuracy.total[.arithmetic], 12)
        // Neither all right nor all wrong for an untrained model (about half, by chance).
        XCTAssertGreaterThan(accuracy.correct.values.reduce(0, +), 0)
        XCTAssertLessThan(accuracy.correct.values.reduce(0, +), 13)
    }
}
