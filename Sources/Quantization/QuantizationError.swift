/// What can go wrong while quantising a model or reading quantised weights; each case names the
/// tensor, file or value at fault.
public enum QuantizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A setting out of range (bits, group size, damping).
    case invalidSetting(name: String, reason: String)
    /// A weight whose shape does not fit the format (e.g. input features not a multiple of the group).
    case incompatibleShape(tensor: String, shape: [Int], reason: String)
    /// A quantised checkpoint that is damaged or not in the expected layout.
    case malformedCheckpoint(path: String, reason: String)
    /// GPTQ could not factorise a layer's Hessian even at the largest damping it tries.
    case singularHessian(layer: String, dampingFraction: Double)
    /// A calibration sequence that the model cannot run (empty, or a token outside the vocabulary).
    case invalidCalibration(sequence: Int, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, reason): return "\(name): \(reason)"
        case let .incompatibleShape(tensor, shape, reason): return "\(tensor) \(shape): \(reason)"
        case let .malformedCheckpoint(path, reason): return "\(path): \(reason)"
        case let .singularHessian(layer, damping):
            return "\(layer): the GPTQ Hessian is not positive definite even with damping \(damping) of its mean diagonal"
        case let .invalidCalibration(sequence, reason): return "calibration sequence \(sequence): \(reason)"
        }
    }
}
