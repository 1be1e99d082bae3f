import MiniCPMModel
import TensorCore
import XCTest

/// The direct inference path of ``MixtureOfExperts`` (taken when no gradient is recorded) against
/// the recorded path's differentiable operations on the same inputs: bit for bit where each token
/// sums at most two expert outputs, to float rounding where it sums more.
final class MixtureOfExpertsInferencePathTests: XCTestCase {
    /// Every block of `model` with the inference path switched on or off.
    static func withInferencePath(_ on: Bool, _ model: MiniCPM) -> MiniCPM {
        var copy = model
        for i in copy.layers.indices {
            if var block = copy.layers[i].feedForward as? MixtureOfExperts {
                block.usesInferencePath = on
                copy.layers[i].feedForward = block
            }
        }
        return copy
    }

    /// One block on random rows (a prefill batch and a single decoded row), for k = 1, 2, 4.
    func testBlockEqualsTheRecordedPath() throws {
        for (name, exact) in [("moe-e4-k1", true), ("moe-e8-k2-untied", true), ("moe-e4-k4-multi-head", false)] {
            let model = try MiniCPM(directory: fixtureURL(name))
            let fast = try XCTUnwrap(model.layers[0].feedForward as? MixtureOfExperts)
            var recorded = fast
            recorded.usesInferencePath = false
            var generator = SeededRandom(seed: 21)
            for shape in [[3, 11, 64], [1, 1, 64]] {
                let x = Tensor.normal(shape, standardDeviation: 1, using: &generator)
                let got = withoutGradients { fast(x) }
                let expected = withoutGradients { recorded(x) }
                // The recorded path with gradients on computes the same values again.
                let differentiable = fast(x.requiringGradient())
                XCTAssertEqual(got.shape, shape)
                let magnitude = expected.scalars.map(abs).max() ?? 0
                XCTAssertGreaterThan(magnitude, 1e-2, "\(name): a non-trivial output")
                XCTAssertEqual(differentiable.scalars, expected.scalars, "\(name) \(shape): the recorded path")
                if exact {
                    XCTAssertEqual(got.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "\(name) \(shape)")
                } else {
                    XCTAssertLessThanOrEqual(maxAbsDifference(got, expected), 1e-6 * max(1, magnitude), "\(name) \(shape)")
                }
            }
        }
    }

    /// Whole models, prefill and a cached decode step: the logits of both paths agree.
    func testModelLogitsEqualTheRecordedPath() throws {
        for name in ["moe-e4-k1", "moe-e8-k2-untied", "moe-e4-k4-multi-head"] {
            let model = try MiniCPM(directory: fixtureURL(name))
            let recorded = Self.withInferencePath(false, model)
            let ids = [9, 188, 47, 230, 3, 77, 120]
            let got = try withoutGradients { try model.logits(for: ids) }
            let expected = try withoutGradients { try recorded.logits(for: ids) }
            let magnitude = max(1, expected.scalars.map(abs).max()!)
            XCTAssertLessThanOrEqual(maxAbsDifference(got, expected), 1e-5 * magnitude, name)
            let (cache, recordedCache) = (KVCache(configuration: model.configuration, maximumLength: 8),
                                          KVCache(configuration: model.configuration, maximumLength: 8))
            _ = try withoutGradients { try model.logits(for: ids, cache: cache) }
            _ = try withoutGradients { try recorded.logits(for: ids, cache: recordedCache) }
            let step = try withoutGradients { try model.logits(for: [101], cache: cache) }
            let recordedStep = try withoutGradients { try recorded.logits(for: [101], cache: recordedCache) }
            XCTAssertLessThanOrEqual(maxAbsDifference(step, recordedStep), 1e-5 * magnitude, "\(name) decode")
        }
    }
}
