import Foundation
import MiniCPMModel
import Optimizers
import TensorCore
import Training
import XCTest

final class TrainingRunTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("training-run-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testLossFallsOnAStructuredStream() throws {
        var trainer = try TinyRun.trainer()
        var losses: [Double] = []
        for _ in 0..<40 { losses.append(try trainer.step().loss) }
        XCTAssertEqual(trainer.stepCount, 40)
        XCTAssertEqual(trainer.tokensSeen, 40 * 8 * 16)
        // ln 48 ≈ 3.87 at initialisation; the periodic stream is mostly predictable.
        XCTAssertEqual(losses[0], log(48), accuracy: 0.3)
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, losses[0] - 1.0)
    }

    /// Splitting a step into micro-batches changes only the rounding of the accumulated gradient.
    func testMicroBatchesAccumulateToTheFullBatchGradient() throws {
        var whole = try TinyRun.trainer()
        whole.microBatchSize = 8
        var split = try TinyRun.trainer()
        split.microBatchSize = 3
        let a = try whole.step(), b = try split.step()
        XCTAssertEqual(a.loss, b.loss, accuracy: 1e-6)
        XCTAssertEqual(a.gradientNorm, b.gradientNorm, accuracy: 1e-5 * a.gradientNorm)
    }

    func testRunsAreBitForBitRepeatable() throws {
        var first = try TinyRun.trainer(), second = try TinyRun.trainer()
        for _ in 0..<5 {
            XCTAssertEqual(try first.step().loss.bitPattern, try second.step().loss.bitPattern)
        }
    }

    /// Resuming from a checkpoint written mid-run gives exactly the losses of the uninterrupted run.
    func testResumeFromCheckpointIsBitExact() throws {
        var uninterrupted = TrainingRun(trainer: try TinyRun.trainer(), directory: directory.appendingPathComponent("a"),
                                        options: TrainingRunOptions(totalSteps: 12, showsProgress: false))
        let reference = try uninterrupted.run().map(\.loss)

        let dir = directory.appendingPathComponent("b")
        var interrupted = TrainingRun(trainer: try TinyRun.trainer(), directory: dir,
                                      options: TrainingRunOptions(totalSteps: 7, checkpointInterval: 5, showsProgress: false))
        try interrupted.run()
        // A fresh process: a newly initialised trainer (same configuration), resumed from step 7.
        var resumed = TrainingRun(trainer: try TinyRun.trainer(seed: 5), directory: dir,
                                  options: TrainingRunOptions(totalSteps: 12, checkpointInterval: 5, showsProgress: false))
        XCTAssertEqual(try resumed.resume(log: { _ in }), 7)
        try resumed.run()
        let logged = resumed.metrics.steps()
        XCTAssertEqual(logged.map(\.step), Array(0..<12))
        XCTAssertEqual(logged.map(\.loss.bitPattern), reference.map(\.bitPattern))
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("loss.svg").path))
    }

    func testCorruptCheckpointIsSkippedWithAMessage() throws {
        var run = TrainingRun(trainer: try TinyRun.trainer(), directory: directory,
                              options: TrainingRunOptions(totalSteps: 4, checkpointInterval: 2, showsProgress: false))
        try run.run()
        let store = run.checkpoints
        XCTAssertEqual(store.checkpoints().map(\.step), [2, 4])
        // Flip one byte in the newest checkpoint's weights.
        let weights = store.url(forStep: 4).appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: weights)
        data[data.count - 3] ^= 0x40
        try data.write(to: weights)
        var messages: [String] = []
        var resumed = TrainingRun(trainer: try TinyRun.trainer(), directory: directory,
                                  options: TrainingRunOptions(totalSteps: 4, showsProgress: false))
        XCTAssertEqual(try resumed.resume(log: { messages.append($0) }), 2)
        XCTAssertTrue(messages.contains { $0.contains("step-00000004") && $0.contains("model.safetensors") && $0.contains("digest") },
                      "\(messages)")
        // A half-written checkpoint (no manifest) is skipped too.
        try FileManager.default.removeItem(at: store.url(forStep: 2).appendingPathComponent("manifest.json"))
        messages = []
        XCTAssertNil(try resumed.resume(log: { messages.append($0) }))
        XCTAssertEqual(messages.count, 2)
    }

    func testPruningKeepsTheNewestMilestonesAndNeverTheOnlyValidOne() throws {
        var run = TrainingRun(trainer: try TinyRun.trainer(), directory: directory,
                              options: TrainingRunOptions(totalSteps: 10, checkpointInterval: 1, checkpointsKept: 2,
                                                          milestoneInterval: 4, showsProgress: false))
        try run.run()
        XCTAssertEqual(run.checkpoints.checkpoints().map(\.step), [4, 8, 9, 10])
        // Damage all but the oldest: pruning must not delete the only valid checkpoint.
        for step in [8, 9, 10] {
            try FileManager.default.removeItem(at: run.checkpoints.url(forStep: step).appendingPathComponent("manifest.json"))
        }
        run.checkpoints.prune()
        XCTAssertEqual(run.checkpoints.checkpoints().map(\.step), [4, 8, 9, 10])
    }

    func testCheckpointLoadsAsAModelWithItsTokenizerFiles() throws {
        var run = TrainingRun(trainer: try TinyRun.trainer(), directory: directory,
                              options: TrainingRunOptions(totalSteps: 2, bundledFiles: ["notes.txt": Data("hello".utf8)],
                                                          showsProgress: false))
        try run.run()
        let url = run.checkpoints.url(forStep: 2)
        let loaded = try MiniCPM(directory: url)
        let ids = [3, 4, 5, 6]
        XCTAssertEqual(try loaded.logits(for: ids).scalars, try run.trainer.model.logits(for: ids).scalars)
        XCTAssertEqual(try String(contentsOf: url.appendingPathComponent("notes.txt"), encoding: .utf8), "hello")
        XCTAssertEqual(try TrainingCheckpoint.readState(from: url).step, 2)
    }
}
