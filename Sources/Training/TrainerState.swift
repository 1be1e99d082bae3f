/// The trainer's own part of a checkpoint (`trainer.json`); the model and the optimizer state are
/// saved beside it in their own formats.
public struct TrainerState: Sendable, Hashable, Codable {
    /// The `format` field.
    public static let formatName = "minicpm-swift trainer state"
    /// The version this library writes and the newest it reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    /// Completed optimizer steps (the optimizer's step count, the schedule's next step).
    public var step: Int
    /// Input tokens processed by those steps.
    public var tokensSeen: Int
    /// Where the data source continues.
    public var sourcePosition: SourcePosition
    /// Free-form facts about the run, by name (e.g. the stage: `stable`, `decay`, `sft`).
    public var notes: [String: String]

    public init(step: Int, tokensSeen: Int, sourcePosition: SourcePosition, notes: [String: String] = [:]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.step = step
        self.tokensSeen = tokensSeen
        self.sourcePosition = sourcePosition
        self.notes = notes
    }
}
