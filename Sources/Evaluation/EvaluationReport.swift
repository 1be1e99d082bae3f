import Foundation

/// The scores of a run: every task's result and the paper's averages (Table 3 of the MiniCPM
/// paper): Avg over all tasks, Avg_gen over the generation tasks, Avg_chn over the Chinese ones
/// (and Avg_en over the rest). A task without a score (a code task without sandbox) is left out
/// of every average, and the report says so.
public struct EvaluationReport: Codable, Sendable, Equatable {
    /// The model evaluated.
    public var model: String
    /// The task results, in run order.
    public var results: [TaskResult]

    public init(model: String, results: [TaskResult]) {
        self.model = model
        self.results = results
    }

    /// The mean score of the scored tasks among `results` that pass `include`, or nil when none.
    private func mean(_ include: (TaskResult) -> Bool) -> Double? {
        let scores = results.filter(include).compactMap(\.score)
        return scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
    }

    /// The mean score of all scored tasks.
    public var average: Double? { mean { _ in true } }
    /// The mean over generation tasks (HumanEval, MBPP, GSM8K, MATH, ...).
    public var generationAverage: Double? { mean(\.generative) }
    /// The mean over Chinese tasks (C-Eval, CMMLU).
    public var chineseAverage: Double? { mean(\.chinese) }
    /// The mean over the other tasks.
    public var englishAverage: Double? { mean { !$0.chinese } }

    /// The averages by name, as the JSON report writes them.
    public var averages: [String: Double] {
        var values: [String: Double] = [:]
        values["Avg"] = average
        values["Avg_gen"] = generationAverage
        values["Avg_chn"] = chineseAverage
        values["Avg_en"] = englishAverage
        return values
    }

    /// A Markdown table: task, metric, score (percent, two decimals), n; then the averages, then
    /// the notes.
    public var markdown: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f", $0 * 100) } ?? "n/a" }
        var lines = ["| Task | Metric | Score | n |", "|---|---|---:|---:|"]
        for result in results {
            let others = result.metrics.filter { $0.name != result.scoreMetric }
                .map { "\($0.name) \(percent($0.value))" }.joined(separator: ", ")
            let metric = others.isEmpty ? result.scoreMetric : "\(result.scoreMetric) (\(others))"
            lines.append("| \(result.task) | \(metric) | \(percent(result.score)) | \(result.count) |")
        }
        lines.append("| **Avg** | all tasks | \(percent(average)) | \(results.filter { $0.score != nil }.count) |")
        lines.append("| **Avg_gen** | generation tasks | \(percent(generationAverage)) | \(results.filter { $0.generative && $0.score != nil }.count) |")
        lines.append("| **Avg_chn** | Chinese tasks | \(percent(chineseAverage)) | \(results.filter { $0.chinese && $0.score != nil }.count) |")
        let notes = results.flatMap { result in result.notes.map { "- \(result.task): \($0)" } }
        return "Model: \(model)\n\n" + lines.joined(separator: "\n") + "\n" + (notes.isEmpty ? "" : "\n" + notes.joined(separator: "\n") + "\n")
    }

    /// The report as JSON (results and averages).
    public func json() throws(EvaluationError) -> Data {
        struct Document: Encodable {
            var model: String
            var results: [TaskResult]
            var averages: [String: Double]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do { return try encoder.encode(Document(model: model, results: results, averages: averages)) } catch {
            throw .invalidArgument(name: "report", value: model, requirement: "encodable as JSON (\(error))")
        }
    }

    /// Writes `report.md` and `report.json` into `directory`, each atomically (a reader never sees
    /// half a report).
    public func write(to directory: URL) throws(EvaluationError) {
        let json = try json()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(markdown.utf8).write(to: directory.appendingPathComponent("report.md"), options: .atomic)
            try json.write(to: directory.appendingPathComponent("report.json"), options: .atomic)
        } catch {
            throw .invalidFile(path: directory.path, reason: "cannot write the report: \(error.localizedDescription)")
        }
    }
}
