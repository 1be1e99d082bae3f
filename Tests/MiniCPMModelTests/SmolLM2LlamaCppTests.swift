import Foundation
import MiniCPMModel
import TensorCore
import TestSupport
import XCTest

/// SmolLM2-135M-Instruct saved by ``MiniCPM/saveGGUF(to:type:tokenizer:)`` as Q4_0 and Q8_0, with the
/// tokenizer of the file it came from, runs in llama.cpp (`Benchmarks/llama_cpp/run_gguf.py`), and
/// the suite reads the same files back. Opt-in (`MINICPM_LLAMA_CPP=1`): it needs SmolLM2 (`make
/// data`) and llama-cpp-python in `$MINICPM_DATA/llama-venv`, and takes minutes in a debug build.
/// `MINICPM_LLAMA_CPP_OUT` keeps the files in that directory; `MINICPM_LLAMA_CPP_PYTHON` names
/// another Python with `llama_cpp`.
final class SmolLM2LlamaCppTests: TemporaryDirectoryTestCase {
    private static let prompt = "The capital of France is"
    private static let tokenCount = 16

    func testSavedSmolLM2RunsInLlamaCpp() throws {
        let source = try smolLM2URL()
        let peer = try LlamaCppPeer(skippingUnlessEnabled: "save SmolLM2 as Q4_0/Q8_0 and run it in llama.cpp",
                                    data: source.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent(),
                                    scratch: directory!)
        let output = peer.output

        let file = try GGUFFile(contentsOf: source)
        let model = try MiniCPM(gguf: file)
        let tokenizer = file.metadata(withPrefix: "tokenizer.")
        var suite: [String: GeneratedText] = [:]
        var paths: [String] = []
        // F32 checks the metadata and layout alone: llama.cpp computes F32 products in float, so its
        // greedy tokens are the suite's. The block types add llama.cpp's own rounding (it quantises
        // the activations to Q8_0 for products with Q4_0/Q8_0 weights), so their text is reported.
        for type: GGUFTensorType in [.f32, .q8_0, .q4_0] {
            let url = output.appendingPathComponent("SmolLM2-135M-Instruct.\(type).gguf")
            try model.saveGGUF(to: url, type: type, tokenizer: tokenizer)
            let generated = try LanguageModel(ggufFile: url).generate(.text(Self.prompt), parameters: .greedy(maxTokens: Self.tokenCount))
            suite[url.path] = generated
            paths.append(url.path)
        }
        let original = try LanguageModel(ggufFile: source).generate(.text(Self.prompt), parameters: .greedy(maxTokens: Self.tokenCount))
        print("suite, original Q4_1 file: \(Self.prompt)|\(original.text)")
        for path in paths {
            let generated = suite[path]!
            print("suite, \(URL(fileURLWithPath: path).lastPathComponent): \(Self.prompt)|\(generated.text) \(generated.summary.tokens) (\(generated.summary.stopReason))")
        }
        guard try peer.run(["-c", "import llama_cpp"]).status == 0 else {
            throw XCTSkip("llama-cpp-python is not installed in \(peer.python.path); the files were saved and read back")
        }

        let result = try peer.run([LlamaCppPeer.script("run_gguf.py").path] + paths + ["--prompt", Self.prompt, "--tokens", "\(Self.tokenCount)"])
        XCTAssertEqual(result.status, 0, result.output)
        let runs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]], result.output)
        XCTAssertEqual(runs.count, paths.count)
        for run in runs {
            let path = try XCTUnwrap(run["file"] as? String)
            let text = try XCTUnwrap(run["text"] as? String)
            XCTAssertEqual(run["architecture"] as? String, "minicpm")
            XCTAssertFalse(text.isEmpty, path)
            let tokens = try XCTUnwrap(run["tokens"] as? [Int])
            print("llama.cpp, \(URL(fileURLWithPath: path).lastPathComponent): \(Self.prompt)|\(text) \(tokens)")
            if path.hasSuffix(".F32.gguf"), let mine = suite[path]?.summary.tokens {
                let n = min(tokens.count, mine.count)
                XCTAssertEqual(Array(tokens.prefix(n)), Array(mine.prefix(n)), "llama.cpp and the suite on the F32 file")
            }
        }
    }
}
