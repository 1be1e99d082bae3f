import Foundation
import TestSupport
import Training
import XCTest

/// A real `minicpm train` process killed with SIGKILL at random moments and resumed each time
/// computes, bit for bit, the losses of a run that was never interrupted.
final class ResumeAfterKillTests: XCTestCase {
    func testRunKilledAtRandomMomentsResumesBitForBit() throws {
        _ = try CommandLineTool.url()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try TinyCorpus(directory: directory)
        let steps = 30

        let reference = try corpus.writeConfiguration(named: "reference", steps: steps, checkpointEvery: 3)
        let clock = ContinuousClock()
        let started = clock.now
        let (status, output) = try CommandLineTool.start(["train", "--config", reference.path, "--threads", "1"]).waitForOutput()
        XCTAssertEqual(status, 0, output)
        let duration = (clock.now - started).seconds
        let expected = MetricsLog(url: directory.appendingPathComponent("reference/metrics.jsonl")).steps()
        XCTAssertEqual(expected.map(\.step), Array(0..<steps))

        let killed = try corpus.writeConfiguration(named: "killed", steps: steps, checkpointEvery: 3)
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for _ in 0..<5 {
            let process = try CommandLineTool.start(["train", "--config", killed.path, "--resume", "--threads", "1"])
            // Anywhere in the run, start-up and checkpoint writes included.
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...(0.8 * duration), using: &generator))
            guard process.isRunning else { _ = process.waitForOutput(); break }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal)
            kills += 1
        }
        let (finalStatus, finalOutput) = try CommandLineTool.start(["train", "--config", killed.path, "--resume", "--threads", "1"]).waitForOutput()
        XCTAssertEqual(finalStatus, 0, finalOutput)
        XCTAssertGreaterThan(kills, 0, "the run finished before it could be killed")
        print("killed the run \(kills) times with SIGKILL")

        let resumed = MetricsLog(url: directory.appendingPathComponent("killed/metrics.jsonl")).steps()
        XCTAssertEqual(resumed.map(\.step), Array(0..<steps))
        XCTAssertEqual(resumed.map(\.loss.bitPattern), expected.map(\.loss.bitPattern),
                       "losses differ after \(kills) kills: \(zip(resumed, expected).filter { $0.loss != $1.loss }.map(\.0.step))")
        XCTAssertEqual(resumed.map(\.gradientNorm.bitPattern), expected.map(\.gradientNorm.bitPattern))
        let referenceWeights = try Data(contentsOf: directory.appendingPathComponent("reference/checkpoints/step-00000030/model.safetensors"))
        let resumedWeights = try Data(contentsOf: directory.appendingPathComponent("killed/checkpoints/step-00000030/model.safetensors"))
        XCTAssertEqual(referenceWeights, resumedWeights)
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
