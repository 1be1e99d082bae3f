import Foundation
import Schedulers
import TensorCore

/// Adam with decoupled weight decay (Loshchilov & Hutter), step for step as PyTorch's
/// `torch.optim.AdamW` (`amsgrad=False`, `maximize=False`).
///
/// For a parameter `p` with gradient `g` (after clipping) in a group with learning rate
/// `lr = schedule(step) · multiplier` and weight decay `wd`, its `t`-th update is
///
/// ```
/// p ← p · (1 − lr·wd)                       decoupled decay, before the Adam step
/// m ← m + (1 − β1)·(g − m)                  torch.lerp(m, g, 1 − β1)
/// v ← β2·v + (1 − β2)·g²
/// p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
/// ```
///
/// with `m` and `v` starting at zero and `t` counted per parameter (a parameter that had no gradient
/// at some step is neither decayed nor counted then, as in PyTorch). Scalar constants are computed
/// in `Double` and rounded to `Float` once per tensor and step; the element loops run in `Float`
/// over SIMD lanes, in place, without allocating (the moment buffers are allocated at a parameter's
/// first update).
///
/// ```swift
/// var optimizer = AdamW(groups: .single(weights, weightDecay: 0.01), learningRate: 1e-3)
/// try optimizer.step(&weights)
/// ```
public struct AdamW: EngineBackedOptimizer {
    /// The name saved in state files.
    public static let algorithmName = "AdamW"
    /// PyTorch's names of the first and second moment buffers.
    public static let bufferNames = ["exp_avg", "exp_avg_sq"]

    /// Decay rate of the first-moment average, in [0, 1).
    public var beta1: Double
    /// Decay rate of the second-moment average, in [0, 1).
    public var beta2: Double
    /// Added to `√v̂` in the denominator; finite and non-negative.
    public var epsilon: Double
    public var schedule: any LearningRateSchedule
    public var maxGradientNorm: Double?

    var engine: OptimizerEngine

    /// An optimizer that reads its learning rate from `schedule` at every step.
    /// - Precondition: the hyper-parameters are in range (see each property).
    public init(groups: ParameterGroups, schedule: any LearningRateSchedule, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, maxGradientNorm: Double? = nil) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule = schedule
        self.maxGradientNorm = maxGradientNorm
        self.engine = OptimizerEngine(algorithm: Self.algorithmName, bufferNames: Self.bufferNames, groups: groups)
        requireValidHyperparameters()
    }

    /// An optimizer with a constant learning rate.
    /// - Precondition: `learningRate` is finite and non-negative; the hyper-parameters are in range.
    public init(groups: ParameterGroups, learningRate: Double, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, maxGradientNorm: Double? = nil) {
        self.init(groups: groups, schedule: ConstantSchedule(learningRate: learningRate), beta1: beta1,
                  beta2: beta2, epsilon: epsilon, maxGradientNorm: maxGradientNorm)
    }

    @discardableResult
    public mutating func step<Parameters: ParameterContainer>(_ parameters: inout Parameters,
                                                          clearingGradients: Bool) throws(OptimizerError) -> OptimizerStepReport {
        let beta1 = beta1, beta2 = beta2, epsilon = epsilon
        return try performStep(&parameters, clearingGradients: clearingGradients) { plan, group, state, shape, p, g in
            if state == nil { state = ParameterState(shape: shape, bufferCount: 2) }
            state!.makeBuffersUnique()
            state!.updateCount += 1
            let t = Double(state!.updateCount)
            let lr = plan.learningRate(for: group)
            let biasCorrection1 = 1 - pow(beta1, t)
            let biasCorrection2 = 1 - pow(beta2, t)
            let coefficients = AdamWCoefficients(
                gradientScale: plan.gradientScale,
                decay: Float(1 - lr * group.weightDecay),
                averagingWeight: Float(1 - beta1),
                beta2: Float(beta2),
                oneMinusBeta2: Float(1 - beta2),
                biasCorrection2Root: Float(biasCorrection2.squareRoot()),
                epsilon: Float(epsilon),
                negativeStepSize: Float(-(lr / biasCorrection1)))
            UpdateKernels.adamW(parameter: p, gradient: g,
                                firstMoment: state!.buffers[0].elements.baseAddress!,
                                secondMoment: state!.buffers[1].elements.baseAddress!,
                                coefficients)
        }
    }

    // MARK: Hyper-parameters

    /// The algorithm's hyper-parameters as saved in the JSON state file.
    struct Hyperparameters: Codable, Equatable {
        var beta1: Double
        var beta2: Double
        var epsilon: Double
    }

    var hyperparameters: Hyperparameters {
        get { Hyperparameters(beta1: beta1, beta2: beta2, epsilon: epsilon) }
        set {
            beta1 = newValue.beta1
            beta2 = newValue.beta2
            epsilon = newValue.epsilon
        }
    }

    func validateHyperparameters() throws(OptimizerError) {
        for (name, value) in [("beta1", beta1), ("beta2", beta2)] where !(value >= 0 && value < 1) {
            throw .invalidHyperparameter(name: name, value: value, requirement: "in [0, 1)")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw .invalidHyperparameter(name: "epsilon", value: epsilon, requirement: "finite and >= 0")
        }
        try GradientClipping.validate(maxNorm: maxGradientNorm)
    }
}
