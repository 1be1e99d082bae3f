import Schedulers
import TensorCore

/// The machinery every optimizer shares: parameter groups, per-parameter state, the step count, the
/// validation and gradient-norm pass, and the in-place update pass. An algorithm (``AdamW``,
/// ``SGD``) supplies only its element update.
///
/// A step makes two passes over the parameter store. The first reads: it checks that every grouped
/// parameter exists with the shape its state was made for, that its gradient has the parameter's
/// shape and is finite, and accumulates the global gradient norm. Only then does the second pass
/// write, so a failed step changes nothing.
struct OptimizerEngine: Sendable {
    /// The algorithm's name as saved in state files (`AdamW`, `SGD`).
    let algorithm: String
    /// The names of the algorithm's per-parameter buffers (PyTorch's state keys).
    let bufferNames: [String]
    var groups: ParameterGroups
    /// Completed steps; the next step reads the schedule at this step.
    var stepCount = 0
    /// State per grouped parameter, indexed by its layout slot; `nil` until its first update.
    var states: [ParameterState?]

    init(algorithm: String, bufferNames: [String], groups: ParameterGroups) {
        self.algorithm = algorithm
        self.bufferNames = bufferNames
        self.groups = groups
        self.states = Array(repeating: nil, count: groups.parameterCount)
    }

    /// The outcome of the read-only pass.
    struct Plan {
        var learningRate: Double
        var gradientNorm: Double
        var clipCoefficient: Double
        var gradientCount: Int

        /// The factor every gradient element is multiplied by (the clip coefficient, as the kernels
        /// take it).
        var gradientScale: Float { Float(clipCoefficient) }

        /// The learning rate of `group` at this step: the schedule's rate times its multiplier.
        func learningRate(for group: ParameterGroup) -> Double {
            learningRate * group.learningRateMultiplier
        }
    }

    /// The read-only pass: validation, learning rate, global gradient norm and clipping factor.
    func prepare<Parameters: ParameterContainer>(_ parameters: Parameters, schedule: any LearningRateSchedule,
                                              maxGradientNorm: Double?) throws(OptimizerError) -> Plan {
        let learningRate = schedule.learningRate(atStep: stepCount)
        guard learningRate.isFinite, learningRate >= 0 else {
            throw .invalidLearningRate(step: stepCount, value: learningRate)
        }
        var failure: OptimizerError?
        var seen = [Bool](repeating: false, count: groups.parameterCount)
        var sumOfSquares = 0.0
        var gradientCount = 0
        parameters.visitParameters(prefix: "") { name, tensor in
            guard failure == nil, let location = groups.location(of: name) else { return }
            guard !seen[location.slot] else {
                failure = .duplicateParameter(name: name, groups: [groups[location.group].name])
                return
            }
            seen[location.slot] = true
            if let state = states[location.slot], state.shape != tensor.shape {
                failure = .shapeMismatch(parameter: name, expected: state.shape, actual: tensor.shape)
                return
            }
            guard let gradient = tensor.gradient else { return }
            guard gradient.shape == tensor.shape else {
                failure = .shapeMismatch(parameter: name + " (gradient)", expected: tensor.shape, actual: gradient.shape)
                return
            }
            let squares = gradient.withUnsafeBufferPointer(UpdateKernels.sumOfSquares)
            guard squares.isFinite else {
                failure = .nonFiniteGradient(parameter: name)
                return
            }
            sumOfSquares += squares
            gradientCount += 1
        }
        if let failure { throw failure }
        if let missing = seen.firstIndex(of: false) {
            throw .parameterNotFound(name: groups.parameterNames[missing])
        }
        // A step that updates nothing is almost always a model whose parameters never recorded
        // gradients; saying so beats silently training nothing.
        if gradientCount == 0 && groups.parameterCount > 0 { throw .noGradients(parameterCount: groups.parameterCount) }
        let norm = sumOfSquares.squareRoot()
        let coefficient = maxGradientNorm.map { GradientClipping.coefficient(norm: norm, maxNorm: $0) } ?? 1
        return Plan(learningRate: learningRate, gradientNorm: norm, clipCoefficient: coefficient,
                    gradientCount: gradientCount)
    }

    /// The writing pass: calls `body` for every grouped parameter that has a gradient, with its
    /// group, its state (to create or advance), its shape and its elements and gradient, then clears
    /// the gradient if asked. Parameters are written in place, so they stay gradient leaves.
    ///
    /// Returns the number of parameters updated. Counts the step.
    mutating func update<Parameters: ParameterContainer>(
        _ parameters: inout Parameters, clearingGradients: Bool,
        _ body: (ParameterGroup, inout ParameterState?, [Int], UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void
    ) -> Int {
        let groups = self.groups
        var updated = 0
        parameters.updateParameters(prefix: "") { name, tensor in
            guard let location = groups.location(of: name), let gradient = tensor.gradient else { return }
            let shape = tensor.shape
            tensor.withUnsafeMutableBufferPointer { elements in
                gradient.withUnsafeBufferPointer { gradientElements in
                    body(groups[location.group], &states[location.slot], shape, elements, gradientElements)
                }
            }
            if clearingGradients { tensor.clearGradient() }
            updated += 1
        }
        stepCount += 1
        return updated
    }
}

extension OptimizerEngine {
    /// Every grouped parameter exists in `parameters`, and every state has its parameter's shape.
    func validate<Parameters: ParameterContainer>(against parameters: Parameters) throws(OptimizerError) {
        var failure: OptimizerError?
        var seen = [Bool](repeating: false, count: groups.parameterCount)
        parameters.visitParameters(prefix: "") { name, tensor in
            guard failure == nil, let location = groups.location(of: name) else { return }
            seen[location.slot] = true
            if let state = states[location.slot], state.shape != tensor.shape {
                failure = .shapeMismatch(parameter: name, expected: state.shape, actual: tensor.shape)
            }
        }
        if let failure { throw failure }
        if let missing = seen.firstIndex(of: false) {
            throw .parameterNotFound(name: groups.parameterNames[missing])
        }
    }
}
