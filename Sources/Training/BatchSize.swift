import Schedulers

/// How many examples one optimizer step draws.
///
/// Pre-training counts its batch in tokens, as the paper does ("batch size 2M tokens"), and can
/// follow any `BatchSizeSchedule`; fine-tuning counts examples.
public enum BatchSize: Sendable {
    /// `schedule(step)` tokens per step, in windows of `sequenceLength` tokens: `max(1,
    /// tokens / sequenceLength)` examples (rounded down, so a step never exceeds its token budget
    /// by a partial window).
    case tokens(any BatchSizeSchedule, sequenceLength: Int)
    /// A fixed number of examples per step.
    case examples(Int)

    /// The number of examples of the step `step`.
    public func examples(atStep step: Int) -> Int {
        switch self {
        case let .tokens(schedule, sequenceLength): return max(1, schedule.batchSize(atStep: step) / max(1, sequenceLength))
        case let .examples(count): return max(1, count)
        }
    }
}
