/// The calibration sequences `minicpm quantize` gives GPTQ: windows of one tokenized text.
///
/// The windows are evenly spaced over the whole token stream, first at its start and the last
/// ending at its end, never overlapping, so a run is reproducible without a seed and samples the
/// whole file rather than its beginning. (GPTQ's reference draws random windows of the same length
/// from the training text; evenly spaced ones cover it as well and need no seed to repeat.)
struct CalibrationWindows {
    /// The windows, each `length` tokens.
    let sequences: [[Int]]
    /// Tokens per window after clipping to the text and the model's context.
    let length: Int
    /// Tokens in the whole text.
    let availableTokens: Int

    /// Cuts `tokens` into at most `count` windows of at most `length` tokens: a text shorter than
    /// `length` gives one window of all of it; one shorter than `count × length` gives as many whole
    /// windows as fit.
    /// - Precondition: `count > 0`, `length > 0`.
    init(tokens: [Int], count: Int, length: Int) {
        precondition(count > 0 && length > 0)
        let length = min(length, tokens.count)
        availableTokens = tokens.count
        self.length = length
        guard length > 0 else {
            sequences = []
            return
        }
        let windows = min(count, tokens.count / length)
        // Starts spread from 0 to the last possible start; with windows ≤ tokens / length the stride
        // is at least `length`, so windows never overlap.
        let lastStart = tokens.count - length
        sequences = (0..<windows).map { index in
            let start = windows == 1 ? 0 : index * lastStart / (windows - 1)
            return Array(tokens[start..<start + length])
        }
    }
}
