import Foundation

/// The checkpoints of one run, in a directory of `step-00001200`-style subdirectories.
///
/// It finds the newest checkpoint that verifies (skipping, with a message, any that does not),
/// and prunes old ones: it keeps the newest ``keptCount`` valid checkpoints, every milestone (a step
/// that is a multiple of ``milestoneInterval`` or one of ``milestoneSteps``: the stable-stage
/// checkpoints a WSD decay can later branch from), and never deletes the only valid one.
public struct CheckpointStore: Sendable {
    /// The directory holding the checkpoints.
    public var directory: URL
    /// How many of the newest valid checkpoints pruning keeps (at least 1).
    public var keptCount: Int
    /// Checkpoints at multiples of this step are never pruned; `nil` for none.
    public var milestoneInterval: Int?
    /// Further steps whose checkpoints are never pruned (chosen branch points).
    public var milestoneSteps: Set<Int>

    public init(directory: URL, keptCount: Int = 3, milestoneInterval: Int? = nil, milestoneSteps: Set<Int> = []) {
        self.directory = directory
        self.keptCount = max(1, keptCount)
        self.milestoneInterval = milestoneInterval
        self.milestoneSteps = milestoneSteps
    }

    /// Whether pruning keeps the checkpoint of `step` whatever its age.
    public func isMilestone(_ step: Int) -> Bool {
        if milestoneSteps.contains(step) { return true }
        if let milestoneInterval, milestoneInterval > 0 { return step % milestoneInterval == 0 }
        return false
    }

    /// The name of the checkpoint after `step` completed steps.
    public static func name(forStep step: Int) -> String {
        let digits = String(step)
        return "step-" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The URL of the checkpoint after `step` completed steps.
    public func url(forStep step: Int) -> URL { directory.appendingPathComponent(Self.name(forStep: step)) }

    /// Every checkpoint directory by step, oldest first, valid or not.
    public func checkpoints() -> [(step: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap { name -> (Int, URL)? in
            guard name.hasPrefix("step-"), let step = Int(name.dropFirst(5)), step >= 0 else { return nil }
            return (step, directory.appendingPathComponent(name))
        }.sorted { $0.0 < $1.0 }
    }

    /// The newest checkpoint that verifies; each newer one that does not is reported to `skipped`
    /// with the reason.
    public func latestValid(skipped: (URL, TrainingError) -> Void = { _, _ in }) -> (step: Int, url: URL)? {
        for candidate in checkpoints().reversed() {
            do {
                try TrainingCheckpoint.verify(candidate.url)
                let state = try TrainingCheckpoint.readState(from: candidate.url)
                guard state.step == candidate.step else {
                    throw TrainingError.invalidCheckpoint(path: candidate.url.path,
                                                          reason: "trainer.json says step \(state.step)")
                }
                return candidate
            } catch let error as TrainingError {
                skipped(candidate.url, error)
            } catch {
                skipped(candidate.url, .invalidCheckpoint(path: candidate.url.path, reason: "\(error)"))
            }
        }
        return nil
    }

    /// Deletes checkpoints beyond the newest ``keptCount`` valid ones (milestones excepted), and
    /// leftovers of interrupted writes. Invalid checkpoints older than the newest valid one are
    /// deleted; nothing is deleted when no checkpoint is valid.
    ///
    /// Only the checkpoints from the newest down to the ``keptCount``-th valid one are verified
    /// (reading every byte of a large model's checkpoints at every save would cost more than the
    /// save); older milestones are kept without being read again.
    /// - Returns: the deleted directories.
    @discardableResult
    public func prune() -> [URL] {
        var deleted: [URL] = []
        var validFound = 0
        func delete(_ url: URL) {
            if (try? FileManager.default.removeItem(at: url)) != nil { deleted.append(url) }
        }
        for candidate in checkpoints().reversed() {
            if validFound < keptCount {
                if (try? TrainingCheckpoint.verify(candidate.url)) != nil {
                    validFound += 1
                } else if validFound > 0 {
                    delete(candidate.url)      // damaged, and a newer valid one exists
                }
                // Damaged and newer than every valid one: left for `latestValid` to report.
            } else if !isMilestone(candidate.step) {
                delete(candidate.url)
            }
        }
        // Staging directories of writes that never finished (another process's are left alone
        // while that process could still be running: only ones from dead processes go).
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(".step-") && name.contains(".partial-") {
            if let pid = Int32(name.split(separator: "-").last ?? ""), pid != getpid(), kill(pid, 0) == 0 { continue }
            let url = directory.appendingPathComponent(name)
            if (try? FileManager.default.removeItem(at: url)) != nil { deleted.append(url) }
        }
        return deleted
    }
}
