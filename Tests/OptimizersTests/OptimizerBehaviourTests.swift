import MiniCPMModel
import Optimizers
import Schedulers
import TensorCore
import XCTest

/// How a step treats parameters, gradients, the schedule and copies of the optimizer.
final class OptimizerBehaviourTests: XCTestCase {
    func testUpdatesInPlaceAndKeepsGradientLeaves() throws {
        var parameters = referenceParameters()
        let address = parameters["w"]!.withUnsafeBufferPointer { $0.baseAddress }
        var optimizer = AdamW(groups: .single(parameters, weightDecay: 0.1), learningRate: 0.01)
        for step in 0..<3 {
            backpropagateReferenceGradients(parameters, step: step)
            try optimizer.step(&parameters)
        }
        XCTAssertEqual(parameters["w"]!.withUnsafeBufferPointer { $0.baseAddress }, address,
                       "a uniquely held parameter is updated in its own storage")
        XCTAssertTrue(parameters["w"]!.requiresGradient)
        // The parameter is still the leaf of new graphs.
        (parameters["w"]! * 3).sum().backward()
        XCTAssertEqual(parameters["w"]!.gradient?.scalars, Array(repeating: 3, count: 6))
    }

    func testValuesCopiedBeforeTheStepKeepTheirElements() throws {
        var parameters = referenceParameters()
        let saved = parameters["w"]!            // as an activation saved for backward would be
        backpropagateReferenceGradients(parameters, step: 0)
        var optimizer = SGD(groups: .single(parameters), learningRate: 0.5)
        try optimizer.step(&parameters)
        XCTAssertEqual(saved.scalars, ReferenceValues.w0, "copy-on-write kept the old value")
        XCTAssertNotEqual(parameters["w"]!.scalars, ReferenceValues.w0)
    }

    func testParametersWithoutGradientOrGroupAreLeftAlone() throws {
        var parameters = referenceParameters()
        parameters["frozen"] = Tensor(shape: [2], scalars: [4, 5]).requiringGradient()
        let groups = try ParameterGroups([ParameterGroup(name: "trained", parameterNames: ["w", "b"], weightDecay: 0.5)])
        var optimizer = AdamW(groups: groups, learningRate: 0.1)
        // Only w and the frozen parameter get gradients.
        ((parameters["w"]! * 2).sum() + (parameters["frozen"]! * 2).sum()).backward()
        let report = try optimizer.step(&parameters)
        XCTAssertEqual(report.updatedParameterCount, 1)
        XCTAssertEqual(parameters["b"]!.scalars, ReferenceValues.b0, "no gradient: no update and no decay")
        XCTAssertEqual(parameters["frozen"]!.scalars, [4, 5], "in no group: never updated")
        XCTAssertNotNil(parameters["frozen"]!.gradient, "only the optimizer's own gradients are cleared")
        XCTAssertNotEqual(parameters["w"]!.scalars, ReferenceValues.w0)
    }

    func testKeepingGradients() throws {
        var parameters = referenceParameters()
        backpropagateReferenceGradients(parameters, step: 0)
        var optimizer = SGD(groups: .single(parameters), learningRate: 0.1)
        try optimizer.step(&parameters, clearingGradients: false)
        XCTAssertNotNil(parameters["w"]!.gradient)
        parameters.clearGradients()
        XCTAssertNil(parameters["w"]!.gradient)
        XCTAssertNil(parameters["b"]!.gradient)
    }

    func testScheduleIsReadAtTheStepCount() throws {
        var parameters = referenceParameters()
        let schedule = LinearWarmup(ConstantSchedule(learningRate: 0.4), steps: 4)
        var optimizer = SGD(groups: .single(parameters), schedule: schedule)
        var rates: [Double] = []
        for step in 0..<6 {
            XCTAssertEqual(optimizer.nextLearningRate(), schedule.learningRate(atStep: step))
            backpropagateReferenceGradients(parameters, step: step % 5)
            rates.append(try optimizer.step(&parameters).learningRate)
        }
        XCTAssertEqual(rates, (0..<6).map { schedule.learningRate(atStep: $0) })
    }

