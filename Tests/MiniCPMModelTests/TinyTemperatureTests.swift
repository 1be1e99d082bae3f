import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Temperatures so small that `logit / T` overflows behave as greedy decoding instead of repeating
/// token 0 (issue 11, hole 4); ordinary temperatures divide exactly as before.
final class TinyTemperatureTests: XCTestCase {
    // Parsed from text: literals this small draw an underflow warning, though the subnormals are the point.
    static let tiny: [Float] = ["1e-45", "1e-40", "1e-38", "1e-8"].map { Float($0)! }

    func processed(_ processor: some LogitProcessor, _ logits: [Float]) -> [Float] {
        var l = logits
        processor.process(&l, history: [])
        return l
    }

    /// The subnormal and tiny temperatures keep the most likely token at 0 and push the others to
    /// large negative values or -infinity, never to NaN or +infinity.
    func testTinyTemperaturesShiftByTheLargestLogitBeforeDividing() {
        XCTAssertEqual(processed(Temperature(.leastNonzeroMagnitude), [2, -1, 2, -.infinity]), [0, -.infinity, 0, -.infinity])
        XCTAssertEqual(processed(Temperature(1e-38), [4, 3.5]), [0, -0.5 / 1e-38])
        for t in Self.tiny.dropLast() {   // 12.5 / 1e-8 does not overflow and is divided plainly
            let out = processed(Temperature(t), [3, -7, 12.5, 0, 12])
            XCTAssertEqual(out[2], 0, "T = \(t)")
            XCTAssertTrue(out.allSatisfy { !$0.isNaN && $0 <= 0 }, "T = \(t): \(out)")
        }
    }

    /// Plain division where it does not overflow, also for large logits.
    func testOrdinaryTemperaturesAreUnchanged() {
        XCTAssertEqual(processed(Temperature(0.5), [1000, -1000, 0]), [2000, -2000, 0])
        XCTAssertEqual(processed(Temperature(0.7), [3, -1]), [3 / 0.7, -1 / 0.7])
        XCTAssertEqual(processed(Temperature(1e-8), [3, -1]), [3e8, -1e8])
    }

    /// The standard chain at each tiny temperature picks the argmax, whatever the seed, and even
    /// with top-k, top-p and min-p after the temperature.
    func testTheSamplingChainPicksTheArgmaxAtTinyTemperatures() {
        let logits: [Float] = [0.5, 3.25, -2, 3.0, 1, -0.25]
        for t in Self.tiny {
            for parameters in [GenerateParameters(temperature: t),
                               GenerateParameters(temperature: t, topK: 3, topP: 0.9, minP: 0.1)] {
                for seed: UInt64 in 0..<20 {
                    var l = logits
                    var generator = SeededRandom(seed: seed)
                    XCTAssertEqual(parameters.sampler.nextToken(logits: &l, history: [], using: &generator), 1,
                                   "T = \(t), seed \(seed)")
                }
            }
        }
    }

    /// On the tiny fixture every tiny temperature reproduces the reference greedy continuation.
    func testGenerationAtTinyTemperaturesIsGreedy() throws {
        let model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let expected = try ExpectedOutput(fixture: "tiny-minicpm")
        for t in Self.tiny {
            var parameters = GenerateParameters(maxTokens: expected.greedy.count, temperature: t, seed: 7)
            parameters.stopTokenIDs = []
            XCTAssertEqual(try model.generate(promptTokens: expected.ids, parameters: parameters).tokens,
                           expected.greedy, "T = \(t)")
        }
    }
}
