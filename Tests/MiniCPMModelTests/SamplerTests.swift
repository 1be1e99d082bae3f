import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Logit processors and token selectors against hand-computed expectations.
final class SamplerTests: XCTestCase {
    let inf = Float.infinity

    func processed(_ processor: any LogitProcessor, _ logits: [Float], history: [Int] = []) -> [Float] {
        var l = logits
        processor.process(&l, history: history)
        return l
    }

    func logs(_ probabilities: [Double]) -> [Float] { probabilities.map { Float(log($0)) } }

    func kept(_ logits: [Float]) -> [Int] { logits.indices.filter { logits[$0] > -inf } }

    // MARK: Greedy

    func testArgmaxPicksLargestAndLowestIndexOnTies() {
        var rng = SeededRandom(seed: 1)
        let greedy = ArgmaxSelector()
        XCTAssertEqual(greedy.select(from: [1, 3, 3, 2], using: &rng), 1)
        XCTAssertEqual(greedy.select(from: [-5, -1, -2], using: &rng), 1)
        XCTAssertEqual(greedy.select(from: [.nan, -inf, 2, 2], using: &rng), 2)
        XCTAssertEqual(greedy.select(from: [-inf, -inf, 0], using: &rng), 2)
        XCTAssertEqual(greedy.select(from: [-inf, .nan, -inf], using: &rng), 0, "nothing finite: 0")
        XCTAssertEqual(rng, SeededRandom(seed: 1), "greedy consumes no randomness")
    }

    // MARK: Temperature

    func testTemperatureDividesLogits() {
        XCTAssertEqual(processed(Temperature(2), [2, -4, 0, -inf]), [1, -2, 0, -inf])
        XCTAssertEqual(processed(Temperature(0.5), [1, -3]), [2, -6])
        XCTAssertEqual(processed(Temperature(1), [1, -3]), [1, -3])
    }

    // MARK: Repetition penalty

    func testRepetitionPenaltyFollowsHuggingFaceFormula() {
        let logits: [Float] = [3, 1, -2, 0.5, 0]
        // Tokens 0, 2 and 4 are in the history (0 twice: penalised once); 9 and -1 are ignored.
        XCTAssertEqual(processed(RepetitionPenalty(2), logits, history: [9, 0, 2, 0, -1, 4]),
                       [1.5, 1, -4, 0.5, 0])
        // Below 1 it encourages repeats.
        XCTAssertEqual(processed(RepetitionPenalty(0.5), logits, history: [0, 2]), [6, 1, -1, 0.5, 0])
    }

    func testRepetitionPenaltyWindow() {
        let logits: [Float] = [3, 1, -2, 0.5]
        let history = [0, 1, 2, 2]
        // The last two tokens are [2, 2]: only token 2 is penalised.
        XCTAssertEqual(processed(RepetitionPenalty(2, contextSize: 2), logits, history: history), [3, 1, -4, 0.5])
        XCTAssertEqual(processed(RepetitionPenalty(2, contextSize: 3), logits, history: history), [3, 0.5, -4, 0.5])
        XCTAssertEqual(processed(RepetitionPenalty(2, contextSize: 0), logits, history: history), logits)
        XCTAssertEqual(processed(RepetitionPenalty(2, contextSize: 100), logits, history: history), [1.5, 0.5, -4, 0.5])
        XCTAssertEqual(processed(RepetitionPenalty(2, contextSize: 2), [-inf, 1, 2], history: [0]), [-inf, 1, 2])
    }

    // MARK: Top-k

    func testTopKKeepsExactlyKWithTiesToLowerIndex() {
        XCTAssertEqual(processed(TopK(2), [1, 3, 1, 1]), [1, 3, -inf, -inf])
        XCTAssertEqual(processed(TopK(1), [0, 5, 5]), [-inf, 5, -inf])
        XCTAssertEqual(processed(TopK(3), [4, 2, 2, 2, 5]), [4, 2, -inf, -inf, 5])
        XCTAssertEqual(processed(TopK(4), [4, 2, 2, 2, 5]), [4, 2, 2, -inf, 5])
        XCTAssertEqual(processed(TopK(2), [0.5, -1, 2, 1]), [-inf, -inf, 2, 1])
    }

