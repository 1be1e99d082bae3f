import MiniCPMModel
import TensorCore
import XCTest

/// The Switch Transformer load-balancing loss `E · Σₑ fₑ · Pₑ`: its value on cases worked by hand,
/// its gradient against central differences, and what a model records for it.
final class LoadBalancingLossTests: XCTestCase {
    /// Three tokens, two experts, top-1: loads f = (2/3, 1/3), mean probabilities
    /// P = (1.7/3, 1.3/3), so the loss is 2 · (2/3 · 1.7/3 + 1/3 · 1.3/3) = 9.4/9.
    func testHandComputedValue() {
        let probabilities = Tensor(shape: [3, 2], scalars: [0.8, 0.2, 0.6, 0.4, 0.3, 0.7])
        let record = RouterStatistics(probabilities: probabilities, tokensPerExpert: [2, 1])
        XCTAssertEqual(record.loadBalancingLoss.scalar, 9.4 / 9, accuracy: 1e-6)

        // Uniform routing gives 1 whatever E; everything on one confident expert gives E.
        let uniform = RouterStatistics(probabilities: Tensor(repeating: 0.25, shape: [8, 4]), tokensPerExpert: [4, 4, 4, 4])
        XCTAssertEqual(uniform.loadBalancingLoss.scalar, 1, accuracy: 1e-6)
        let collapsed = RouterStatistics(probabilities: Tensor(shape: [2, 4], scalars: [1, 0, 0, 0, 1, 0, 0, 0]),
                                         tokensPerExpert: [2, 0, 0, 0])
        XCTAssertEqual(collapsed.loadBalancingLoss.scalar, 4, accuracy: 1e-6)

        // Over layers: the mean of each layer's loss (here 9.4/9 and 1).
        let twoLayers = RouterStatistics(probabilities: Tensor(repeating: 0.5, shape: [3, 2]), tokensPerExpert: [3, 3])
        XCTAssertEqual(MiniCPM.loadBalancingLoss([record, twoLayers]).scalar, (9.4 / 9 + 1) / 2, accuracy: 1e-6)
        XCTAssertEqual(MiniCPM.loadBalancingLoss([]).scalar, 0)
    }

    /// d(loss)/d(router logits) through the softmax, against central differences (the loads are
    /// counts and stay fixed): ∂L/∂Pₑ = E · fₑ / T, then the softmax's Jacobian.
    func testGradientMatchesCentralDifferences() {
        var generator = SeededRandom(seed: 2)
        let logits = Tensor.normal([5, 3], standardDeviation: 1, using: &generator)
        let loads = [4, 1, 5]   // 5 tokens, top-2
        func loss(_ l: Tensor) -> Tensor {
            RouterStatistics(probabilities: l.softmax(alongAxis: -1), tokensPerExpert: loads).loadBalancingLoss
        }
        let leaf = logits.requiringGradient()
        loss(leaf).backward()
        let gradient = leaf.gradient!.scalars
        XCTAssertGreaterThan(gradient.map(abs).max()!, 1e-2)
        for i in 0..<15 {
            let h: Float = 1e-2
            func at(_ d: Float) -> Double {
                var s = logits.scalars
                s[i] += d
                return Double(withoutGradients { loss(Tensor(shape: [5, 3], scalars: s)) }.scalar)
            }
            XCTAssertEqual((at(h) - at(-h)) / Double(2 * h), Double(gradient[i]), accuracy: 1e-4, "logit \(i)")
        }
    }

    /// A model records one statistic per MoE layer per forward pass while asked to, with loads
    /// adding up to tokens × k, and nothing otherwise (a dense model records nothing).
    func testModelRecordsOneStatisticPerLayer() throws {
        let model = try MiniCPM(directory: fixtureURL("moe-e8-k2-untied"))
        let (_, routing) = try model.recordingRouting { try model.loss(inputs: [[1, 2, 3, 4], [5, 6, 7, 8]], targets: [[2, 3, 4, 5], [6, 7, 8, 9]]) }
        XCTAssertEqual(routing.count, 2)
        for record in routing {
            XCTAssertEqual(record.probabilities.shape, [8, 8])
            XCTAssertEqual(record.tokensPerExpert.reduce(0, +), 16)
            XCTAssertTrue(record.probabilities.requiresGradient == false, "the model's weights are not leaves here")
        }
        let balance = MiniCPM.loadBalancingLoss(routing).scalar
        XCTAssertGreaterThan(balance, 0)
        XCTAssertLessThanOrEqual(balance, 8)

        let dense = try MiniCPM(directory: fixtureURL("untied-head"))
        XCTAssertTrue(try dense.recordingRouting { try dense.logits(for: [1, 2]) }.routing.isEmpty)
    }
}
