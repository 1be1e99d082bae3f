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
        let scores = results.filter { $0.countsInAverages && include($0) }.compactMap(\.score)
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

    /// A Markdown table: task, metric, score (percent, two decimals; perplexity tasks' values as
    /// they are, four decimals, marked "not averaged"), n; then the averages, then the notes, then
    /// each long-context task's accuracy by context length and depth.
    public var markdown: String {
        func percent(_ value: Double?) -> String { value.map { String(format: "%.2f", $0 * 100) } ?? "n/a" }
        func plain(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "n/a" }
        var lines = ["| Task | Metric | Score | n |", "|---|---|---:|---:|"]
        let averaged = results.filter { $0.countsInAverages && $0.score != nil }
        for result in results {
            let format = result.cells == nil && !result.countsInAverages ? plain : percent
            let others = result.metrics.filter { $0.name != result.scoreMetric }
                .map { "\($0.name) \(format($0.value))" }.joined(separator: ", ")
            var metric = others.isEmpty ? result.scoreMetric : "\(result.scoreMetric) (\(others))"
            if !result.countsInAverages { metric += ", not averaged" }
            lines.append("| \(result.task) | \(metric) | \(format(result.score)) | \(result.count) |")
        }
        lines.append("| **Avg** | all tasks | \(percent(average)) | \(averaged.count) |")
        lines.append("| **Avg_gen** | generation tasks | \(percent(generationAverage)) | \(averaged.filter(\.generative).count) |")
        lines.append("| **Avg_chn** | Chinese tasks | \(percent(chineseAverage)) | \(averaged.filter(\.chinese).count) |")
        let notes = results.flatMap { result in result.notes.map { "- \(result.task): \($0)" } }
        var text = "Model: \(model)\n\n" + lines.joined(separator: "\n") + "\n" + (notes.isEmpty ? "" : "\n" + notes.joined(separator: "\n") + "\n")
        for result in results { if let cells = result.cells { text += "\n" + Self.grid(task: result.task, cells) } }
        return text
    }

    /// A long-context task's table: one row per context length, one column per depth, each cell
    /// `correct/scored`, or "too long" when the length exceeds the model's context.
    static func grid(task: String, _ cells: [TaskResult.LengthDepthCell]) -> String {
        var lengths: [Int] = [], depths: [Double] = []
        for cell in cells {
            if !lengths.contains(cell.contextLength) { lengths.append(cell.contextLength) }
            if !depths.contains(cell.depth) { depths.append(cell.depth) }
        }
        var lines = ["\(task): correct answers by context length (tokens) and needle depth", "",
                     "| length | " + depths.map { String(format: "%g%%", $0 * 100) }.joined(separator: " | ") + " | accuracy |",
                     "|---:|" + String(repeating: "---:|", count: depths.count + 1)]
        for length in lengths {
            let row = cells.filter { $0.contextLength == length }
            let values = depths.map { depth -> String in
                guard let cell = row.first(where: { $0.depth == depth }) else { return "" }
                return cell.scored == 0 && cell.skipped > 0 ? "too long" : "\(cell.correct)/\(cell.scored)"
            }
            let scored = row.reduce(0) { $0 + $1.scored }, correct = row.reduce(0) { $0 + $1.correct }
            let accuracy = scored == 0 ? "n/a" : String(format: "%.1f%%", 100 * Double(correct) / Double(scored))
            lines.append("| \(length) | " + values.joined(separator: " | ") + " | \(accuracy) |")
        }
        return lines.joined(separator: "\n") + "\n"
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
