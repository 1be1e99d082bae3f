import Evaluation
import Foundation
import XCTest

/// An interrupted run resumes from its instance log: the same final result, and the model is
/// asked only for the items not yet logged.
final class TaskResumeTests: XCTestCase {
    func testInterruptedRunResumesWithoutRecomputing() throws {
        let root = try TaskFixtures.packageRoot(self)
        let rows = (0..<6).map { TaskFixtures.arc("q\($0)", "question \($0)", ["a", "b", "c"], answer: $0 % 3) }
        try TaskFixtures.write(rows, at: TaskFixtures.arcEasyValidation, under: root)
        let loader = DatasetLoader(packageRoot: root.path)
        let task = try TaskFixtures.task(TaskRunnerTests.arcTask)
        let base = BigramModel(trainingText: TaskRunnerTests.trainingText)
        let out = root.deletingLastPathComponent().appendingPathComponent("out")

        let reference = try TaskRunner(model: base, loader: loader).run(task)

        let interrupted = CountingModel(base, failAfter: 4)
        XCTAssertThrowsError(try TaskRunner(model: interrupted, loader: loader).run(task, outputDirectory: out))
        let log = out.appendingPathComponent("arc_tiny.jsonl")
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count, 4)
        // A run killed mid-write leaves a partial line: it is dropped, not fatal.
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"index\": 4, \"id\"".utf8))
        try handle.close()

        let resumed = CountingModel(base)
        var starts: [Int] = []
        let result = try TaskRunner(model: resumed, loader: loader).run(task, outputDirectory: out) { done, _ in starts.append(done) }
        XCTAssertEqual(resumed.scoringCalls, 2)
        XCTAssertEqual(starts.first, 4)
        XCTAssertEqual(result, reference)
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count, 6)

        // Everything logged: nothing is recomputed.
        let again = CountingModel(base)
        XCTAssertEqual(try TaskRunner(model: again, loader: loader).run(task, outputDirectory: out), reference)
        XCTAssertEqual(again.scoringCalls, 0)

        // Another prompt (a changed template) invalidates the logged records.
        let changed = try TaskFixtures.task(TaskRunnerTests.arcTask.replacingOccurrences(of: "Question: ", with: "Q: "))
        let recomputed = CountingModel(base)
        _ = try TaskRunner(model: recomputed, loader: loader).run(changed, outputDirectory: out)
        XCTAssertEqual(recomputed.scoringCalls, 6)
        XCTAssertEqual(try String(contentsOf: log, encoding: .utf8).split(separator: "\n").count, 6)
    }
}
