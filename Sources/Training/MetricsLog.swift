import AtomicWrite
import Foundation

/// A run's `metrics.jsonl`: one JSON object per line, a ``StepRecord`` per step and an
/// ``EvaluationRecord`` per held-out evaluation, appended as they happen.
///
/// A resumed run first cuts the log back to what its checkpoint had seen (steps before it,
/// evaluations at or before it, and never a torn last line), so the log of an interrupted and
/// resumed run reads like that of an uninterrupted one.
public struct MetricsLog: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// The step records in the log, in order.
    public func steps() -> [StepRecord] { records(StepRecord.self, requiring: "grad_norm") }

    /// The evaluation records in the log, in order.
    public func evaluations() -> [EvaluationRecord] { records(EvaluationRecord.self, requiring: "eval_loss") }

    /// Appends one record as a line.
    public func append(_ record: some Encodable) throws {
        var line = try encoder.encode(record)
        line.append(0x0A)
        let fm = FileManager.default
        if !fm.fileExists(atPath: url.path) {
            try? fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard fm.createFile(atPath: url.path, contents: nil) else {
                throw TrainingError.io(path: url.path, reason: "cannot create the metrics log")
            }
        }
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: line)
        } catch {
            throw TrainingError.io(path: url.path, reason: "\(error)")
        }
    }

    /// Keeps only the lines a run resumed after `completedSteps` steps would have written by then.
    public func truncate(toCompletedSteps completedSteps: Int) throws {
        guard let data = try? Data(contentsOf: url) else { return }
        var kept = Data()
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: true) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let step = object["step"] as? Int else { continue }
            let isEvaluation = object["eval_loss"] != nil
            if isEvaluation ? step <= completedSteps : step < completedSteps {
                kept.append(contentsOf: line)
                kept.append(0x0A)
            }
        }
        do { try AtomicWrite.write(kept, to: url) } catch {
            throw TrainingError.io(path: url.path, reason: error.description)
        }
    }

    private func records<R: Decodable>(_ type: R.Type, requiring key: String) -> [R] {
        guard let data = try? Data(contentsOf: url) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  object[key] != nil else { return nil }
            return try? decoder.decode(R.self, from: Data(line))
        }
    }

    private var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
