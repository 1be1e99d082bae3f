import MiniCPMModel
import TensorCore
import XCTest

/// The model is differentiable through TensorCore's autograd.
final class TrainingPathTests: XCTestCase {
    /// A tiny MiniCPM with every feature on: GQA, muP scales, an untied head.
    static var tinyConfiguration: MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 3
        c.depthScale = 1.4
        c.baseModelDimension = 8
        c.initializerRange = 0.5
        c.rmsNormEpsilon = 1e-5
        c.tieWordEmbeddings = false
        return c
    }

    let inputs = [[3, 7, 1, 19, 4, 4, 22], [0, 5, 9, 12, 2, 17, 8]]
    let targets = [[7, 1, 19, -100, 4, 22, 11], [5, 9, 12, 2, 17, 8, -100]]

    /// For every parameter tensor, the directional derivative along a random direction u over all of
    /// its elements — Σ (∂L/∂θᵢ) uᵢ from backward — against the central difference
    /// (L(θ + h·u) − L(θ − h·u)) / 2h. Summing over the whole tensor gives a signal far above the
    /// Float rounding of the loss, so the comparison is tight.
    func testGradientsMatchFiniteDifferences() throws {
        let model = try MiniCPM(configuration: Self.tinyConfiguration, seed: 3).requiringGradients()
        let loss = try model.loss(inputs: inputs, targets: targets)
        loss.backward()

        var rng = SeededRandom(seed: 11)
        var worst = (error: 0.0, name: "")
        var checked = 0
        for (name, parameter) in model.namedParameters {
            let gradient = try XCTUnwrap(parameter.gradient, "no gradient for \(name)").scalars
            // Directions with the sign of the gradient on a random half of the elements, so the
            // derivative is not a near-cancelling sum.
            let direction: [Float] = gradient.map { g in
                (rng.nextFloat() < 0.5 ? 1 : 0.25) * (g >= 0 ? 1 : -1)
            }
            let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let numeric = try directionalDifference(model, name: name, direction: direction)
            let error = abs(analytic - numeric) / max(abs(analytic), abs(numeric))
            if error > worst.error { worst = (error, "\(name): analytic \(analytic), numeric \(numeric)") }
            XCTAssertGreaterThan(abs(analytic), 1e-3, "\(name) has a vanishing gradient")
            checked += 1
        }
        XCTAssertEqual(checked, 2 * 9 + 3, "every parameter tensor of a 2-layer untied model")
        XCTAssertLessThan(worst.error, 1e-3, worst.name)
    }

    /// (L(θ + h·u) − L(θ − h·u)) / 2h for the tensor `name`, with h scaled to the direction's length.
    func directionalDifference(_ model: MiniCPM, name: String, direction: [Float]) throws -> Double {
        func loss(_ h: Float) throws -> Double {
            var m = model
            m.updateParameters(prefix: "") { n, t in
                guard n == name else { return }
                t = t.detached() + Tensor(shape: t.shape, scalars: direction.map { $0 * h })
            }
            return Double(try withoutGradients { try m.loss(inputs: inputs, targets: targets) }.scalar)
        }
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let h = 1e-2 / norm
        // Richardson extrapolation of two central differences cancels the h² error term.
        let d1 = (try loss(h) - loss(-h)) / Double(2 * h)
        let d2 = (try loss(h / 2) - loss(-h / 2)) / Double(h)
        return (4 * d2 - d1) / 3
    }

    func testPlainGradientStepsMemoriseASequence() throws {
        var model = try MiniCPM(configuration: Self.tinyConfiguration, seed: 5).requiringGradients()
        let sequence = [4, 11, 2, 19, 7, 7, 13, 0, 21, 5, 9, 16]
        let input = [Array(sequence.dropLast())], target = [Array(sequence.dropFirst())]
        var first: Float = 0, last: Float = 0
        for step in 0..<300 {
            let loss = try model.loss(inputs: input, targets: target)
            loss.backward()
            if step == 0 { first = loss.scalar }
            last = loss.scalar
            withoutGradients {
                model.updateParameters(prefix: "") { _, t in
                    let g = t.gradient!
                    t.clearGradient()
                    t.addInPlace(g * -0.5)
                }
            }
        }
        XCTAssertGreaterThan(first, 2.5, "an untrained model is near ln(23) = 3.1")
        XCTAssertLessThan(last, 0.05, "loss after 300 steps: \(last)")
    }

    func testOutOfRangeTokensAreTypedErrors() throws {
        let model = try MiniCPM(configuration: Self.tinyConfiguration, seed: 1)
        XCTAssertThrowsError(try model.logits(for: [1, 23])) { error in
            XCTAssertEqual(error as? MiniCPMError, .tokenOutOfRange(id: 23, vocabularySize: 23))
        }
        XCTAssertThrowsError(try model.logits(for: [-1])) { error in
            XCTAssertEqual(error as? MiniCPMError, .tokenOutOfRange(id: -1, vocabularySize: 23))
        }
        XCTAssertThrowsError(try model.loss(inputs: [[1, 2]], targets: [[2, 99]])) { error in
            XCTAssertEqual(error as? MiniCPMError, .tokenOutOfRange(id: 99, vocabularySize: 23))
        }
        XCTAssertThrowsError(try model.logits(forBatch: [[1, 2], [3]])) { error in
            XCTAssertEqual(error as? MiniCPMError, .raggedBatch(lengths: [2, 1]))
        }
    }
}
