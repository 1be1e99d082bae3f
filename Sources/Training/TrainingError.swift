/// What can go wrong while preparing data for, running or resuming a training run. Each case names
/// the file, field or value at fault.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A saved source position that does not fit the source it is restored into.
    case incompatiblePosition(reason: String)
    /// A token file that is not one, or is damaged.
    case malformedTokenFile(path: String, reason: String)
    /// A file or directory that could not be read or written.
    case io(path: String, reason: String)
    /// A run configuration value out of range.
    case invalidConfiguration(field: String, reason: String)
    /// A checkpoint that is incomplete or does not verify.
    case invalidCheckpoint(path: String, reason: String)
    /// No checkpoint to resume from in a run directory.
    case noCheckpoint(directory: String)
    /// Training data that cannot give the examples asked for (e.g. a file shorter than one window).
    case insufficientData(reason: String)
    /// The loss or a gradient stopped being finite.
    case nonFiniteLoss(step: Int, value: Double)
    /// A fine-tuning example that cannot be turned into training ids (no assistant reply, a reply
    /// the tokenizer does not keep apart from the prompt, an empty list of examples).
    case invalidExample(reason: String)

    public var description: String {
        switch self {
        case let .incompatiblePosition(reason): return "cannot restore the data position: \(reason)"
        case let .malformedTokenFile(path, reason): return "\(path): not a valid token file: \(reason)"
        case let .io(path, reason): return "\(path): \(reason)"
        case let .invalidConfiguration(field, reason): return "run configuration: \(field): \(reason)"
        case let .invalidCheckpoint(path, reason): return "\(path): invalid checkpoint: \(reason)"
        case let .noCheckpoint(directory): return "\(directory): no complete checkpoint to resume from"
        case let .insufficientData(reason): return "not enough training data: \(reason)"
        case let .nonFiniteLoss(step, value): return "step \(step): the loss is \(value)"
        case let .invalidExample(reason): return "invalid fine-tuning example: \(reason)"
        }
    }
}
