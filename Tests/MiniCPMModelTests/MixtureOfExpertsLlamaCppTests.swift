import Foundation
import MiniCPMModel
import TensorCore
import XCTest

/// The `moe-e8-k2-untied` fixture saved by ``MiniCPM/saveGGUF(to:type:tokenizer:)`` as F32 and Q8_0
/// runs in llama.cpp (`Benchmarks/llama_cpp/logits_gguf.py`, ids fed directly, F32 KV cache), and
/// llama.cpp's logits are compared with the float64 numpy reference and with this library's logits
/// from the same file. Opt-in (`MINICPM_LLAMA_CPP=1`): it needs llama-cpp-python in
/// `$MINICPM_DATA/llama-venv` (or `MINICPM_LLAMA_CPP_PYTHON`); `MINICPM_LLAMA_CPP_OUT` keeps the
/// files. (`GGUFMixtureOfExpertsTests` checks a committed copy of llama.cpp's F32 logits always.)
final class MixtureOfExpertsLlamaCppTests: TemporaryDirectoryTestCase {
    func testSavedMixtureOfExpertsRunsInLlamaCpp() throws {
        let peer = try LlamaCppPeer(skippingUnlessEnabled: "run the saved MoE GGUF in llama.cpp", scratch: directory!)
        let output = peer.output

        let fixture = fixtureURL("moe-e8-k2-untied")
        let model = try MiniCPM(directory: fixture)
        let expected = try ExpectedOutput(fixture: "moe-e8-k2-untied")
        let script = LlamaCppPeer.script("logits_gguf.py")
        // F32: llama.cpp computes in float32 like this library, so both are the reference to float32
        // rounding. Q8_0: llama.cpp also rounds the activations to 8-bit blocks for its Q8_0 products
        // (this library dequantises the weights instead), and this random fixture amplifies that
        // rounding (attention and top-2 routing flips: 3.8 at 2 of 14 positions when measured), so
        // Q8_0 only has to run and give finite logits; the difference is printed.
        for (type, bound) in [(GGUFTensorType.f32, Float(1e-4)), (.q8_0, .infinity)] {
            let url = output.appendingPathComponent("moe-e8-k2-untied.\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let mine = try withoutGradients { try MiniCPM(ggufFile: url).logits(for: expected.ids) }
            let result = try peer.run([script.path, url.path, "--ids", expected.ids.map(String.init).joined(separator: ","),
                                          "--reference", fixture.appendingPathComponent("expected.safetensors").path])
            XCTAssertEqual(result.status, 0, result.output)
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
            let rows = try XCTUnwrap(json["logits"] as? [[Double]])
            let llamaCpp = Tensor(shape: [rows.count, rows.first?.count ?? 0], scalars: rows.flatMap { $0.map(Float.init) })
            let againstReference = maxAbsDifference(llamaCpp, expected.logits)
            let againstSuite = maxAbsDifference(llamaCpp, mine)
            let suiteAgainstReference = maxAbsDifference(mine, expected.logits)
            print("llama.cpp \(type): max |Δlogit| against the float64 reference \(againstReference), against this library \(againstSuite); this library against the reference \(suiteAgainstReference); argmax agrees: \(json["argmax_agrees"] ?? "?")")
            XCTAssertEqual(json["architecture"] as? String, "minicpm")
            XCTAssertTrue(llamaCpp.scalars.allSatisfy(\.isFinite), "\(type)")
            XCTAssertEqual(llamaCpp.shape, expected.logits.shape)
            XCTAssertLessThan(againstReference, bound, "\(type): llama.cpp against the float64 reference")
            XCTAssertLessThan(againstSuite, bound, "\(type): llama.cpp against this library")
        }
    }
}
