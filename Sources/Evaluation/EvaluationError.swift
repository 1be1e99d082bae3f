/// Why an evaluation could not run: each case names the file, field or value at fault.
public enum EvaluationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A dataset or task file that cannot be read or parsed (`path`, and where in it).
    case invalidFile(path: String, reason: String)
    /// A task setting that is missing or out of range.
    case invalidSetting(task: String, field: String, reason: String)
    /// A ``CodeSandbox`` setting (a limit or the timeout) that is out of range.
    case invalidSandboxSetting(field: String, reason: String)
    /// The sandbox's temporary directory or program file could not be prepared (`path`, and why).
    case sandboxSetupFailed(path: String, reason: String)
    /// An argument outside what a metric or scorer accepts (`name`, its `value`, the `requirement`).
    case invalidArgument(name: String, value: String, requirement: String)
    /// The evaluated model failed (`model` names it; `reason` is its error's description).
    case model(model: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidFile(path, reason): "\(path): \(reason)"
        case let .invalidSetting(task, field, reason): "task \(task): \(field): \(reason)"
        case let .invalidSandboxSetting(field, reason): "code sandbox: \(field): \(reason)"
        case let .sandboxSetupFailed(path, reason): "code sandbox: \(path): \(reason)"
        case let .invalidArgument(name, value, requirement): "\(name) = \(value): must be \(requirement)"
        case let .model(model, reason): "model \(model): \(reason)"
        }
    }
}
