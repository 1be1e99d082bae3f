import Foundation
import MiniCPMModel
import TestSupport
import Tokenizer
import Training
import XCTest

/// The paper's recipe through the command line, on a tiny model: pre-train (stable phase), branch a
/// decay from a stable checkpoint on a mixture with instruction data, fine-tune (SFT, then DPO) on
/// chat-formatted tasks, and generate from the result with its own tokenizer and chat template.
final class EndToEndRecipeTests: XCTestCase {
    func testTrainDecaySFTDPOGenerate() throws {
        _ = try CommandLineTool.url()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("recipe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try TinyCorpus(directory: directory)
        func run(_ arguments: [String]) throws -> String {
            let trains = ["train", "sft", "dpo"].contains(arguments[0])
            let (status, output) = try CommandLineTool.run(arguments + (trains ? ["--threads", "1"] : []))
            XCTAssertEqual(status, 0, "minicpm \(arguments.joined(separator: " ")):\n\(output)")
            return output
        }
        func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

        // Instruction data for the decay stage: the tasks' training conversations as a token file.
        XCTAssertTrue(try run(["prepare-instructions", "--tokenizer", path("tokenizer.model"), "--items", "300",
                               "--out", path("instructions.tokens")]).contains("wrote 300 conversations"))
        let config = try corpus.writeConfiguration(
            named: "stable", steps: 16, checkpointEvery: 8, schedule: #"{"kind": "constant", "peak": 0.02, "warmup": 3}"#,
            decayMixture: #"[{"file": "corpus.tokens", "weight": 1}, {"file": "instructions.tokens", "weight": 1}]"#)

        // Stable phase, then WSD(8, 6): a decay branched from the checkpoint at step 8.
        _ = try run(["train", "--config", config.path])
        let stable = MetricsLog(url: directory.appendingPathComponent("stable/metrics.jsonl")).steps()
        XCTAssertEqual(stable.map(\.learningRate).suffix(10), Array(repeating: 0.02, count: 10))
        _ = try run(["train", "--config", config.path, "--branch-decay", path("stable/checkpoints/step-00000008"), "--steps", "6"])
        let decayDirectory = directory.appendingPathComponent("stable-decay-from-8")
        let decay = MetricsLog(url: decayDirectory.appendingPathComponent("metrics.jsonl")).steps()
        XCTAssertEqual(decay.map(\.step), Array(8..<14))
        guard decay.count == 6 else { return }
        XCTAssertEqual(decay[0].learningRate, 0.02)
        XCTAssertTrue(zip(decay, decay.dropFirst()).allSatisfy { $0.learningRate > $1.learningRate }, "\(decay.map(\.learningRate))")
        let decayed = decayDirectory.appendingPathComponent("checkpoints/step-00000014")
        XCTAssertEqual(try TrainingCheckpoint.readState(from: decayed).notes["stage"], "decay")

        // SFT and DPO on the arithmetic task, graded on held-out questions before and after.
        let sftOutput = try run(["sft", "--from", decayed.path, "--steps", "6", "--items", "64", "--batch", "8",
                                 "--micro-batch", "4", "--eval-items", "4", "--out", path("sft")])
        print(sftOutput)
        XCTAssertTrue(sftOutput.contains("held-out accuracy before") && sftOutput.contains("held-out accuracy after"), sftOutput)
        let sft = MetricsLog(url: directory.appendingPathComponent("sft/metrics.jsonl")).steps()
        XCTAssertEqual(sft.count, 6)
        XCTAssertLessThan(sft.last!.loss, sft.first!.loss)
        let dpoOutput = try run(["dpo", "--from", path("sft/checkpoints/step-00000006"), "--steps", "3", "--items", "32",
                                 "--batch", "8", "--eval-items", "0", "--out", path("dpo")])
        let dpo = MetricsLog(url: directory.appendingPathComponent("dpo/metrics.jsonl")).steps()
        XCTAssertEqual(dpo.first!.loss, log(2), accuracy: 1e-4, "the policy starts as the reference\n\(dpoOutput)")

        // The result loads with its tokenizer and chat template, and answers.
        let final = directory.appendingPathComponent("dpo/checkpoints/step-00000003")
        let model = try LanguageModel(directory: final)
        XCTAssertTrue(model.chatTemplate is MiniCPMChatTemplate)
        let reply = try run(["generate", "--model", final.path,
                             "--prompt", "What is 2 + 3?", "--chat", "--greedy", "--max-tokens", "4"])
        XCTAssertFalse(reply.isEmpty)
    }
}
