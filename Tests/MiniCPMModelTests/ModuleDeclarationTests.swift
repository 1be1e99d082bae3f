import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// The modules' one declaration of their tensors, checked against files written by independent tools:
/// the Hugging Face names and shapes of the fixtures' safetensors (PyTorch's `state_dict`) and the
/// GGUF names and shapes gguf-py's converter wrote.
final class ModuleDeclarationTests: XCTestCase {
    func testDeclarationsMatchTheHuggingFaceCheckpoint() throws {
        for fixture in ["tiny-minicpm", "untied-head"] {
            let directory = fixtureURL(fixture)
            let configuration = try MiniCPMConfiguration.load(contentsOf: directory.appendingPathComponent("config.json"))
            let file = try SafetensorsFile(contentsOf: directory.appendingPathComponent("model.safetensors"))
            let stored = try Set(file.tensorNames.map { "\($0) \(try file.info(for: $0).shape)" })
            let declared = Set(try MiniCPM.tensorDeclarations(for: configuration).map { "\($0.name) \($0.shape)" })
            XCTAssertEqual(declared, stored, fixture)
        }
    }

    func testGGUFNamesMatchTheConvertersFile() throws {
        let file = try GGUFFile(contentsOf: ggufFixtureURL("minicpm-f32.gguf"))
        let configuration = try MiniCPMConfiguration(gguf: file)
        let stored = try Set(file.tensorNames.map { "\($0) \(try file.info(named: $0).shape)" })
        let declarations = try MiniCPM.tensorDeclarations(for: configuration)
        XCTAssertEqual(Set(declarations.map { "\($0.ggufName ?? "-") \($0.shape)" }), stored)
        // Only queries and keys are stored in llama.cpp's row order, with their own head counts.
        let permuted = declarations.filter { $0.ggufPermutedHeadCount != nil }
        XCTAssertEqual(permuted.count, 2 * configuration.layerCount)
        for d in permuted {
            XCTAssertEqual(d.ggufPermutedHeadCount, d.name.hasSuffix("q_proj.weight") ? configuration.attentionHeadCount
                                                                                       : configuration.keyValueHeadCount, d.name)
        }
    }

    func testRolesFollowTheDeclarations() throws {
        let model = try MiniCPM(directory: fixtureURL("untied-head"))
        let roles = Dictionary(uniqueKeysWithValues: model.parameterRoles.map { ($0.name, $0.role) })
        XCTAssertEqual(roles.count, model.namedParameters.count)
        XCTAssertEqual(roles["model.embed_tokens.weight"], .embedding)
        XCTAssertEqual(roles["lm_head.weight"], .linearWeight)
        XCTAssertEqual(roles["model.norm.weight"], .normGain)
        XCTAssertEqual(roles["model.layers.1.post_attention_layernorm.weight"], .normGain)
        XCTAssertEqual(roles["model.layers.1.mlp.down_proj.weight"], .linearWeight)
        XCTAssertEqual(model.parameterRoles.map(\.name), model.namedParameters.map(\.name), "same order")
        XCTAssertEqual(Set(model.tensorDeclarations.map(\.role)), [.embedding, .linearWeight, .normGain])
    }

    /// A substituted layer's own tensors have no GGUF name: saving as GGUF says which parameter.
    func testSavingASubstitutedLayerAsGGUFNamesTheParameter() throws {
        var model = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        model.mapLinearLayers { name, layer in
            name == "model.layers.0.self_attn.v_proj" ? RenamedLinear(wrapped: layer as! Linear) : layer
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("substituted-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try model.saveGGUF(to: url)) {
            XCTAssertEqual($0 as? CheckpointError, .writeFailed(
                path: url.path, reason: "parameter model.layers.0.self_attn.v_proj.packed has no GGUF tensor name"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}

/// A dense layer whose weight is stored under another name (as a quantized layer's would be).
private struct RenamedLinear: LinearLayer {
    var wrapped: Linear
    var inputFeatures: Int { wrapped.inputFeatures }
    var outputFeatures: Int { wrapped.outputFeatures }
    func callAsFunction(_ x: Tensor) -> Tensor { wrapped(x) }
    func visitParameters(prefix: String, _ visit: (String, Tensor) throws -> Void) rethrows {
        try visit(ParameterName.joining(prefix, "packed"), wrapped.weight)
    }
    mutating func updateParameters(prefix: String, _ update: (String, inout Tensor) throws -> Void) rethrows {
        try update(ParameterName.joining(prefix, "packed"), &wrapped.weight)
    }
}
