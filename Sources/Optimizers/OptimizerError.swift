import Foundation
import TensorCore

/// Why an optimizer could not group, update, save or load parameters.
///
/// A failed ``Optimizer/step(_:clearingGradients:)`` leaves the parameters, their gradients and the
/// optimizer state untouched; a failed ``Optimizer/load(from:)`` leaves the optimizer untouched.
public enum OptimizerError: Error, Sendable, Equatable {
    // MARK: Grouping

    /// A parameter is listed twice, in one group or in two.
    case duplicateParameter(name: String, groups: [String])
    /// Two groups have the same name.
    case duplicateGroup(name: String)
    /// No group has this name.
    case groupNotFound(name: String)
    /// A group's learning-rate multiplier or weight decay is negative or not finite.
    case invalidGroupHyperparameter(group: String, name: String, value: Double)

    // MARK: Stepping

    /// A group lists a parameter that the parameter store does not have.
    case parameterNotFound(name: String)
    /// A parameter, its gradient or its saved state disagree in shape.
    case shapeMismatch(parameter: String, expected: [Int], actual: [Int])
    /// A gradient holds an infinity or a NaN (found while computing the global gradient norm).
    case nonFiniteGradient(parameter: String)
    /// Not one grouped parameter has a gradient: the parameters were not made trainable
    /// (`requiringGradients()`), or `backward()` was not called on a loss computed from them.
    case noGradients(parameterCount: Int)
    /// The learning-rate schedule returned a negative or non-finite rate.
    case invalidLearningRate(step: Int, value: Double)
    /// An optimizer hyper-parameter is out of range (`requirement` says what it must be).
    case invalidHyperparameter(name: String, value: Double, requirement: String)

    // MARK: State files

    /// A state file could not be read (`reason` is the system's message).
    case cannotReadState(path: String, reason: String)
    /// A state file could not be written (`reason` is the system's message).
    case cannotWriteState(path: String, reason: String)
    /// The JSON state file is not what ``Optimizer/save(to:)`` writes.
    case malformedState(path: String, reason: String)
    /// The state file was written by a newer or unknown format version.
    case unsupportedStateVersion(path: String, version: Int, supported: Int)
    /// The state belongs to another algorithm (for example SGD state loaded into AdamW).
    case algorithmMismatch(path: String, expected: String, found: String)
    /// The saved groups do not list the same parameters as this optimizer's groups.
    case groupLayoutMismatch(path: String, reason: String)
    /// A moment buffer that the JSON state announces is not in the tensor file.
    case missingStateTensor(path: String, tensor: String)
    /// The tensor file holds a tensor that the JSON state does not announce.
    case unexpectedStateTensor(path: String, tensor: String)
    /// A state tensor is not stored as `F32` (state is saved exactly, never rounded).
    case stateTensorNotFloat32(path: String, tensor: String, dtype: String)
    /// The JSON file and the tensor file come from different saves (their step counts differ).
    case inconsistentStateFiles(path: String, jsonStep: Int, tensorStep: String)
    /// The safetensors file is malformed.
    case safetensors(SafetensorsError)
}

extension OptimizerError: CustomStringConvertible, LocalizedError {
    /// A one-line message naming the fault and the parameter, group or file involved.
    public var description: String {
        switch self {
        case let .duplicateParameter(name, groups):
            "parameter '\(name)' is listed more than once (groups \(groups.map { "'\($0)'" }.joined(separator: ", ")))"
        case let .duplicateGroup(name):
            "two parameter groups are named '\(name)'"
        case let .groupNotFound(name):
            "no parameter group is named '\(name)'"
        case let .invalidGroupHyperparameter(group, name, value):
            "parameter group '\(group)' has an invalid \(name) \(value) (must be finite and >= 0)"
        case let .parameterNotFound(name):
            "a parameter group lists '\(name)', which the parameters do not contain"
        case let .shapeMismatch(parameter, expected, actual):
            "parameter '\(parameter)': expected shape \(expected), found \(actual)"
        case let .nonFiniteGradient(parameter):
            "the gradient of '\(parameter)' is not finite (inf or NaN); nothing was updated"
        case let .noGradients(count):
            "none of the \(count) grouped parameters has a gradient: make them trainable (model.requiringGradients()) " +
            "and call backward() on a loss computed from them before stepping; nothing was updated"
        case let .invalidLearningRate(step, value):
            "the learning-rate schedule returned \(value) at step \(step) (must be finite and >= 0)"
        case let .invalidHyperparameter(name, value, requirement):
            "invalid optimizer hyper-parameter \(name) = \(value): it must be \(requirement)"
        case let .cannotReadState(path, reason):
            "\(path): cannot read optimizer state: \(reason)"
        case let .cannotWriteState(path, reason):
            "\(path): cannot write optimizer state: \(reason)"
        case let .malformedState(path, reason):
            "\(path): malformed optimizer state: \(reason)"
        case let .unsupportedStateVersion(path, version, supported):
            "\(path): optimizer state format version \(version) is not supported (this library reads \(supported))"
        case let .algorithmMismatch(path, expected, found):
            "\(path): the state belongs to \(found), not \(expected)"
        case let .groupLayoutMismatch(path, reason):
            "\(path): the saved parameter groups differ from this optimizer's: \(reason)"
        case let .missingStateTensor(path, tensor):
            "\(path): state tensor '\(tensor)' is missing"
        case let .unexpectedStateTensor(path, tensor):
            "\(path): unexpected state tensor '\(tensor)'"
        case let .stateTensorNotFloat32(path, tensor, dtype):
            "\(path): state tensor '\(tensor)' is stored as \(dtype), not F32"
        case let .inconsistentStateFiles(path, jsonStep, tensorStep):
            "\(path): the JSON state is at step \(jsonStep) but the tensor file at step \(tensorStep); the files come from different saves"
        case let .safetensors(error):
            error.description
        }
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