    func testTopKEdgeCases() {
        XCTAssertEqual(processed(TopK(4), [1, 2, 3]), [1, 2, 3], "k >= vocabulary: unchanged")
        XCTAssertEqual(processed(TopK(3), [-inf, 2, -inf, 1]), [-inf, 2, -inf, 1], "fewer finite than k")
        let withNaN = processed(TopK(2), [.nan, 1, 2, 0])
        XCTAssertEqual(withNaN, [-inf, 1, 2, -inf], "NaN is never a candidate")
    }

    func testTopKMatchesSortReferenceOnLargeVocabularyWithTies() {
        var rng = SeededRandom(seed: 3)
        // Quantised values give many ties.
        let logits = (0..<20_000).map { _ in Float(Int.random(in: -300...300, using: &rng)) / 10 }
        for k in [1, 7, 40, 1000, 19_999] {
            let reference = Set(logits.indices.sorted { (logits[$0], -$0) > (logits[$1], -$1) }.prefix(k))
            let result = processed(TopK(k), logits)
            XCTAssertEqual(Set(kept(result)), reference, "k = \(k)")
            for i in reference { XCTAssertEqual(result[i], logits[i]) }
        }
    }

    // MARK: Top-p

    func testTopPKeepsSmallestPrefixReachingP() {
        let logits = logs([0.5, 0.2, 0.3])
        XCTAssertEqual(kept(processed(TopP(0.8), logits)), [0, 2])
        XCTAssertEqual(kept(processed(TopP(0.5), logits)), [0], "0.5 alone reaches 0.5")
        XCTAssertEqual(kept(processed(TopP(0.49), logits)), [0])
        XCTAssertEqual(kept(processed(TopP(0.51), logits)), [0, 2])
        XCTAssertEqual(kept(processed(TopP(0.81), logits)), [0, 1, 2])
        XCTAssertEqual(kept(processed(TopP(1e-9), logits)), [0], "the most likely token always survives")
        XCTAssertEqual(processed(TopP(1), logits), logits)
        // Surviving logits are untouched.
        let r = processed(TopP(0.8), logits)
        XCTAssertEqual(r[0], logits[0]); XCTAssertEqual(r[2], logits[2])
    }

    func testTopPTiesAndMaskedEntries() {
        XCTAssertEqual(kept(processed(TopP(0.6), logs([0.4, 0.3, 0.3]))), [0, 1], "ties: lower id first")
        XCTAssertEqual(kept(processed(TopP(0.5), [-inf, 0, 0, .nan])), [1])
        XCTAssertEqual(kept(processed(TopP(0.9), [-inf, 0, 0, .nan])), [1, 2])
        // Huge logits: max subtraction keeps it finite.
        XCTAssertEqual(kept(processed(TopP(0.7), [1e30, 1e30, -1e30])), [0, 1])
        XCTAssertEqual(kept(processed(TopP(0.7), [80, 80 + Float(log(0.5)), 80 + Float(log(0.25))])), [0, 1])
    }

    func testTopPMatchesSortReference() {
        var rng = SeededRandom(seed: 11)
        let logits = (0..<5_000).map { _ in Float(rng.nextGaussian() * 3) }
        let m = Double(logits.max()!)
        let total = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
        let order = logits.indices.sorted { (logits[$0], -$0) > (logits[$1], -$1) }
        for p in [0.1, 0.5, 0.9, 0.99] {
            var reference = Set<Int>(), cumulative = 0.0
            for i in order {
                reference.insert(i)
                cumulative += exp(Double(logits[i]) - m) / total
                if cumulative >= p { break }
            }
            XCTAssertEqual(Set(kept(processed(TopP(p), logits))), reference, "p = \(p)")
        }
    }

    // MARK: Min-p

    func testMinPKeepsTokensAboveFractionOfMax() {
        let logits = logs([0.5, 0.3, 0.15, 0.05])
        XCTAssertEqual(kept(processed(MinP(0.2), logits)), [0, 1, 2], "threshold 0.1")
        XCTAssertEqual(kept(processed(MinP(0.5), logits)), [0, 1], "threshold 0.25")
        XCTAssertEqual(kept(processed(MinP(0.7), logits)), [0], "threshold 0.35")
        XCTAssertEqual(kept(processed(MinP(0.05), logits)), [0, 1, 2, 3])
        XCTAssertEqual(processed(MinP(0), logits), logits)
        XCTAssertEqual(kept(processed(MinP(1), [1, 3, 3, .nan])), [1, 2])
        XCTAssertEqual(processed(MinP(0.5), [-inf, 0, .nan, -1]), [-inf, 0, -inf, -inf])
    }