    func testInvalidLearningRateIsATypedError() {
        var parameters = referenceParameters()
        backpropagateReferenceGradients(parameters, step: 0)
        var optimizer = SGD(groups: .single(parameters), schedule: ListedSchedule(rates: [.nan]))
        XCTAssertThrowsError(try optimizer.step(&parameters)) { error in
            guard case .invalidLearningRate(step: 0, value: let value)? = error as? OptimizerError else {
                return XCTFail("\(error)")
            }
            XCTAssertTrue(value.isNaN)
        }
        optimizer.schedule = ConstantSchedule(learningRate: 0.1)
        optimizer.momentum = -1
        XCTAssertThrowsError(try optimizer.step(&parameters)) {
            XCTAssertEqual($0 as? OptimizerError, .invalidHyperparameter(name: "momentum", value: -1, requirement: "finite and >= 0"))
        }
        XCTAssertEqual(parameters["w"]!.scalars, ReferenceValues.w0)
    }

    /// A copy of an optimizer has its own state: stepping one does not move the other's moments.
    func testCopiesAreIndependent() throws {
        var first = referenceParameters()
        var optimizer = AdamW(groups: .single(first, weightDecay: 0.1), learningRate: 0.01)
        backpropagateReferenceGradients(first, step: 0)
        try optimizer.step(&first)
        var copy = optimizer
        var second = first.mapValues { Tensor(shape: $0.shape, scalars: $0.scalars).requiringGradient() }
        for step in 1..<4 {
            backpropagateReferenceGradients(first, step: step)
            try optimizer.step(&first)
        }
        for step in 1..<4 {
            backpropagateReferenceGradients(second, step: step)
            try copy.step(&second)
        }
        XCTAssertEqual(first["w"]!.scalars.map(\.bitPattern), second["w"]!.scalars.map(\.bitPattern))
        XCTAssertEqual(first["b"]!.scalars.map(\.bitPattern), second["b"]!.scalars.map(\.bitPattern))
    }

    func testShapeChangeIsATypedError() throws {
        var parameters = referenceParameters()
        backpropagateReferenceGradients(parameters, step: 0)
        var optimizer = AdamW(groups: .single(parameters), learningRate: 0.01)
        try optimizer.step(&parameters)
        parameters["w"] = Tensor.ones([3, 2]).requiringGradient()
        (parameters["w"]! * 2).sum().backward()
        XCTAssertThrowsError(try optimizer.step(&parameters)) {
            XCTAssertEqual($0 as? OptimizerError, .shapeMismatch(parameter: "w", expected: [2, 3], actual: [3, 2]))
        }
    }

    /// A model whose parameters never recorded gradients cannot be stepped silently.
    func testSteppingAModelWithoutGradientsIsATypedError() throws {
        var model = try MiniCPM(configuration: tinyConfiguration(tied: true), seed: 2)   // not requiringGradients()
        let before = model.namedParameters.map(\.value.scalars)
        try model.loss(inputs: [[1, 5, 9]], targets: [[5, 9, 2]]).backward()
        var optimizer = AdamW(groups: .miniCPM(model, widthMultiplier: 4, weightDecay: 0.1), learningRate: 0.01)
        XCTAssertThrowsError(try optimizer.step(&model)) {
            XCTAssertEqual($0 as? OptimizerError, .noGradients(parameterCount: model.namedParameters.count))
        }
        XCTAssertEqual(model.namedParameters.map(\.value.scalars), before)
        XCTAssertEqual(optimizer.stepCount, 0)

        var trainable = model.requiringGradients()
        try trainable.loss(inputs: [[1, 5, 9]], targets: [[5, 9, 2]]).backward()
        XCTAssertEqual(try optimizer.step(&trainable).updatedParameterCount, model.namedParameters.count)
    }
}
