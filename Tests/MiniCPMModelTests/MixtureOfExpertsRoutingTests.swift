import MiniCPMModel
import TensorCore
import XCTest

/// How tokens reach experts: top-k selection and its tie rule, one product per expert per batch,
/// only the chosen experts' weights read when decoding one token, and the grouped computation
/// equal to routing each token on its own.
final class MixtureOfExpertsRoutingTests: XCTestCase {
    /// Top-k by descending probability; equal probabilities go to the lower expert index, as the
    /// reference's stable sort orders them.
    func testTopKOrderAndTies() {
        let probabilities: [Float] = [
            0.1, 0.4, 0.4, 0.1,      // tie for first: 1 before 2
            0.25, 0.25, 0.25, 0.25,  // all equal: 0, 1
            0.05, 0.15, 0.2, 0.6,    // plain order: 3, 2
        ]
        let routing = probabilities.withUnsafeBufferPointer {
            ExpertRouting(probabilities: $0, tokenCount: 3, expertCount: 4, expertsPerToken: 2)
        }
        XCTAssertEqual(routing.chosenExperts, [1, 2, 0, 1, 3, 2])
        XCTAssertEqual(routing.slots, [[2], [0, 3], [1, 5], [4]])
        XCTAssertEqual(routing.tokensPerExpert, [1, 2, 2, 1])
    }

    /// One decoded token through a KV cache calls the three projections of exactly the k experts
    /// its router chose in each layer, once each, and no other expert's.
    func testDecodeStepReadsOnlyTheChosenExperts() throws {
        let counter = CallCounter()
        var model = try MiniCPM(directory: fixtureURL("moe-e8-k2-untied"))
        model.mapLinearLayers { name, layer in
            name.contains(".experts.") ? CountingLinear(name: name, wrapped: layer, counter: counter) as any LinearLayer : layer
        }
        let cache = KVCache(configuration: model.configuration)
        _ = try withoutGradients { try model.logits(for: [9, 188, 47, 230], cache: cache) }
        let afterPrefill = counter.snapshot

        let (_, routing) = try model.recordingRouting { try withoutGradients { try model.logits(for: [101], cache: cache) } }
        XCTAssertEqual(routing.count, 2, "one record per layer")
        var calls: [String: Int] = [:]
        for (name, count) in counter.snapshot where count != afterPrefill[name, default: 0] {
            calls[name] = count - afterPrefill[name, default: 0]
        }
        var expected: [String: Int] = [:]
        for (layer, record) in routing.enumerated() {
            XCTAssertEqual(record.probabilities.shape, [1, 8])
            let chosen = record.probabilities.withUnsafeBufferPointer {
                ExpertRouting(probabilities: $0, tokenCount: 1, expertCount: 8, expertsPerToken: 2).chosenExperts
            }
            XCTAssertEqual(Set(chosen).count, 2)
            for e in chosen {
                for w in ["w1", "w2", "w3"] { expected["model.layers.\(layer).mlp.experts.\(e).\(w)"] = 1 }
            }
        }
        XCTAssertEqual(calls, expected)
    }

    /// A prefill of many tokens calls each expert's projections at most once: tokens are grouped by
    /// expert, not run one by one.
    func testPrefillRunsOneProductPerExpert() throws {
        let counter = CallCounter()
        var model = try MiniCPM(directory: fixtureURL("moe-e4-k1"))
        model.mapLinearLayers { name, layer in
            name.contains(".experts.") ? CountingLinear(name: name, wrapped: layer, counter: counter) as any LinearLayer : layer
        }
        let ids = Array(0..<40).map { ($0 * 37 + 11) % 256 }
        let (_, routing) = try model.recordingRouting { try withoutGradients { try model.logits(for: ids) } }
        let calls = counter.snapshot
        XCTAssertFalse(calls.isEmpty)
        XCTAssertTrue(calls.values.allSatisfy { $0 == 1 }, "\(calls)")
        for (layer, record) in routing.enumerated() {
            XCTAssertEqual(record.tokensPerExpert.reduce(0, +), 40)
            for (e, n) in record.tokensPerExpert.enumerated() {
                XCTAssertEqual(calls["model.layers.\(layer).mlp.experts.\(e).w1"], n > 0 ? 1 : nil)
            }
        }
    }

    /// The grouped block applied to a batch of rows equals the block applied to each row alone
    /// (where every product is a single-row one), for k = 1, 2 and E.
    func testGroupedBatchEqualsPerTokenPath() throws {
        for name in ["moe-e4-k1", "moe-e8-k2-untied", "moe-e4-k4-multi-head"] {
            let model = try MiniCPM(directory: fixtureURL(name))
            let block = try XCTUnwrap(model.layers[0].feedForward as? MixtureOfExperts)
            var generator = SeededRandom(seed: 4)
            let x = Tensor.normal([3, 7, 64], standardDeviation: 1, using: &generator)
            let grouped = withoutGradients { block(x) }
            let rows = x.reshaped([21, 64])
            let perToken = withoutGradients {
                Tensor.concatenate((0..<21).map { block(rows.sliced(alongAxis: 0, $0..<($0 + 1))) }, alongAxis: 0)
            }.reshaped([3, 7, 64])
            XCTAssertEqual(grouped.shape, [3, 7, 64])
            // Row-blocked gemm and single-row gemv round differently: agreement to float rounding
            // of the output's magnitude, not bit for bit.
            let magnitude = grouped.scalars.map(abs).max() ?? 0
            XCTAssertGreaterThan(magnitude, 1e-2, "\(name): a non-trivial output")
            XCTAssertLessThan(maxAbsDifference(grouped, perToken), 2e-6 * max(1, magnitude), "\(name), magnitude \(magnitude)")
        }
    }
}