    // MARK: Categorical

    func testCategoricalIsReproducibleAndSeedDependent() {
        let flat = [Float](repeating: 0, count: 64)
        func draws(_ seed: UInt64) -> [Int] {
            var rng = SeededRandom(seed: seed)
            return (0..<50).map { _ in CategoricalSelector().select(from: flat, using: &rng) }
        }
        XCTAssertEqual(draws(7), draws(7))
        XCTAssertNotEqual(draws(7), draws(8))
        // Exactly one generator step per draw.
        var a = SeededRandom(seed: 5), b = SeededRandom(seed: 5)
        _ = CategoricalSelector().select(from: flat, using: &a)
        _ = b.next()
        XCTAssertEqual(a, b)
    }

    func testCategoricalFrequenciesMatchDistribution() {
        let probabilities = [0.1, 0.2, 0.3, 0.25, 0.15]
        // Shifted by a large constant: max subtraction makes this irrelevant.
        let logits = probabilities.map { Float(log($0)) + 50 }
        var rng = SeededRandom(seed: 2024)
        let n = 20_000
        var counts = [Int](repeating: 0, count: probabilities.count)
        for _ in 0..<n { counts[CategoricalSelector().select(from: logits, using: &rng)] += 1 }
        let chiSquare = zip(counts, probabilities).reduce(0.0) { sum, pair in
            let expected = Double(n) * pair.1
            return sum + (Double(pair.0) - expected) * (Double(pair.0) - expected) / expected
        }
        // 99.9th percentile of chi-square with 4 degrees of freedom.
        XCTAssertLessThan(chiSquare, 18.47, "counts \(counts)")
    }

    func testCategoricalNeverDrawsRemovedTokens() {
        var rng = SeededRandom(seed: 9)
        let logits: [Float] = [-inf, 0, -inf, 0, .nan, -200]
        var seen = Set<Int>()
        for _ in 0..<2000 { seen.insert(CategoricalSelector().select(from: logits, using: &rng)) }
        XCTAssertEqual(seen, [1, 3])
        XCTAssertEqual(CategoricalSelector().select(from: [-inf, -inf], using: &rng), 0, "nothing finite")
    }

    // MARK: Chains

    func testStandardChainComposition() {
        func kinds(_ s: Sampler) -> [String] { s.processors.map { "\(type(of: $0))" } + ["\(type(of: s.selector))"] }
        XCTAssertEqual(kinds(GenerateParameters(temperature: 1).sampler), ["CategoricalSelector"])
        XCTAssertEqual(kinds(GenerateParameters(temperature: 0, topK: 5, topP: 0.5, repetitionPenalty: 1.2).sampler),
                       ["RepetitionPenalty", "ArgmaxSelector"])
        XCTAssertEqual(kinds(GenerateParameters(temperature: 0.7, topK: 5, topP: 0.5, minP: 0.1, repetitionPenalty: 1.2).sampler),
                       ["RepetitionPenalty", "Temperature", "TopK", "TopP", "MinP", "CategoricalSelector"])
    }

    func testStandardChainOnHandExample() {
        // Penalty 2 on token 0 (3 → 1.5), temperature 0.5 doubles, top-k 3 drops token 4 (lowest),
        // top-p 0.9 and min-p 0.1 as computed below.
        let parameters = GenerateParameters(temperature: 0.5, topK: 3, topP: 0.9, minP: 0.1,
                                            repetitionPenalty: 2, repetitionContextSize: 1)
        let logits: [Float] = [3, 2, 1, 0, -1]
        let result = parameters.sampler.processed(logits, history: [1, 0])
        // After penalty and temperature: [3, 4, 2, 0, -2]; top-k 3 keeps tokens 1, 0, 2; their
        // probabilities e^4, e^3, e^2 normalised = 0.665, 0.245, 0.090: top-p 0.9 keeps 1 and 0
        // (0.910), min-p keeps both (0.245 / 0.665 > 0.1).
        XCTAssertEqual(result, [3, 4, -inf, -inf, -inf])
    }

    func testCustomChain() {
        struct Ban: LogitProcessor {
            let token: Int
            func process(_ logits: inout [Float], history: [Int]) { logits[token] = -.infinity }
        }
        let sampler = Sampler(processors: [Ban(token: 1)], selector: ArgmaxSelector())
        var rng = SeededRandom(seed: 0)
        XCTAssertEqual(sampler.nextToken(logits: [1, 5, 3], history: [], using: &rng), 2)
        XCTAssertEqual(Sampler.greedy.nextToken(logits: [1, 5, 3], history: [], using: &rng), 1)
    }

