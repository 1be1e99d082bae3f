import Foundation
import Schedulers
import TensorCore

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay, step for step as PyTorch's `torch.optim.SGD` (`maximize=False`).
///
/// For a parameter `p` with gradient `g` (after clipping) in a group with learning rate
/// `lr = schedule(step) · multiplier` and weight decay `wd`:
///
/// ```
/// d ← g + wd·p                              L2 decay, added to the gradient (skipped when wd = 0)
/// b ← d                      on the first update with momentum μ ≠ 0
/// b ← μ·b + (1 − dampening)·d   afterwards
/// d ← d + μ·b  (Nesterov)   or   d ← b
/// p ← p − lr·d
/// ```
///
/// The momentum buffer `b` (PyTorch's `momentum_buffer`) exists only once momentum is used.
///
/// ```swift
/// var optimizer = SGD(groups: .single(weights), learningRate: 0.1, momentum: 0.9, nesterov: true)
/// try optimizer.step(&weights)
/// ```
public struct SGD: EngineBackedOptimizer {
    /// The name saved in state files.
    public static let algorithmName = "SGD"
    /// PyTorch's name of the momentum buffer.
    public static let bufferNames = ["momentum_buffer"]

    /// Momentum factor μ, finite and non-negative (0: plain SGD).
    public var momentum: Double
    /// Dampening of the gradient's contribution to the momentum buffer, finite and non-negative.
    public var dampening: Double
    /// Whether to use Nesterov momentum (needs `momentum > 0` and `dampening == 0`).
    public var nesterov: Bool
    public var schedule: any LearningRateSchedule
    public var maxGradientNorm: Double?

    var engine: OptimizerEngine

    /// An optimizer that reads its learning rate from `schedule` at every step.
    /// - Precondition: the hyper-parameters are in range (see each property).
    public init(groups: ParameterGroups, schedule: any LearningRateSchedule, momentum: Double = 0,
                dampening: Double = 0, nesterov: Bool = false, maxGradientNorm: Double? = nil) {
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.schedule = schedule
        self.maxGradientNorm = maxGradientNorm
        self.engine = OptimizerEngine(algorithm: Self.algorithmName, bufferNames: Self.bufferNames, groups: groups)
        requireValidHyperparameters()
    }

    /// An optimizer with a constant learning rate.
    /// - Precondition: `learningRate` is finite and non-negative; the hyper-parameters are in range.
    public init(groups: ParameterGroups, learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, maxGradientNorm: Double? = nil) {
        self.init(groups: groups, schedule: ConstantSchedule(learningRate: learningRate), momentum: momentum,
                  dampening: dampening, nesterov: nesterov, maxGradientNorm: maxGradientNorm)
    }

    @discardableResult
    public mutating func step<Parameters: ParameterContainer>(_ parameters: inout Parameters,
                                                          clearingGradients: Bool) throws(OptimizerError) -> OptimizerStepReport {
        let momentum = momentum, dampening = dampening, nesterov = nesterov
        return try performStep(&parameters, clearingGradients: clearingGradients) { plan, group, state, shape, p, g in
            if state == nil { state = ParameterState(shape: shape, bufferCount: 0) }
            state!.updateCount += 1
            var firstUpdate = false
            if momentum != 0 {
                if state!.buffers.isEmpty {
                    state!.buffers = [StateBuffer(zeros: p.count)]
                    firstUpdate = true
                } else {
                    state!.makeBuffersUnique()
                }
            }
            let coefficients = SGDCoefficients(
                gradientScale: plan.gradientScale,
                weightDecay: Float(group.weightDecay),
                momentum: Float(momentum),
                dampeningComplement: Float(1 - dampening),
                nesterov: nesterov,
                firstUpdate: firstUpdate,
                negativeLearningRate: Float(-plan.learningRate(for: group)))
            UpdateKernels.sgd(parameter: p, gradient: g,
                              momentumBuffer: momentum != 0 ? state!.buffers[0].elements.baseAddress! : nil,
                              coefficients)
        }
    }

    // MARK: Hyper-parameters

    /// The algorithm's hyper-parameters as saved in the JSON state file.
    struct Hyperparameters: Codable, Equatable {
        var momentum: Double
        var dampening: Double
        var nesterov: Bool
    }

    var hyperparameters: Hyperparameters {
        get { Hyperparameters(momentum: momentum, dampening: dampening, nesterov: nesterov) }
        set {
            momentum = newValue.momentum
            dampening = newValue.dampening
            nesterov = newValue.nesterov
        }
    }

    func validateHyperparameters() throws(OptimizerError) {
        for (name, value) in [("momentum", momentum), ("dampening", dampening)] where !(value.isFinite && value >= 0) {
            throw .invalidHyperparameter(name: name, value: value, requirement: "finite and >= 0")
        }
        if nesterov && !(momentum > 0 && dampening == 0) {
            throw .invalidHyperparameter(name: "momentum", value: momentum,
                                         requirement: "> 0, with dampening 0, for Nesterov momentum")
        }
        try GradientClipping.validate(maxNorm: maxGradientNorm)
    }
}
