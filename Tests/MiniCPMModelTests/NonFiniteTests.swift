import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// NaN and infinity in weights or logits: generation refuses to sample from them and names the step,
/// `MiniCPM.checkFinite()` names the tensor (issue 11, hole 2).
final class NonFiniteTests: XCTestCase {
    func corruptedFixture(_ name: String, index: Int, value: Float) throws -> URL {
        let directory = try corruptedCheckpoint(tensor: name, index: index, value: value)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    func greedy(_ maxTokens: Int) -> GenerateParameters {
        var p = GenerateParameters.greedy(maxTokens: maxTokens)
        p.stopTokenIDs = []
        return p
    }

    /// The probe's case: NaN in `model.norm.weight` made every logit NaN and greedy decoding
    /// printed `0,0,0,0,0` with exit status 0.
    func testNaNInTheFinalNormStopsGenerationAtThePrefill() throws {
        let model = try MiniCPM(directory: corruptedFixture("model.norm.weight", index: 3, value: .nan))
        XCTAssertThrowsError(try model.generate(promptTokens: [1, 316, 505], parameters: greedy(5))) { error in
            XCTAssertEqual(error as? GenerationError, .nonFiniteLogits(step: 0, tokenID: 0))
            XCTAssertTrue("\(error)".contains("the prefill"), "\(error)")
        }
        var sampled = GenerateParameters(maxTokens: 5, temperature: 0.8)
        sampled.stopTokenIDs = []
        XCTAssertThrowsError(try model.generate(promptTokens: [1], parameters: sampled)) { error in
            XCTAssertEqual(error as? GenerationError, .nonFiniteLogits(step: 0, tokenID: 0))
        }
    }

    /// An embedding row that only a generated token reaches: the prefill and the decode steps
    /// before that token is fed back are finite, the step that feeds it is not, and the error says
    /// which step that was. (Untied head, so the row does not also feed the logits.)
    func testNaNReachedOnlyByAGeneratedTokenStopsAtThatDecodeStep() throws {
        var model = try MiniCPM(directory: fixtureURL("untied-head"))
        let prompt = [1, 100, 200]
        let clean = try model.generate(promptTokens: prompt, parameters: greedy(4)).tokens
        XCTAssertEqual(clean.prefix(3), [200, 200, 192])
        // 192 is generated third and fed back by decode step 3 (steps 1 and 2 feed the two 200s).
        let width = model.configuration.hiddenSize
        model.embedding.weight.withUnsafeMutableBufferPointer { $0[192 * width + 5] = .infinity }

        XCTAssertThrowsError(try model.generate(promptTokens: prompt, parameters: greedy(4))) { error in
            guard case let .nonFiniteLogits(step, _) = error as? GenerationError else {
                return XCTFail("expected nonFiniteLogits, got \(error)")
            }
            XCTAssertEqual(step, 3)
            XCTAssertTrue("\(error)".contains("decode step 3"), "\(error)")
        }
        // Three tokens need only two decode steps and still come out as before.
        XCTAssertEqual(try model.generate(promptTokens: prompt, parameters: greedy(3)).tokens, Array(clean.prefix(3)))
    }

    func testCheckFiniteNamesTheCorruptTensorAndElement() throws {
        try MiniCPM(directory: fixtureURL("tiny-minicpm")).checkFinite()

        let nan = try MiniCPM(directory: corruptedFixture("model.norm.weight", index: 3, value: .nan))
        XCTAssertThrowsError(try nan.checkFinite()) { error in
            XCTAssertEqual(error as? NonFiniteParameterError,
                           NonFiniteParameterError(name: "model.norm.weight", index: 3, value: "nan"))
            XCTAssertTrue("\(error)".contains("model.norm.weight"), "\(error)")
        }
        // Element 300 of a layer's weight lies past the first SIMD block of 256.
        let name = "model.layers.2.mlp.down_proj.weight"
        let inf = try MiniCPM(directory: corruptedFixture(name, index: 300, value: -.infinity))
        XCTAssertThrowsError(try inf.checkFinite()) { error in
            XCTAssertEqual(error as? NonFiniteParameterError, NonFiniteParameterError(name: name, index: 300, value: "-inf"))
        }
    }
}

extension CommandLineToolTests {
    /// `minicpm logits` on the NaN checkpoint fails, names the tensor and writes nothing.
    func testLogitsRefusesNonFiniteLogitsAndNamesTheTensor() throws {
        let directory = try corruptedCheckpoint(tensor: "model.norm.weight", index: 0, value: .nan)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("logits.safetensors")
        let (status, output) = try run(["logits", "--model", directory.path, "--ids", "1,316,505", "--out", out.path])
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("model.norm.weight"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}

extension CommandLineToolTests {
    /// `--check-tensors` scans every weight after loading, as llama.cpp's option does, and names the
    /// first non-finite one before anything is generated; without it the same run fails at the prefill.
    func testGenerateWithCheckTensorsNamesTheCorruptTensor() throws {
        let directory = try corruptedCheckpoint(tensor: "model.layers.1.mlp.up_proj.weight", index: 7, value: .infinity)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checked = try run(["generate", "--model", directory.path, "--prompt-ids", "1,316,505", "--max-tokens", "4", "--check-tensors"])
        XCTAssertNotEqual(checked.status, 0, checked.output)
        XCTAssertTrue(checked.output.contains("model.layers.1.mlp.up_proj.weight"), checked.output)
        let unchecked = try run(["generate", "--model", directory.path, "--prompt-ids", "1,316,505", "--max-tokens", "4"])
        XCTAssertNotEqual(unchecked.status, 0, unchecked.output)
        XCTAssertTrue(unchecked.output.contains("prefill"), unchecked.output)
    }
}