    func testLargeVocabularyChainStaysFinite() {
        var rng = SeededRandom(seed: 4)
        let vocabulary = 122_753
        var logits = (0..<vocabulary).map { _ in Float(rng.nextGaussian() * 4) }
        logits[17] = -inf
        let sampler = GenerateParameters(temperature: 0.8, topK: 40, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1).sampler
        let processed = sampler.processed(logits, history: Array(0..<100))
        XCTAssertFalse(processed.contains { $0.isNaN })
        let survivors = kept(processed)
        XCTAssertGreaterThanOrEqual(survivors.count, 1)
        XCTAssertLessThanOrEqual(survivors.count, 40)
        // The survivors are among the 40 best after the penalty (Hugging Face's rule, written out
        // here: positive logits of seen tokens divided by 1.1, negative ones multiplied), and the best
        // one always survives.
        let penalized = logits.indices.map { i -> Float in
            guard i < 100 else { return logits[i] }
            return logits[i] > 0 ? logits[i] / 1.1 : logits[i] * 1.1
        }
        let ranked = penalized.indices.sorted { (penalized[$0], -$0) > (penalized[$1], -$1) }
        XCTAssertTrue(Set(survivors).isSubset(of: Set(ranked.prefix(40))), "survivors \(survivors)")
        XCTAssertTrue(survivors.contains(ranked[0]))
        let token = sampler.nextToken(logits: logits, history: Array(0..<100), using: &rng)
        XCTAssertTrue(survivors.contains(token))
        // Top-p alone over the whole vocabulary: the most likely tokens whose probabilities first
        // reach 0.5 together (without the least of them they stay below).
        let nucleus = kept(self.processed(TopP(0.5), logits))
        XCTAssertGreaterThan(nucleus.count, 1)
        let maximum = Double(logits.max()!)
        let total = logits.reduce(0.0) { $0 + exp(Double($1) - maximum) }
        let mass = nucleus.map { exp(Double(logits[$0]) - maximum) / total }
        XCTAssertGreaterThanOrEqual(mass.reduce(0, +), 0.5 - 1e-4)
        XCTAssertLessThan(mass.reduce(0, +) - mass.min()!, 0.5 + 1e-4)
    }

    // MARK: Validation

    func testParameterValidation() {
        func error(_ p: GenerateParameters) -> GenerationError? {
            do { try p.validate(vocabularySize: 10); return nil } catch { return error }
        }
        XCTAssertNil(error(GenerateParameters()))
        XCTAssertNil(error(.greedy(maxTokens: 0)))
        func name(_ p: GenerateParameters) -> String? {
            if case let .invalidParameter(name, _, _) = error(p) { return name }
            return nil
        }
        XCTAssertEqual(name(GenerateParameters(maxTokens: -1)), "maxTokens")
        XCTAssertEqual(name(GenerateParameters(temperature: -0.1)), "temperature")
        XCTAssertEqual(name(GenerateParameters(temperature: .nan)), "temperature")
        XCTAssertEqual(name(GenerateParameters(temperature: .infinity)), "temperature")
        XCTAssertEqual(name(GenerateParameters(topK: -1)), "topK")
        XCTAssertEqual(name(GenerateParameters(topP: 0)), "topP")
        XCTAssertEqual(name(GenerateParameters(topP: 1.01)), "topP")
        XCTAssertEqual(name(GenerateParameters(topP: .nan)), "topP")
        XCTAssertEqual(name(GenerateParameters(minP: -0.1)), "minP")
        XCTAssertEqual(name(GenerateParameters(minP: 1.5)), "minP")
        XCTAssertEqual(name(GenerateParameters(repetitionPenalty: 0)), "repetitionPenalty")
        XCTAssertEqual(name(GenerateParameters(repetitionPenalty: .nan)), "repetitionPenalty")
        XCTAssertEqual(name(GenerateParameters(repetitionContextSize: -1)), "repetitionContextSize")
        XCTAssertEqual(error(GenerateParameters(stopTokenIDs: [3, 10])), .stopTokenOutOfRange(id: 10, vocabularySize: 10))
        XCTAssertEqual(error(GenerateParameters(stopTokenIDs: [-1])), .stopTokenOutOfRange(id: -1, vocabularySize: 10))
    }
}
