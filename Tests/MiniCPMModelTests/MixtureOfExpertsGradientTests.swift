import MiniCPMModel
import TensorCore
import XCTest

/// Autograd through a mixture-of-experts model against central differences: the router's and the
/// experts' weights (and the rest) get the gradient of the loss, the router's through the kept,
/// renormalised probabilities, and the load-balancing loss's gradient is that of its formula.
final class MixtureOfExpertsGradientTests: XCTestCase {
    /// A small top-2-of-4 model whose routers are scaled up so that the routing has clear margins:
    /// the perturbations below change no token's choice of experts (checked), so the loss is smooth
    /// in them and central differences apply.
    func model() throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 40, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 2, keyValueHeadCount: 1)
        c.expertCount = 4
        c.expertsPerToken = 2
        c.embeddingScale = 4
        c.initializerRange = 0.3
        var model = try MiniCPM(configuration: c, seed: 21)
        model.updateParameters(prefix: "") { name, tensor in
            if name.hasSuffix("mlp.gate.weight") { tensor = tensor * 8 }
        }
        return model
    }

    let inputs = [[3, 17, 25, 8, 39, 11], [0, 22, 5, 31, 14, 36]]
    let targets = [[17, 25, 8, 39, 11, 2], [22, 5, 31, 14, 36, 19]]

    /// The language-modelling loss plus the load-balancing loss (weight 0.1), and the experts each
    /// token chose in each layer.
    func loss(of model: MiniCPM) throws -> (loss: Tensor, chosen: [[Int]]) {
        let (crossEntropy, routing) = try model.recordingRouting { try model.loss(inputs: inputs, targets: targets) }
        let chosen = routing.map { record in
            record.probabilities.withUnsafeBufferPointer {
                ExpertRouting(probabilities: $0, tokenCount: record.probabilities.shape[0], expertCount: 4,
                              expertsPerToken: 2).chosenExperts
            }
        }
        return (crossEntropy + MiniCPM.loadBalancingLoss(routing) * 0.1, chosen)
    }

    /// Directional derivatives along each parameter tensor's gradient sign (random magnitudes in
    /// [0.25, 1]) against central differences with h = 1e-3 (summed in Double): the same check as
    /// DPO's, within 2%. Every router and expert tensor is checked; a missing path to the router
    /// (say, through detached weights) would make its analytic derivative 0 and fail.
    func testGradientsMatchCentralDifferences() throws {
        let trainable = try model().requiringGradients()
        let (base, chosen) = try loss(of: trainable)
        base.backward()
        var generator = SeededRandom(seed: 9)
        var checked: Set<String> = []
        for (name, parameter) in trainable.namedParameters {
            let gradient = try XCTUnwrap(parameter.gradient, "no gradient for \(name)").scalars
            let direction = gradient.map { g -> Float in (0.25 + 0.75 * generator.nextFloat()) * (g >= 0 ? 1 : -1) }
            let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            if name.contains("mlp.") { XCTAssertGreaterThan(abs(analytic), 1e-4, "\(name) has a gradient") }
            guard abs(analytic) > 1e-4 else { continue }
            func moved(_ h: Float) throws -> Double {
                var model = trainable
                model.updateParameters(prefix: "") { n, t in
                    guard n == name else { return }
                    t = t.detached() + Tensor(shape: t.shape, scalars: direction.map { $0 * h })
                }
                let (value, movedChoice) = try withoutGradients { try loss(of: model) }
                XCTAssertEqual(movedChoice, chosen, "\(name): the perturbation changed the routing")
                return Double(value.scalar)
            }
            let h: Float = 1e-3
            let numeric = (try moved(h) - moved(-h)) / Double(2 * h)
            // 2% of the derivative, plus 5e-5 for the float32 rounding of the loss (~1e-7) over 2h.
            XCTAssertEqual(numeric, analytic, accuracy: 0.02 * abs(analytic) + 5e-5, name)
            checked.insert(name)
        }
        for layer in 0..<2 {
            XCTAssertTrue(checked.contains("model.layers.\(layer).mlp.gate.weight"))
            for e in 0..<4 {
                for w in ["w1", "w2", "w3"] { XCTAssertTrue(checked.contains("model.layers.\(layer).mlp.experts.\(e).\(w).weight")) }
            }
        }
    }

    /// Element-wise: the gradient of the six router weights of the last layer with the largest
    /// gradients against central differences, the routing kept.
    func testSingleRouterWeightsMatchCentralDifferences() throws {
        let trainable = try model().requiringGradients()
        let (base, chosen) = try loss(of: trainable)
        base.backward()
        let name = "model.layers.1.mlp.gate.weight"
        let router = try XCTUnwrap(trainable.namedParameters.first { $0.name == name }?.value)
        let gradient = try XCTUnwrap(router.gradient).scalars
        let largest = gradient.indices.sorted { abs(gradient[$0]) > abs(gradient[$1]) }.prefix(6)
        for index in largest {
            func moved(_ h: Float) throws -> Double {
                var model = trainable
                model.updateParameters(prefix: "") { n, t in
                    guard n == name else { return }
                    var scalars = t.scalars
                    scalars[index] += h
                    t = Tensor(shape: t.shape, scalars: scalars)
                }
                let (value, movedChoice) = try withoutGradients { try loss(of: model) }
                XCTAssertEqual(movedChoice, chosen)
                return Double(value.scalar)
            }
            let h: Float = 1e-2
            let numeric = (try moved(h) - moved(-h)) / Double(2 * h)
            XCTAssertEqual(numeric, Double(gradient[index]), accuracy: 2e-5 + 0.03 * abs(Double(gradient[index])), "router[\(index)]")
        }
        XCTAssertGreaterThan(gradient.map(abs).max() ?? 0, 1e-3, "the router is trained by the loss")
    }
}
