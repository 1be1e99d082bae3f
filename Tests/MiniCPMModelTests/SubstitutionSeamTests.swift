import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// The model's substitution seams: linear layers replaced by name, the feed-forward block replaced
/// by another ``FeedForward``, and a configuration the model cannot build yet.
final class SubstitutionSeamTests: XCTestCase {
    let linearKinds = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                       "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

    func testLinearLayersAreListedByHuggingFaceName() throws {
        let model = try MiniCPM(directory: fixtureURL("untied-head"))
        let expected = (0..<model.configuration.layerCount).flatMap { i in linearKinds.map { "model.layers.\(i).\($0)" } } + ["lm_head"]
        XCTAssertEqual(model.linearLayers.map(\.name), expected)
        let tied = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        XCTAssertEqual(tied.linearLayers.count, 4 * 7, "a tied model has no lm_head layer")
    }

    /// Every projection replaced by a wrapper that counts its calls: the forward goes through each
    /// wrapper exactly once per pass, the logits are bit-for-bit those of the original layers, and the
    /// parameters keep their names.
    func testForwardUsesSubstitutedLinearLayers() throws {
        let original = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let expected = try ExpectedOutput(fixture: "tiny-minicpm")
        let counter = CallCounter()
        var model = original
        model.mapLinearLayers { name, layer in CountingLinear(name: name, wrapped: layer, counter: counter) }

        let logits = try model.logits(for: expected.ids)
        XCTAssertEqual(logits.scalars, try original.logits(for: expected.ids).scalars)
        XCTAssertLessThan(maxAbsDifference(logits, expected.logits), 1e-4, "still the float64 reference's logits")
        let names = (0..<4).flatMap { i in linearKinds.map { "model.layers.\(i).\($0)" } }
        XCTAssertEqual(counter.snapshot, Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
        XCTAssertEqual(model.namedParameters.map(\.name), original.namedParameters.map(\.name))

        // A decode step over the cache calls each layer once more.
        let cache = KVCache(configuration: model.configuration)
        _ = try model.nextTokenLogits(for: Array(expected.ids.prefix(3)), cache: cache)
        _ = try model.nextTokenLogits(for: [expected.ids[3]], cache: cache)
        XCTAssertEqual(Set(counter.snapshot.values), [3])
    }

    /// A layer that changes the output changes the forward: zero weights in one down projection,
    /// substituted, match a zero feed-forward block in that layer, and differ from the original.
    func testSubstitutedLayersChangeTheForward() throws {
        let original = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let ids = try ExpectedOutput(fixture: "tiny-minicpm").ids
        var zeroedDown = original
        zeroedDown.mapLinearLayers { name, layer in
            name == "model.layers.2.mlp.down_proj" ? Linear(weight: Tensor.zeros([64, 160])) : layer
        }
        var zeroBlock = original
        zeroBlock.layers[2].feedForward = ZeroFeedForward()

        let a = try zeroedDown.logits(for: ids), b = try zeroBlock.logits(for: ids)
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertGreaterThan(maxAbsDifference(a, try original.logits(for: ids)), 1e-3)
        XCTAssertFalse(zeroBlock.namedParameters.contains { $0.name.hasPrefix("model.layers.2.mlp.") },
                       "a block without parts has no parameters")
    }

    /// Another feed-forward block with parts of its own: its parameters, roles and linear layers
    /// appear under the layer's `mlp` key, the forward calls it, and training reaches its weights.
    func testAnotherFeedForwardBlockTakesPartInEverything() throws {
        var c = MiniCPMConfiguration(vocabularySize: 23, hiddenSize: 16, intermediateSize: 24, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.initializerRange = 0.1
        var model = try MiniCPM(configuration: c, seed: 4)
        let counter = CallCounter()
        var rng = SeededRandom(seed: 9)
        model.layers[1].feedForward = TanhFeedForward(
            upProjection: Linear(weight: Tensor.normal([24, 16], standardDeviation: 0.2, using: &rng)),
            downProjection: Linear(weight: Tensor.normal([16, 24], standardDeviation: 0.2, using: &rng)),
            counter: counter)

        let names = model.namedParameters.map(\.name).filter { $0.hasPrefix("model.layers.1.mlp.") }
        XCTAssertEqual(names, ["model.layers.1.mlp.up_proj.weight", "model.layers.1.mlp.down_proj.weight"])
        XCTAssertEqual(model.parameterRoles.filter { names.contains($0.name) }.map(\.role), [.linearWeight, .linearWeight])
        XCTAssertEqual(model.linearLayers.map(\.name).filter { $0.hasPrefix("model.layers.1.mlp.") },
                       ["model.layers.1.mlp.up_proj", "model.layers.1.mlp.down_proj"])

        let trainable = model.requiringGradients()
        try trainable.loss(inputs: [[1, 5, 9, 2]], targets: [[5, 9, 2, 7]]).backward()
        XCTAssertEqual(counter.snapshot["tanh"], 1)
        let gradients = trainable.namedParameters.filter { names.contains($0.name) }.map { $0.value.gradient }
        XCTAssertEqual(gradients.count, 2)
        for gradient in gradients {
            XCTAssertGreaterThan(gradient?.scalars.map(abs).max() ?? 0, 0, "the block's weights get gradients")
        }
    }
}
