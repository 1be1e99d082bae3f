/// What can go wrong while quantising a model or reading quantised weights; each case names the
/// tensor, file or value at fault.
public enum QuantizationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A setting out of range (bits, group size, damping).
    case invalidSetting(name: String, reason: String)
    /// A weight whose shape does not fit the format (e.g. input features not a multiple of the group).
    case incompatibleShape(tensor: String, shape: [Int], reason: String)
    /// A quantised checkpoint that is damaged or not in the expected layout.
    case malformedCheckpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, reason): return "\(name): \(reason)"
        case let .incompatibleShape(tensor, shape, reason): return "\(tensor) \(shape): \(reason)"
        case let .malformedCheckpoint(path, reason): return "\(path): \(reason)"
        }
    }
}
