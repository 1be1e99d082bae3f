import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// One context rule for every forward entry point, with or without a cache, and its explicit
/// override `MiniCPM.maximumContextLength` (issue 11, hole 3).
final class ContextLimitTests: XCTestCase {
    /// A random tiny model whose context is 8 positions.
    func shortContextModel(ropeScaling: RopeScaling? = nil) throws -> MiniCPM {
        var c = MiniCPMConfiguration(vocabularySize: 32, hiddenSize: 16, intermediateSize: 24, layerCount: 1,
                                     attentionHeadCount: 2)
        c.maxPositionEmbeddings = 8
        c.ropeScaling = ropeScaling
        return try MiniCPM(configuration: c, seed: 1)
    }

    func assertOverflow<T>(_ body: @autoclosure () throws -> T, requested: Int, maximum: Int,
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? MiniCPMError, .contextOverflow(requested: requested, maximum: maximum),
                           file: file, line: line)
        }
    }

    func testEveryEntryPointWithoutACacheRefusesASequenceLongerThanTheContext() throws {
        let model = try shortContextModel()
        XCTAssertEqual(model.maximumContextLength, 8)
        let nine = Array(1...9), eight = Array(1...8)
        try withoutGradients {
            assertOverflow(try model.logits(for: nine), requested: 9, maximum: 8)
            assertOverflow(try model.nextTokenLogits(for: nine), requested: 9, maximum: 8)
            assertOverflow(try model.logits(forBatch: [nine, nine]), requested: 9, maximum: 8)
            assertOverflow(try model.loss(inputs: [nine], targets: [nine]), requested: 9, maximum: 8)
            XCTAssertEqual(try model.logits(for: eight).shape, [8, 32])
            XCTAssertEqual(try model.logits(forBatch: [eight, eight]).shape, [2, 8, 32])
        }
        // Generation says the same through its own error type.
        XCTAssertThrowsError(try model.generate(promptTokens: nine, parameters: .greedy(maxTokens: 1))) { error in
            XCTAssertEqual(error as? GenerationError, .model(.contextOverflow(requested: 9, maximum: 8)))
        }
    }

    /// A linear or dynamic `rope_scaling` multiplies the context (as it does a cache's default size).
    func testRopeScalingFactorsExtendTheContext() throws {
        let linear = try shortContextModel(ropeScaling: .linear(factor: 4))
        XCTAssertEqual(linear.maximumContextLength, 32)
        XCTAssertEqual(linear.maximumContextLength, KVCache(configuration: linear.configuration).maximumLength)
        try withoutGradients {
            XCTAssertEqual(try linear.logits(for: Array(repeating: 3, count: 32)).shape, [32, 32])
            assertOverflow(try linear.logits(for: Array(repeating: 3, count: 33)), requested: 33, maximum: 32)
        }
    }

    /// Raising `maximumContextLength` is the documented way to extrapolate: the full forward and a
    /// generation with a fresh cache both accept the longer prompt.
    func testRaisingTheMaximumAllowsDeliberateExtrapolation() throws {
        var model = try shortContextModel()
        model.maximumContextLength = 12
        let twelve = Array(1...12)
        let full = try withoutGradients { try model.logits(for: twelve) }
        XCTAssertEqual(full.shape, [12, 32])
        let summary = try model.generate(promptTokens: Array(1...10), parameters: .greedy(maxTokens: 5))
        XCTAssertEqual(summary.tokens.count, 3)    // 10 + 2 fed back fill the 12 positions; the 3rd is pending
        XCTAssertEqual(summary.stopReason, .contextFull)
        assertOverflow(try model.logits(for: Array(1...13)), requested: 13, maximum: 12)
    }

    /// With a cache its own maximum is the limit (an explicitly larger cache is also an override).
    func testACacheKeepsItsOwnMaximum() throws {
        let model = try shortContextModel()
        let cache = KVCache(configuration: model.configuration, maximumLength: 10)
        XCTAssertEqual(try withoutGradients { try model.logits(for: Array(1...10), cache: cache) }.shape, [10, 32])
        assertOverflow(try model.logits(for: [1], cache: cache), requested: 11, maximum: 10)
    }
}

extension CommandLineToolTests {
    /// One context rule: `logits` refuses what `generate` refuses, unless extrapolation is asked for.
    func testLogitsRefusesMoreIDsThanTheContextUnlessExtrapolationIsAllowed() throws {
        let dir = fixtureURL("rope-dynamic")   // max_position_embeddings 8, dynamic factor 2: 16
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("logits-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        let ids = (1...17).map(String.init).joined(separator: ",")
        let (status, output) = try run(["logits", "--model", dir.path, "--ids", ids, "--out", out.path])
        XCTAssertNotEqual(status, 0, output)
        XCTAssertTrue(output.contains("17 tokens exceed the context of 16"), output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))

        let (allowed, allowedOutput) = try run(["logits", "--model", dir.path, "--ids", ids, "--out", out.path,
                                                "--allow-extrapolation"])
        XCTAssertEqual(allowed, 0, allowedOutput)
        XCTAssertEqual(try SafetensorsFile(contentsOf: out).tensor(named: "logits").shape[0], 17)
    }
}
