import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// `MiniCPM.saveGGUF(to:type:)`: what llama.cpp's converter writes, and read back by `init(gguf:)`.
final class GGUFRoundTripTests: TemporaryDirectoryTestCase {
    /// Saving the `float16-weights` checkpoint as F32 gives the converter's file (made by gguf-py):
    /// every tensor with the same name, type, dimensions and bytes (so the same Q/K permutation), and
    /// the same metadata values.
    func testSavedFileMatchesTheConverter() throws {
        let url = directory.appendingPathComponent("saved.gguf")
        try MiniCPM(directory: fixtureURL("float16-weights")).saveGGUF(to: url)
        let saved = try GGUFFile(contentsOf: url)
        let converted = try GGUFFile(contentsOf: ggufFixtureURL("minicpm-f32.gguf"))
        XCTAssertEqual(Set(saved.tensorNames), Set(converted.tensorNames))
        for info in converted.tensorInfos {
            let mine = try saved.info(named: info.name)
            XCTAssertEqual(mine.type, info.type, info.name)
            XCTAssertEqual(mine.ggmlDimensions, info.ggmlDimensions, info.name)
            XCTAssertTrue(try saved.rawBytes(ofTensorNamed: info.name) == converted.rawBytes(ofTensorNamed: info.name), info.name)
        }
        for key in converted.metadataKeys {
            let expected = try XCTUnwrap(converted.metadata[key]), actual = try XCTUnwrap(saved.metadata[key], key)
            if key == "minicpm.residual_scale" {       // 1.4 / √2, rounded once by Python, twice here
                XCTAssertEqual(try XCTUnwrap(actual.doubleValue), try XCTUnwrap(expected.doubleValue), accuracy: 1e-7)
            } else {
                XCTAssertEqual(actual, expected, key)
            }
        }
        XCTAssertEqual(saved.integer(forKey: "minicpm.vocab_size"), 256)
        XCTAssertEqual(saved.integer(forKey: "minicpm.rope.dimension_count"), 16)
    }

    /// F32 saves and loads exactly, untied head and linear rope scaling included; F16 and BF16 load
    /// back the rounded matrices (norm gains stay F32).
    func testRoundTripInEveryFloatType() throws {
        var c = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 32, intermediateSize: 48, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.embeddingScale = 3
        c.depthScale = 1.5
        c.baseModelDimension = 8
        c.tieWordEmbeddings = false
        c.ropeScaling = .linear(factor: 2)
        c.eosTokenIDs = [2, 9]
        let model = try MiniCPM(configuration: c, seed: 7)
        for type: GGUFTensorType in [.f32, .f16, .bf16] {
            let url = directory.appendingPathComponent("model-\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let loaded = try MiniCPM(ggufFile: url)
            var expectedConfiguration = c
            expectedConfiguration.initializerRange = loaded.configuration.initializerRange
            expectedConfiguration.depthScale = loaded.configuration.depthScale
            XCTAssertEqual(loaded.configuration, expectedConfiguration, "\(type)")
            XCTAssertEqual(loaded.configuration.depthScale, 1.5, accuracy: 1e-6)
            for ((name, value), (_, original)) in zip(loaded.namedParameters, model.namedParameters) {
                let rounded: [Float]
                switch type {
                case .f16 where original.rank == 2: rounded = HalfPrecision.floats(from: HalfPrecision.float16s(from: original.scalars))
                case .bf16 where original.rank == 2: rounded = HalfPrecision.floats(from: HalfPrecision.bfloat16s(from: original.scalars))
                default: rounded = original.scalars
                }
                XCTAssertTrue(value.scalars == rounded, "\(type) \(name)")
            }
        }
    }

    func testSavingRefusesWhatItCannotStore() throws {
        let model = try MiniCPM(configuration: MiniCPMConfiguration(vocabularySize: 8, hiddenSize: 8, intermediateSize: 8,
                                                                layerCount: 1, attentionHeadCount: 2), seed: 1)
        let url = directory.appendingPathComponent("x.gguf")
        XCTAssertEqual(checkpointError { try model.saveGGUF(to: url, type: .q4_K) }, .unsupportedDType(name: "(save)", dtype: "Q4_K"))
        var c = model.configuration
        c.ropeScaling = .dynamic(factor: 2)
        let dynamic = try MiniCPM(configuration: c, seed: 1)
        guard case let .writeFailed(path, reason)? = checkpointError({ try dynamic.saveGGUF(to: url) }) else { return XCTFail() }
        XCTAssertEqual(path, url.path)
        XCTAssertTrue(reason.contains("dynamic"), reason)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
