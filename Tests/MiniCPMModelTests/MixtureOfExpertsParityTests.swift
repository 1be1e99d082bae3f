import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// MiniCPM-MoE checkpoints (`Fixtures/moe-*`, made by `make_checkpoint.py --num-experts E
/// --num-experts-per-tok K`; command lines in `Fixtures/README.md`) against the float64 numpy
/// reference: full forward and KV-cached logits within 1e-4, greedy ids equal. Also what loading
/// builds from them (names, roles, counts) and the refusals around them.
final class MixtureOfExpertsParityTests: XCTestCase {
    /// Top-1 of 4 experts (the renormalised weight is 1), GQA 4/2, tied embeddings.
    func testTopOneOfFourExperts() throws { try checkParity("moe-e4-k1") }

    /// Top-2 of 8 experts, untied LM head, GQA 4/2, expert intermediate size 32.
    func testTopTwoOfEightExpertsUntiedHead() throws { try checkParity("moe-e8-k2-untied") }

    /// All 4 experts per token (k = E: a softmax-weighted sum of every expert), plain multi-head attention.
    func testAllFourExpertsMultiHead() throws { try checkParity("moe-e4-k4-multi-head") }

    /// Loading builds a ``MixtureOfExperts`` per layer whose names are the checkpoint's, whose
    /// router has the router role, and whose expert projections are linear layers a quantizer sees.
    func testLoadedStructureNamesAndRoles() throws {
        let model = try MiniCPM(directory: fixtureURL("moe-e8-k2-untied"))
        let block = try XCTUnwrap(model.layers[1].feedForward as? MixtureOfExperts)
        XCTAssertEqual(block.experts.count, 8)
        XCTAssertEqual(block.expertsPerToken, 2)
        XCTAssertEqual(block.routerWeight.shape, [8, 64])

        let roles = Dictionary(uniqueKeysWithValues: model.parameterRoles.map { ($0.name, $0.role) })
        XCTAssertEqual(roles["model.layers.1.mlp.gate.weight"], .router)
        XCTAssertEqual(roles["model.layers.1.mlp.experts.7.w2.weight"], .linearWeight)
        XCTAssertNil(roles["model.layers.1.mlp.gate_proj.weight"])

        let linear = model.linearLayers.map(\.name)
        XCTAssertEqual(linear.filter { $0.hasPrefix("model.layers.0.mlp.") },
                       (0..<8).flatMap { e in ["w1", "w2", "w3"].map { "model.layers.0.mlp.experts.\(e).\($0)" } })
        XCTAssertFalse(linear.contains("model.layers.0.mlp.gate"), "the router stays a float tensor")

        let declarations = Dictionary(uniqueKeysWithValues: model.tensorDeclarations.map { ($0.name, $0) })
        XCTAssertEqual(declarations["model.layers.0.mlp.gate.weight"]?.ggufName, "blk.0.ffn_gate_inp.weight")
        XCTAssertEqual(declarations["model.layers.0.mlp.experts.3.w1.weight"]?.shape, [32, 64])
        XCTAssertNil(declarations["model.layers.0.mlp.experts.3.w1.weight"]?.ggufName)
    }

    /// Total and active parameter counts: the loaded model's tensors add up to the configuration's
    /// count, and one token uses the router plus 2 of the 8 experts, counted by hand.
    func testParameterCounts() throws {
        let model = try MiniCPM(directory: fixtureURL("moe-e8-k2-untied"))
        let c = model.configuration
        XCTAssertEqual(model.parameterCount, c.nonEmbeddingParameterCount + 2 * 256 * 64)
        XCTAssertEqual(model.parameterCount, 156_992, "make_checkpoint.py's count")
        // Per layer: q, o 64×64; k, v 32×64; norms 2×64; router 8×64; experts 3·64·32 each.
        let attention = 2 * 64 * 64 + 2 * 32 * 64, norms = 2 * 64, router = 8 * 64, expert = 3 * 64 * 32
        XCTAssertEqual(c.nonEmbeddingParameterCount, 2 * (attention + norms + router + 8 * expert) + 64)
        XCTAssertEqual(c.activeNonEmbeddingParameterCount, 2 * (attention + norms + router + 2 * expert) + 64)
        let dense = try MiniCPM(directory: fixtureURL("untied-head")).configuration
        XCTAssertEqual(dense.activeNonEmbeddingParameterCount, dense.nonEmbeddingParameterCount)
    }

    /// Saving and loading again gives the same parameters under the same names, and the same logits.
    func testSaveAndReloadRoundTrip() throws {
        let model = try MiniCPM(directory: fixtureURL("moe-e4-k1"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moe-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory)
        let reloaded = try MiniCPM(directory: directory)
        XCTAssertEqual(reloaded.configuration, model.configuration)
        XCTAssertEqual(reloaded.namedParameters.map(\.name), model.namedParameters.map(\.name))
        for (a, b) in zip(reloaded.namedParameters, model.namedParameters) { XCTAssertEqual(a.value, b.value, a.name) }
        let ids = [5, 9, 200, 31]
        XCTAssertEqual(try withoutGradients { try reloaded.logits(for: ids) }, try withoutGradients { try model.logits(for: ids) })
    }

    /// A freshly initialised MoE model declares its router and experts (no longer refused).
    func testRandomInitialisationBuildsExperts() throws {
        var c = MiniCPMConfiguration(vocabularySize: 64, hiddenSize: 32, intermediateSize: 16, layerCount: 2,
                                     attentionHeadCount: 4, keyValueHeadCount: 2)
        c.expertCount = 6
        c.expertsPerToken = 3
        let model = try MiniCPM(configuration: c, seed: 3)
        XCTAssertEqual(model.parameterCount, c.nonEmbeddingParameterCount + 64 * 32)
        XCTAssertEqual(try MiniCPM.tensorDeclarations(for: c).filter { $0.role == .router }.map(\.name),
                       ["model.layers.0.mlp.gate.weight", "model.layers.1.mlp.gate.weight"])
        let logits = try withoutGradients { try model.logits(for: [1, 2, 3]) }
        XCTAssertEqual(logits.shape, [3, 64])
        XCTAssertTrue(logits.scalars.allSatisfy(\.isFinite))
    }

    /// A `num_experts` larger than the experts stored is refused before anything per expert is
    /// built, naming the file and both counts.
    func testExpertCountBeyondTheWeightsIsATypedError() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moe-count-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtureURL("moe-e4-k1"), to: directory)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as! [String: Any]
        json["num_experts"] = 1_000_000_000
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        XCTAssertThrowsError(try MiniCPM(directory: directory)) { error in
            guard case let .configuration(.inFile(path, .inconsistent(what))) = error as? CheckpointError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, config.path)
            XCTAssertTrue(what.contains("num_experts is 1000000000") && what.contains("experts.3"), what)
        }
    }

    /// GGUF: writing an MoE model is refused with a reason (llama.cpp's stacked expert tensors are
    /// not produced), not a crash or a file llama.cpp cannot read.
    func testGGUFSaveIsRefused() throws {
        let model = try MiniCPM(directory: fixtureURL("moe-e4-k1"))
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("moe-\(UUID().uuidString).gguf")
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try model.saveGGUF(to: url)) { error in
            guard case let .writeFailed(path, reason) = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(reason.contains("mixture-of-experts") && reason.contains("ffn_*_exps"), reason)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
