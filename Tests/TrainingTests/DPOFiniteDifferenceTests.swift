import MiniCPMModel
import TensorCore
import Tokenizer
import Training
import XCTest

/// The full DPOObjective through a tiny MiniCPM: autograd gradients of the summed loss against
/// central differences in the model's parameters.
final class DPOFiniteDifferenceTests: XCTestCase {
    func testGradientsMatchCentralDifferences() throws {
        let reference = try TinyModels.model(seed: 5)
        let policy = TinyModels.perturbed(reference, scale: 0.05, seed: 6).requiringGradients()
        let objective = DPOObjective(reference: reference, beta: 0.5)
        let pairs = try preferencePairs()

        let output = try objective.loss(of: policy, on: pairs)
        output.lossSum.backward()
        let base = Double(output.lossSum.scalar)
        XCTAssertGreaterThan(abs(base - 3 * log(2.0)), 1e-4, "the policy differs from the reference")

        // A directional derivative per parameter tensor along the sign of its gradient (scaled by
        // random weights in [0.25, 1]): the sum over the tensor's elements is far above the Float
        // rounding of the loss, so a tight relative tolerance holds. h = 1e-3 balances truncation
        // (O(h²)) against rounding (~1e-7 · loss / h); a wrong β, sign or missing term is off by
        // tens of percent or more, far beyond the 2% allowed.
        var generator = SeededRandom(seed: 9)
        var checked = 0
        for (name, parameter) in policy.namedParameters {
            let gradient = try XCTUnwrap(parameter.gradient, "no gradient for \(name)").scalars
            let direction = gradient.map { g -> Float in (0.25 + 0.75 * generator.nextFloat()) * (g >= 0 ? 1 : -1) }
            let analytic = zip(gradient, direction).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            guard abs(analytic) > 1e-4 else { continue }
            func loss(_ h: Float) throws -> Double {
                var moved = policy
                moved.updateParameters(prefix: "") { n, t in
                    guard n == name else { return }
                    t = t.detached() + Tensor(shape: t.shape, scalars: direction.map { $0 * h })
                }
                return Double(try withoutGradients { try objective.loss(of: moved, on: pairs) }.lossSum.scalar)
            }
            let h: Float = 1e-3
            let numeric = (try loss(h) - loss(-h)) / Double(2 * h)
            XCTAssertEqual(numeric, analytic, accuracy: 0.02 * abs(analytic), name)
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 5, "most parameter tensors have a gradient")
    }

    func preferencePairs() throws -> [PreferencePair] {
        let template = MiniCPMChatTemplate(), tokenizer = TinyChatTokenizer()
        return try [
            PreferencePair(prompt: [.user("2+3?")], chosen: "5", rejected: "6", template: template, tokenizer: tokenizer),
            PreferencePair(prompt: [.user("Book?")], chosen: "John", rejected: "Genesis", template: template, tokenizer: tokenizer),
            PreferencePair(prompt: [.user("Go on: In the")], chosen: "beginning", rejected: "pure", template: template, tokenizer: tokenizer),
        ]
    }
}
