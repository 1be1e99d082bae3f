import MiniCPMModel
import TensorCore
import XCTest

/// Models loaded from GGUF files that llama.cpp's converter logic wrote (`Fixtures/gguf`, made with
/// gguf-py by `make_gguf_fixtures.py`) against the float64 reference: full-forward and KV-cached
/// logits within 1e-4, greedy ids equal, as for the safetensors fixtures.
final class GGUFParityTests: XCTestCase {
    /// F32 `minicpm` file of `float16-weights` (lossless): the fixture's own reference logits.
    func testFloat32MiniCPMFile() throws {
        let model = try MiniCPM(ggufFile: ggufFixtureURL("minicpm-f32.gguf"))
        try checkParity(model, against: ExpectedOutput(fixture: "float16-weights"), label: "minicpm-f32.gguf")
    }

    /// F16 `minicpm` file of `float16-weights` (lossless, its weights are F16 values).
    func testFloat16MiniCPMFile() throws {
        let model = try MiniCPM(ggufFile: ggufFixtureURL("minicpm-f16.gguf"))
        try checkParity(model, against: ExpectedOutput(fixture: "float16-weights"), label: "minicpm-f16.gguf")
    }

    /// Q8_0 `minicpm` file: the reference logits of the weights gguf-py dequantises from it.
    func testQ8_0MiniCPMFile() throws {
        let model = try MiniCPM(ggufFile: ggufFixtureURL("minicpm-q8_0.gguf"))
        let expected = try ExpectedOutput(contentsOf: ggufFixtureURL("minicpm-q8_0.expected.safetensors"))
        try checkParity(model, against: expected, label: "minicpm-q8_0.gguf")
    }

    /// Q8_0 `llama` file of `llama-scales` (scale_emb 1, residual scale 1, logit divisor 1): the
    /// Llama forward with the scales the loader supplies.
    func testQ8_0LlamaFile() throws {
        let model = try MiniCPM(ggufFile: ggufFixtureURL("llama-q8_0.gguf"))
        let expected = try ExpectedOutput(contentsOf: ggufFixtureURL("llama-q8_0.expected.safetensors"))
        try checkParity(model, against: expected, label: "llama-q8_0.gguf")
    }

    /// The lossless files give exactly the safetensors checkpoint's parameters: names mapped, shapes
    /// reversed, and the Q/K row permutation undone bit for bit.
    func testLosslessFilesHoldTheCheckpointWeightsExactly() throws {
        let checkpoint = try MiniCPM(directory: fixtureURL("float16-weights"))
        for name in ["minicpm-f32.gguf", "minicpm-f16.gguf"] {
            let model = try MiniCPM(ggufFile: ggufFixtureURL(name))
            let loaded = model.namedParameters
            XCTAssertEqual(loaded.map(\.name), checkpoint.namedParameters.map(\.name), name)
            for ((parameter, value), (_, reference)) in zip(loaded, checkpoint.namedParameters) {
                XCTAssertEqual(value.shape, reference.shape, "\(name) \(parameter)")
                XCTAssertTrue(value.scalars == reference.scalars, "\(name) \(parameter)")
            }
        }
    }
}
