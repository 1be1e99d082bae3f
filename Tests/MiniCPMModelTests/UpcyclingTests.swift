import Foundation
import TestSupport
import MiniCPMModel
import TensorCore
import XCTest

/// Sparse upcycling: a dense model turned into a mixture of copies of its MLP starts where the dense
/// model is.
final class UpcyclingTests: XCTestCase {
    func zeroingRouters(_ model: MiniCPM) -> MiniCPM {
        var copy = model
        copy.updateParameters(prefix: "") { name, t in
            if name.hasSuffix("mlp.gate.weight") { t = Tensor.zeros(t.shape) }
        }
        return copy
    }

    /// With the routers zeroed every probability is exactly 1/E, so ties send each token to experts
    /// 0..<k, each weighted (1/E) / (k/E). For k = 1 and 2 that weight is exactly 1 or ½ and the
    /// sum of the k identical expert outputs (same weights, same rows, same BLAS call) reproduces
    /// the dense output bit for bit, so the logits are equal exactly. For other k (3 of 6, 4 of 4)
    /// the weight 1/k and the k-term sum round, so they agree to float rounding only.
    func testZeroRouterReproducesTheDenseModel() throws {
        let dense = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let ids = [1, 57, 300, 12, 499, 8, 250]
        let expected = try withoutGradients { try dense.logits(for: ids) }
        for (experts, k) in [(8, 2), (4, 1), (5, 2)] {
            let moe = zeroingRouters(try dense.upcycled(experts: experts, activePerToken: k))
            XCTAssertEqual(try withoutGradients { try moe.logits(for: ids) }, expected, "E=\(experts), k=\(k): exact")
            let cache = KVCache(configuration: moe.configuration)
            let denseCache = KVCache(configuration: dense.configuration)
            for id in ids {
                XCTAssertEqual(try withoutGradients { try moe.logits(for: [id], cache: cache) },
                               try withoutGradients { try dense.logits(for: [id], cache: denseCache) })
            }
        }
        for (experts, k) in [(6, 3), (4, 4)] {
            let moe = zeroingRouters(try dense.upcycled(experts: experts, activePerToken: k))
            let logits = try withoutGradients { try moe.logits(for: ids) }
            XCTAssertLessThan(maxAbsDifference(logits, expected), 1e-5, "E=\(experts), k=\(k): float rounding")
        }
    }

    /// The upcycled model: every expert holds the dense MLP's weights, the routers are drawn from
    /// N(0, 0.01²) (sample standard deviation within 10%), the configuration says E and k, and the
    /// checkpoint it saves loads back with the same logits.
    func testUpcycledModelStructureAndCheckpoint() throws {
        let dense = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        let moe = try dense.upcycled(experts: 8, activePerToken: 2, routerStandardDeviation: 0.01, seed: 5)
        XCTAssertEqual(moe.configuration.expertCount, 8)
        XCTAssertEqual(moe.configuration.expertsPerToken, 2)
        let parameters = Dictionary(uniqueKeysWithValues: moe.namedParameters.map { ($0.name, $0.value) })
        let denseParameters = Dictionary(uniqueKeysWithValues: dense.namedParameters.map { ($0.name, $0.value) })
        for e in [0, 7] {
            XCTAssertEqual(parameters["model.layers.2.mlp.experts.\(e).w1.weight"], denseParameters["model.layers.2.mlp.gate_proj.weight"])
            XCTAssertEqual(parameters["model.layers.2.mlp.experts.\(e).w2.weight"], denseParameters["model.layers.2.mlp.down_proj.weight"])
            XCTAssertEqual(parameters["model.layers.2.mlp.experts.\(e).w3.weight"], denseParameters["model.layers.2.mlp.up_proj.weight"])
        }
        let routers = (0..<4).flatMap { parameters["model.layers.\($0).mlp.gate.weight"]!.scalars }
        let mean = routers.reduce(0, +) / Float(routers.count)
        let std = (routers.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(routers.count)).squareRoot()
        XCTAssertEqual(std, 0.01, accuracy: 0.001)
        XCTAssertEqual(mean, 0, accuracy: 0.001)
        XCTAssertNotEqual(parameters["model.layers.0.mlp.gate.weight"], parameters["model.layers.1.mlp.gate.weight"])

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upcycled-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try moe.save(to: directory)
        let reloaded = try MiniCPM(directory: directory)
        XCTAssertEqual(try withoutGradients { try reloaded.logits(for: [3, 4, 5]) }, try withoutGradients { try moe.logits(for: [3, 4, 5]) })
    }

    /// Only a dense model upcycles, into a valid expert count.
    func testRefusals() throws {
        let dense = try MiniCPM(directory: fixtureURL("tiny-minicpm"))
        XCTAssertThrowsError(try dense.upcycled(experts: 4, activePerToken: 5)) {
            XCTAssertEqual($0 as? MiniCPMConfigurationError, .inconsistent("num_experts_per_tok 5 must lie in 1...num_experts 4"))
        }
        XCTAssertThrowsError(try dense.upcycled(experts: 0, activePerToken: 0)) {
            guard case .invalidValue(key: "num_experts", _) = $0 as? MiniCPMConfigurationError else { return XCTFail("\($0)") }
        }
        let moe = try MiniCPM(directory: fixtureURL("moe-e4-k1"))
        XCTAssertThrowsError(try moe.upcycled(experts: 8, activePerToken: 2)) {
            guard case let .inconsistent(what) = $0 as? MiniCPMConfigurationError else { return XCTFail("\($0)") }
            XCTAssertTrue(what.contains("layer 0") && what.contains("MixtureOfExperts"), what)
        }
    }
}

/// `minicpm upcycle` writes a Hugging Face directory that loads as the library's upcycled model.
final class UpcycleCommandTests: XCTestCase {
    func testUpcycleCommandWritesTheUpcycledCheckpoint() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("upcycle-cli-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let source = fixtureURL("tiny-minicpm")
        let (status, output) = try CommandLineTool.run(["upcycle", "--model", source.path, "--experts", "8", "--active", "2",
                                                        "--seed", "3", "--out", out.path])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("8 experts, 2 per token"), output)
        let written = try MiniCPM(directory: out)
        let expected = try MiniCPM(directory: source).upcycled(experts: 8, activePerToken: 2, seed: 3)
        XCTAssertEqual(written.configuration, expected.configuration)
        XCTAssertEqual(try withoutGradients { try written.logits(for: [4, 99, 7]) }, try withoutGradients { try expected.logits(for: [4, 99, 7]) })

        let (refused, message) = try CommandLineTool.run(["upcycle", "--model", source.path, "--experts", "4", "--active", "6", "--out", out.path])
        XCTAssertNotEqual(refused, 0)
        XCTAssertTrue(message.contains("num_experts_per_tok 6 must lie in 1...num_experts 4"), message)
    }
}
