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
        let environment = ProcessInfo.processInfo.environment
        guard environment["MINICPM_LLAMA_CPP"] == "1" else {
            throw XCTSkip("set MINICPM_LLAMA_CPP=1 to run the saved MoE GGUF in llama.cpp")
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let data = environment["MINICPM_DATA"].map { URL(fileURLWithPath: $0) } ?? repository.appendingPathComponent(".data")
        let python = environment["MINICPM_LLAMA_CPP_PYTHON"].map { URL(fileURLWithPath: $0) }
            ?? data.appendingPathComponent("llama-venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else { throw XCTSkip("no Python at \(python.path)") }
        let output = environment["MINICPM_LLAMA_CPP_OUT"].map { URL(fileURLWithPath: $0) } ?? directory!
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)

        let fixture = fixtureURL("moe-e8-k2-untied")
        let model = try MiniCPM(directory: fixture)
        let expected = try ExpectedOutput(fixture: "moe-e8-k2-untied")
        let script = repository.appendingPathComponent("Benchmarks/llama_cpp/logits_gguf.py")
        // F32: llama.cpp computes in float32 like this library, so both are the reference to float32
        // rounding. Q8_0: llama.cpp also rounds the activations to 8-bit blocks for its Q8_0 products
        // (this library dequantises the weights instead), and this random fixture amplifies that
        // rounding (attention and top-2 routing flips: 3.8 at 2 of 14 positions when measured), so
        // Q8_0 only has to run and give finite logits; the difference is printed.
        for (type, bound) in [(GGUFTensorType.f32, Float(1e-4)), (.q8_0, .infinity)] {
            let url = output.appendingPathComponent("moe-e8-k2-untied.\(type).gguf")
            try model.saveGGUF(to: url, type: type)
            let mine = try withoutGradients { try MiniCPM(ggufFile: url).logits(for: expected.ids) }
            let result = try run(python, [script.path, url.path, "--ids", expected.ids.map(String.init).joined(separator: ","),
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

    private func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // stderr (llama.cpp's loading log) goes to a file, so that neither pipe can fill and block.
        let log = directory.appendingPathComponent("\(UUID().uuidString).log")
        try Data().write(to: log)
        let pipe = Pipe(), errors = try FileHandle(forWritingTo: log)
        process.standardOutput = pipe
        process.standardError = errors
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try errors.close()
        if process.terminationStatus != 0 { print(String(decoding: try Data(contentsOf: log), as: UTF8.self)) }
        return (process.terminationStatus, output)
    }
}
