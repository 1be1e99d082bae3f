import Foundation

extension DatasetLoader {
    /// BIG-Bench Hard (suzgunmirac/BIG-Bench-Hard, `bbh/<task>.json`): one JSON object per task,
    /// `{"canary": ..., "examples": [{"input": ..., "target": ...}]}`. The input is the whole question —
    /// for the multiple-choice tasks its options are inside it, as `Options:\n(A) ...` — and the
    /// target the exact answer (`(C)`, `True`, `valid`, `24`, ...), compared by exact match. The task
    /// is the file's name; the id is `<task>/<n>` counting from 1.
    ///
    /// The shape follows the repository's `bbh/*.json` files (e.g. `bbh/movie_recommendation.json`).
    public static func bbh(path: String, maximumBytes: Int = GzipReader.defaultMaximumBytes) throws -> [GenerationItem] {
        let data = try GzipReader.contents(ofFile: path, maximumBytes: maximumBytes)
        let file: BBHFile
        do {
            file = try JSONDecoder().decode(BBHFile.self, from: data)
        } catch let error as DecodingError {
            throw EvaluationError.invalidFile(path: path, reason: "not a BBH task file ({\"examples\": [{\"input\", \"target\"}]}): \(JSONLines.describe(error))")
        } catch {
            throw EvaluationError.invalidFile(path: path, reason: "not a BBH task file: \(error)")
        }
        let task = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try file.examples.enumerated().map { offset, example in
            guard !example.input.isEmpty, !example.target.isEmpty else {
                throw EvaluationError.invalidFile(path: path, reason: "example \(offset + 1): empty \(example.input.isEmpty ? "input" : "target")")
            }
            return GenerationItem(id: "\(task)/\(offset + 1)", question: example.input, reference: example.target, subject: task)
        }
    }

    /// The chain-of-thought prompt of a BBH task (`bbh/cot-prompts/<task>.txt` under the data folder),
    /// or nil when the user's copy has none.
    public func bbhChainOfThoughtPrompt(task: String) throws -> BBHChainOfThoughtPrompt? {
        let candidates = ["bbh/cot-prompts", "bbh/data/cot-prompts"].map { "\(dataRoot)/\($0)/\(task).txt" }
        guard let path = candidates.first(where: FileManager.default.fileExists) else { return nil }
        return try BBHChainOfThoughtPrompt(path: path, maximumBytes: limits.maximumBytes)
    }

    private struct BBHFile: Decodable {
        struct Example: Decodable {
            let input: String
            let target: String
        }
        let examples: [Example]
    }
}
