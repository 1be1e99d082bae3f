import Foundation
import TensorCore

/// What ``AdamW`` and ``SGD`` share beyond their update rule: an ``OptimizerEngine`` holding groups,
/// state buffers and the step count, and a Codable set of algorithm hyper-parameters that the state
/// files carry. The step around the update rule, the group and step-count accessors, saving, loading
/// and validation are written once here.
protocol EngineBackedOptimizer: Optimizer {
    associatedtype Hyperparameters: Codable & Equatable
    /// The algorithm's name, as saved in state files and shown in messages.
    static var algorithmName: String { get }
    var engine: OptimizerEngine { get set }
    /// The algorithm's hyper-parameters; setting them restores saved ones.
    var hyperparameters: Hyperparameters { get set }
    func validateHyperparameters() throws(OptimizerError)
}

extension EngineBackedOptimizer {
    public var groups: ParameterGroups {
        get { engine.groups }
        set {
            precondition(newValue.hasSameLayout(as: engine.groups),
                         "\(Self.algorithmName): the group layout is fixed; only hyper-parameters may change")
            engine.groups = newValue
        }
    }

    public var stepCount: Int { engine.stepCount }

    /// One optimizer step around an algorithm's element update, the part every algorithm shares:
    /// validate the hyper-parameters, run the engine's read-only pass (schedule, gradient norm,
    /// clipping), call `update` for every grouped parameter with a gradient, and report.
    ///
    /// `update` gets the step's plan (learning rate, clip coefficient), the parameter's group, its
    /// state (`nil` before its first update; create or advance it), shape, elements and gradient.
    /// It must not throw: every check that can fail is made before the first parameter is written.
    mutating func performStep<Parameters: ParameterContainer>(
        _ parameters: inout Parameters, clearingGradients: Bool,
        updatingEach update: (OptimizerEngine.Plan, ParameterGroup, inout ParameterState?, [Int],
                              UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
    ) throws(OptimizerError) -> OptimizerStepReport {
        try validateHyperparameters()
        let plan = try engine.prepare(parameters, schedule: schedule, maxGradientNorm: maxGradientNorm)
        let step = engine.stepCount
        let updated = engine.update(&parameters, clearingGradients: clearingGradients) { group, state, shape, p, g in
            update(plan, group, &state, shape, p, g)
        }
        return OptimizerStepReport(step: step, learningRate: plan.learningRate, gradientNorm: plan.gradientNorm,
                                   clipCoefficient: plan.clipCoefficient, updatedParameterCount: updated)
    }

    /// Stops with a message naming the algorithm and the fault when a hyper-parameter given to an
    /// initializer is out of range (the initializers' documented precondition; a step reports the
    /// same fault as a typed error instead).
    func requireValidHyperparameters() {
        do { try validateHyperparameters() } catch { preconditionFailure("\(Self.algorithmName): \(error)") }
    }

    public func save(to directory: URL) throws(OptimizerError) {
        try engine.save(to: directory, hyperparameters: hyperparameters, maxGradientNorm: maxGradientNorm)
    }

    /// Restores state and the saved hyper-parameters (as PyTorch does); on any error nothing changes.
    public mutating func load(from directory: URL) throws(OptimizerError) {
        var candidate = engine
        let (saved, maxNorm) = try candidate.load(from: directory, as: Hyperparameters.self)
        var restored = self
        restored.hyperparameters = saved
        restored.maxGradientNorm = maxNorm
        do {
            try restored.validateHyperparameters()
        } catch {
            throw .malformedState(path: directory.appendingPathComponent(OptimizerStateFiles.jsonFileName).path,
                                  reason: error.description)
        }
        restored.engine = candidate
        self = restored
    }

    public func validate<Parameters: ParameterContainer>(against parameters: Parameters) throws(OptimizerError) {
        try engine.validate(against: parameters)
    }
}
