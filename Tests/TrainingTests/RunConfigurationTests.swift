import Foundation
import Schedulers
import Training
import XCTest

final class RunConfigurationTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("run-config-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testRelativePathsAndABatchScheduleReachTheRun() throws {
        let corpus = try TinyCorpus(directory: directory)
        let url = try corpus.writeConfiguration(named: "run", steps: 4, checkpointEvery: 0)
        var text = try String(contentsOf: url, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"batch_tokens\": 256,", with: #""batch_tokens": 256, "batch_schedule": [{"step": 2, "tokens": 512}],"#)
        try Data(text.utf8).write(to: url)
        let configuration = try RunConfiguration.load(from: url)
        XCTAssertEqual(configuration.tokenizer, directory.appendingPathComponent("tokenizer.model").standardizedFileURL.path)
        XCTAssertEqual(configuration.data.mixture[0].file, directory.appendingPathComponent("corpus.tokens").standardizedFileURL.path)
        var run = try Pretraining.makeRun(configuration, showsProgress: false)
        XCTAssertEqual(run.directory.standardizedFileURL.path, directory.appendingPathComponent("run").standardizedFileURL.path)
        XCTAssertEqual((0..<4).map { run.trainer.batchSize.examples(atStep: $0) }, [8, 8, 16, 16])
        let records = try run.run()
        XCTAssertEqual(records.map(\.tokens), [256, 256, 512, 512])
        // Bits per byte: the held-out nats over the bytes of the corpus's last tenth of documents.
        let evaluation = try XCTUnwrap(run.metrics.evaluations().last)
        XCTAssertEqual(evaluation.step, 4)
        let file = try TokenFile(contentsOf: URL(fileURLWithPath: configuration.data.mixture[0].file))
        let heldOut = try HeldOutEvaluation(slice: DocumentSplit(file: file, heldOutFraction: 0.1).heldOut,
                                            sequenceLength: 32, maximumWindowCount: 4)
        XCTAssertEqual(evaluation.tokens, heldOut.tokenCount)
        XCTAssertEqual(try XCTUnwrap(evaluation.bitsPerByte),
                       evaluation.lossPerToken * Double(evaluation.tokens) / (log(2) * heldOut.byteCount), accuracy: 1e-9)
    }

    func testBadValuesAreNamed() throws {
        let corpus = try TinyCorpus(directory: directory)
        let url = try corpus.writeConfiguration(named: "run", steps: 4, checkpointEvery: 0)
        let original = try String(contentsOf: url, encoding: .utf8)
        let cases: [(String, String, String)] = [
            (#""weight": 1"#, #""weight": -1"#, "data.mixture[0].weight"),
            (#""micro_batch": 4"#, #""micro_batch": 0"#, "micro_batch"),
            (#""kind": "wsd""#, #""kind": "cosine""#, "schedule.end"),
            (#""batch_tokens": 256,"#, #""batch_tokens": 256, "batch_schedule": [{"step": 0, "tokens": 512}],"#, "batch_schedule[0].step"),
            (#""preset": "9M""#, #""preset": "10M""#, "model.preset"),
            (#""sequence_length": 32,"#, "", "sequence_length"),
            (#""preset": "9M""#, #""preset": "9M", "num_experts": 4, "num_experts_per_tok": 5"#, "num_experts_per_tok 5"),
        ]
        for (from, to, field) in cases {
            try Data(original.replacingOccurrences(of: from, with: to).utf8).write(to: url)
            do {
                let configuration = try RunConfiguration.load(from: url)
                _ = try configuration.model.makeConfiguration(vocabularySize: 320)
                XCTFail("\(to) was accepted")
            } catch let error as TrainingError {
                XCTAssertTrue(error.description.contains(field), "\(error) does not name \(field)")
            }
        }
    }

    /// `num_experts` and `num_experts_per_tok` in the model section make a mixture-of-experts model.
    func testExpertsInTheModelSection() throws {
        let json = #"{"preset": "9M", "num_experts": 8, "num_experts_per_tok": 2}"#
        let model = try JSONDecoder().decode(ModelSpecification.self, from: Data(json.utf8))
        let c = try model.makeConfiguration(vocabularySize: 320)
        XCTAssertEqual(c.expertCount, 8)
        XCTAssertEqual(c.expertsPerToken, 2)
        XCTAssertEqual(try ModelSpecification(preset: "9M").makeConfiguration(vocabularySize: 320).expertCount, 0)
    }

    /// The schedule a configuration describes follows the paper's formulas (Section 4 and
    /// Appendix B.1), computed here by hand.
    func testSchedulesFollowThePapersFormulas() throws {
        let wsd = try ScheduleSpecification(kind: .wsd, peak: 0.01, warmup: 10, stableEnd: 100,
                                            decay: DecaySpecification(kind: .exponential, halfLife: 20)).makeSchedule()
        XCTAssertEqual(wsd.learningRate(atStep: 4), 0.01 * 5 / 10, accuracy: 1e-15)
        XCTAssertEqual(wsd.learningRate(atStep: 100), 0.01, accuracy: 1e-15)
        XCTAssertEqual(wsd.learningRate(atStep: 140), 0.01 * pow(0.5, 40.0 / 20), accuracy: 1e-15)
        let cosine = try ScheduleSpecification(kind: .cosine, peak: 0.01, warmup: 0, end: 200, minimumFraction: 0.1).makeSchedule()
        for step in [0, 50, 100, 200] {
            let expected = 0.01 * (0.1 + 0.9 * 0.5 * (1 + cos(Double.pi * Double(step) / 200)))
            XCTAssertEqual(cosine.learningRate(atStep: step), expected, accuracy: 1e-12, "step \(step)")
        }
        let branched = try DecaySpecification(kind: .linear, steps: 50).branching(
            ScheduleSpecification(kind: .constant, peak: 0.02, warmup: 0).makeSchedule(), at: 300)
        XCTAssertEqual(branched.learningRate(atStep: 299), 0.02)
        XCTAssertEqual(branched.learningRate(atStep: 325), 0.01, accuracy: 1e-15)
        XCTAssertEqual(branched.learningRate(atStep: 350), 0, accuracy: 1e-15)
    }
}
