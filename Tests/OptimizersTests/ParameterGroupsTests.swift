import MiniCPMModel
import Optimizers
import TensorCore
import XCTest

/// muP's learning-rate groups on a small MiniCPM (width multiplier 16 / 4 = 4), and group validation.
final class ParameterGroupsTests: XCTestCase {
    let linearNames = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                       "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]

    func expectedMatrices(layers: Int, untiedHead: Bool) -> [String] {
        (0..<layers).flatMap { i in linearNames.map { "model.layers.\(i).\($0).weight" } } + (untiedHead ? ["lm_head.weight"] : [])
    }

    let expectedNorms = ["model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                         "model.layers.1.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight",
                         "model.norm.weight"]

    func testTiedModelGroups() throws {
        let model = try MiniCPM(configuration: tinyConfiguration(tied: true), seed: 1)
        XCTAssertEqual(model.configuration.widthMultiplier, 4)
        let groups = ParameterGroups.miniCPM(model, widthMultiplier: Double(model.configuration.widthMultiplier),
                                             weightDecay: 0.1)
        XCTAssertEqual(groups.map(\.name), ["matrices", "embeddings", "norms"])
        XCTAssertEqual(Set(groups.group(named: "matrices")!.parameterNames), Set(expectedMatrices(layers: 2, untiedHead: false)))
        XCTAssertEqual(groups.group(named: "embeddings")!.parameterNames, ["model.embed_tokens.weight"])
        XCTAssertEqual(Set(groups.group(named: "norms")!.parameterNames), Set(expectedNorms))
        assertMuP(groups, embeddingDecay: 0.1)
        XCTAssertEqual(groups.parameterCount, model.namedParameters.count, "every parameter is in a group")
    }

    func testUntiedModelGroupsTheHeadWithTheMatrices() throws {
        let model = try MiniCPM(configuration: tinyConfiguration(tied: false), seed: 1)
        let groups = ParameterGroups.miniCPM(model.parameterRoles, widthMultiplier: 4, weightDecay: 0.1,
                                             embeddingWeightDecay: 0)
        XCTAssertEqual(Set(groups.group(named: "matrices")!.parameterNames), Set(expectedMatrices(layers: 2, untiedHead: true)))
        XCTAssertEqual(groups.group(containing: "lm_head.weight")?.learningRateMultiplier, 0.25)
        assertMuP(groups, embeddingDecay: 0)
        XCTAssertEqual(groups.parameterCount, model.namedParameters.count)
    }

    func assertMuP(_ groups: ParameterGroups, embeddingDecay: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(groups.group(named: "matrices")?.learningRateMultiplier, 0.25, file: file, line: line)
        XCTAssertEqual(groups.group(named: "matrices")?.weightDecay, 0.1, file: file, line: line)
        XCTAssertEqual(groups.group(named: "embeddings")?.learningRateMultiplier, 1, file: file, line: line)
        XCTAssertEqual(groups.group(named: "embeddings")?.weightDecay, embeddingDecay, file: file, line: line)
        XCTAssertEqual(groups.group(named: "norms")?.learningRateMultiplier, 1, file: file, line: line)
        XCTAssertEqual(groups.group(named: "norms")?.weightDecay, 0, file: file, line: line)
    }

    /// On AdamW's first step (no decay) every element with a non-zero gradient moves by
    /// `lr · multiplier` (m̂ / √v̂ = ±1), so the per-parameter step size shows each group's rate.
    func testFirstAdamWStepMovesEachParameterByItsGroupRate() throws {
        for tied in [true, false] {
            var model = try trainableTinyModel(tied: tied)
            let before = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.value.scalars) })
            let groups = ParameterGroups.miniCPM(model, widthMultiplier: 4, weightDecay: 0)
            var optimizer = AdamW(groups: groups, learningRate: 0.01, epsilon: 1e-30)
            XCTAssertEqual(optimizer.nextLearningRate(forGroup: "matrices"), 0.0025)
            XCTAssertEqual(optimizer.nextLearningRate(forGroup: "norms"), 0.01)
            XCTAssertNil(optimizer.nextLearningRate(forGroup: "biases"), "MiniCPM has no biases")
            try model.loss(inputs: [[1, 5, 9, 2, 7]], targets: [[5, 9, 2, 7, 3]]).backward()
            try optimizer.step(&model)
            for (name, value) in model.namedParameters {
                let expected = name.contains("norm") || name.contains("embed_tokens") ? 0.01 : 0.0025
                let steps = zip(value.scalars, before[name]!).map { abs(Double($0) - Double($1)) }.filter { $0 > 0 }
                XCTAssertFalse(steps.isEmpty, "\(name) moved")
                for step in steps {
                    XCTAssertEqual(step, expected, accuracy: expected * 1e-3, "\(name) (tied: \(tied))")
                }
            }
        }
    }

    func testInvalidGroupsAreTypedErrors() {
        XCTAssertThrowsError(try ParameterGroups([
            ParameterGroup(name: "a", parameterNames: ["x", "y"]),
            ParameterGroup(name: "b", parameterNames: ["y"]),
        ])) { XCTAssertEqual($0 as? OptimizerError, .duplicateParameter(name: "y", groups: ["a", "b"])) }
        XCTAssertThrowsError(try ParameterGroups([ParameterGroup(name: "a", parameterNames: ["x", "x"])])) {
            XCTAssertEqual($0 as? OptimizerError, .duplicateParameter(name: "x", groups: ["a"]))
        }
        XCTAssertThrowsError(try ParameterGroups([ParameterGroup(name: "a", parameterNames: ["x"]),
                                                  ParameterGroup(name: "a", parameterNames: ["y"])])) {
            XCTAssertEqual($0 as? OptimizerError, .duplicateGroup(name: "a"))
        }
        XCTAssertThrowsError(try ParameterGroups([ParameterGroup(name: "a", parameterNames: ["x"], weightDecay: -1)])) {
            XCTAssertEqual($0 as? OptimizerError, .invalidGroupHyperparameter(group: "a", name: "weight decay", value: -1))
        }
        var groups = try! ParameterGroups([ParameterGroup(name: "a", parameterNames: ["x"])])
        XCTAssertThrowsError(try groups.setHyperparameters(ofGroup: "b", weightDecay: 0)) {
            XCTAssertEqual($0 as? OptimizerError, .groupNotFound(name: "b"))
        }
        XCTAssertNoThrow(try groups.setHyperparameters(ofGroup: "a", learningRateMultiplier: 2))
        XCTAssertEqual(groups.group(named: "a")?.learningRateMultiplier, 2)
    }

    func testGroupedParameterMissingFromTheStoreIsATypedError() throws {
        var parameters: [String: Tensor] = ["x": Tensor.ones([2]).requiringGradient()]
        (parameters["x"]! * 2).sum().backward()
        let groups = try ParameterGroups([ParameterGroup(name: "all", parameterNames: ["x", "ghost"])])
        var optimizer = SGD(groups: groups, learningRate: 0.1)
        XCTAssertThrowsError(try optimizer.step(&parameters)) {
            XCTAssertEqual($0 as? OptimizerError, .parameterNotFound(name: "ghost"))
        }
        XCTAssertEqual(parameters["x"]!.scalars, [1, 1], "nothing was updated")
    }
}
