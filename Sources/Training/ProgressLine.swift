import Foundation

/// The progress of a run on standard error: one line rewritten in place on a terminal (step, loss,
/// learning rate, tokens/s, ETA), or a plain line every ``plainInterval`` steps otherwise (logs,
/// pipes, CI).
public struct ProgressLine: Sendable {
    /// Whether standard error is a terminal.
    public var isTerminal: Bool
    /// Steps between plain lines when not on a terminal.
    public var plainInterval: Int
    private var recentSeconds: [Double] = []

    public init(isTerminal: Bool = isatty(STDERR_FILENO) != 0, plainInterval: Int = 10) {
        self.isTerminal = isTerminal
        self.plainInterval = max(1, plainInterval)
    }

    /// The text for a step of `totalSteps`, given the step's wall time.
    public mutating func text(for record: StepRecord, totalSteps: Int, stepSeconds: Double) -> String {
        recentSeconds.append(stepSeconds)
        if recentSeconds.count > 20 { recentSeconds.removeFirst() }
        let mean = recentSeconds.reduce(0, +) / Double(recentSeconds.count)
        let remaining = Double(max(0, totalSteps - record.step - 1)) * mean
        return String(format: "step %d/%d | loss %.4f | lr %.3e | %.0f tok/s | ETA %@",
                      record.step + 1, totalSteps, record.loss, record.learningRate, record.tokensPerSecond,
                      Self.duration(remaining))
    }

    /// Shows the step's progress (or stays quiet, between plain lines).
    public mutating func show(_ record: StepRecord, totalSteps: Int, stepSeconds: Double) {
        let line = text(for: record, totalSteps: totalSteps, stepSeconds: stepSeconds)
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else if (record.step + 1) % plainInterval == 0 || record.step + 1 == totalSteps {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Prints a message on its own line (ending a terminal's progress line first).
    public func message(_ text: String) {
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + text + "\n").utf8))
    }

    /// A duration as a progress line shows it: `1h02m`, `3m07s`, `12s` (`?` when not finite).
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
