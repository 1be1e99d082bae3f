import Foundation
import Training

/// `minicpm eval`'s progress on standard error: a bar with rate and ETA rewritten in place on a
/// terminal, or a plain line every tenth of the task otherwise (logs, pipes, tests).
struct EvalProgress {
    let task: String
    let isTerminal: Bool
    private let start = Date()
    private var firstDone: Int?
    private var lastPlainTenth = -1

    init(task: String, isTerminal: Bool = isatty(STDERR_FILENO) != 0) {
        self.task = task
        self.isTerminal = isTerminal
    }

    /// Shows `done` of `total` items; the rate counts only items scored in this run (not those
    /// resumed from the log), so the ETA is honest after a restart.
    mutating func update(done: Int, total: Int) {
        if firstDone == nil { firstDone = done }
        let scored = done - (firstDone ?? 0)
        let seconds = Date().timeIntervalSince(start)
        let rate = scored > 0 && seconds > 0 ? Double(scored) / seconds : 0
        let eta = rate > 0 ? ProgressLine.duration(Double(total - done) / rate) : "?"
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        if isTerminal {
            let width = 24, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "%@ [%@] %d/%d  %.2f items/s  ETA %@", task, bar, done, total, rate, eta)
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line + (done == total ? "\n" : "")).utf8))
        } else {
            let tenth = total > 0 ? done * 10 / total : 10
            guard tenth != lastPlainTenth else { return }
            lastPlainTenth = tenth
            let line = String(format: "%@: %d/%d (%.2f items/s, ETA %@)", task, done, total, rate, eta)
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
