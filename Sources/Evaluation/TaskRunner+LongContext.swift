import Foundation
import MiniCPMModel

extension TaskRunner {
    /// Runs a generated long-context task: the items of `settings` (``LongContextGenerator``) with
    /// the model's tokenizer, each answered greedily and scored by ``LongContextAnswer``. A context
    /// length beyond the model's context is not generated: its items are counted as skipped, the
    /// result's notes say why, and the accuracy is over the items that ran. Instances are logged and
    /// resumed by id and prompt (so another `--context-length` list reuses the lengths already run).
    func runLongContext(_ task: TaskSpecification, settings: LongContextSettings, limit: Int?, outputDirectory: URL?,
                        progress: ((Int, Int) -> Void)?) throws(EvaluationError) -> TaskResult {
        guard let generation = task.generation else {
            throw .invalidSetting(task: task.name, field: "generation", reason: "required for a synthetic task")
        }
        let generator = LongContextGenerator(settings: settings, answerTokens: generation.maxTokens)
        var notes: [String] = []
        // Coordinates of every item, in the generator's order; --limit keeps the first ones.
        var coordinates: [(length: Int, depth: Double, repetition: Int)] = []
        for length in settings.contextLengths {
            for depth in settings.depths { for repetition in 0..<settings.count { coordinates.append((length, depth, repetition)) } }
        }
        if let limit, limit < coordinates.count {
            notes.append("first \(limit) of \(coordinates.count) items (--limit \(limit))")
            coordinates = Array(coordinates.prefix(limit))
        }
        let modelLimit = model.contextLength
        let fits = { (length: Int) in modelLimit.map { length <= $0 } ?? true }
        for length in Set(coordinates.map(\.length)).sorted() where !fits(length) {
            let count = coordinates.filter { $0.length == length }.count
            notes.append("context length \(length): \(count) items skipped, too long for the model's context of \(modelLimit ?? 0) tokens")
        }
        let model = self.model
        var items: [Int: LongContextItem] = [:]
        for (index, c) in coordinates.enumerated() where fits(c.length) {
            items[index] = try generator.item(contextLength: c.length, depth: c.depth, repetition: c.repetition) { (text: String) throws(EvaluationError) -> Int in
                try model.contextTokens(for: text).count
            }
        }

        var log: InstanceLog?
        var logged: [InstanceRecord] = []
        if let outputDirectory { (log, logged) = try InstanceLog.open(task: task.name, in: outputDirectory) }
        let byID = Dictionary(items.values.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var reused: [String: InstanceRecord] = [:]
        for record in logged where byID[record.id]?.prompt == record.prompt { reused[record.id] = record }
        // Records of these items made from another prompt (another tokenizer or answer length) go;
        // records of lengths not in this run stay for a later one.
        let stale = logged.filter { byID[$0.id] != nil && reused[$0.id] == nil }
        if let log, !stale.isEmpty { try log.replace(with: logged.filter { byID[$0.id] == nil || reused[$0.id] != nil }) }

        var records: [Int: InstanceRecord] = [:]
        for (index, item) in items { if var record = reused[item.id] { record.index = index; records[index] = record } }
        progress?(records.count, items.count)
        for index in items.keys.sorted() where records[index] == nil {
            let item = items[index]!
            let output = try generate(item.prompt, generation, seed: 0).text
            var record = InstanceRecord(index: index, id: item.id, prompt: item.prompt, reference: item.answer,
                                        correct: LongContextAnswer.isCorrect(output, expected: item.answer, kind: item.kind))
            record.output = output
            record.extracted = LongContextAnswer.extracted(from: output, kind: item.kind)
            record.contextLength = item.contextLength
            record.depth = item.depth
            record.promptTokenCount = item.promptTokenCount
            try log?.append(record)
            records[index] = record
            progress?(records.count, items.count)
        }

        var cells: [TaskResult.LengthDepthCell] = []
        for (index, c) in coordinates.enumerated() {
            let position = cells.firstIndex { $0.contextLength == c.length && $0.depth == c.depth } ?? {
                cells.append(.init(contextLength: c.length, depth: c.depth, correct: 0, scored: 0, skipped: 0))
                return cells.count - 1
            }()
            if let record = records[index] {
                cells[position].scored += 1
                if record.correct { cells[position].correct += 1 }
            } else {
                cells[position].skipped += 1
            }
        }
        func accuracy(_ selected: [TaskResult.LengthDepthCell]) -> Double? {
            let scored = selected.reduce(0) { $0 + $1.scored }
            return scored == 0 ? nil : Double(selected.reduce(0) { $0 + $1.correct }) / Double(scored)
        }
        var metrics: [TaskResult.Metric] = []
        let overall = accuracy(cells)
        if let overall { metrics.append(.init(name: "accuracy", value: overall)) }
        for length in settings.contextLengths {
            if let value = accuracy(cells.filter { $0.contextLength == length }) { metrics.append(.init(name: "accuracy@\(length)", value: value)) }
        }
        notes.append("\(settings.kind.rawValue), seed \(settings.seed), \(settings.count) per depth; prompts fill each context length less the \(generation.maxTokens) answer tokens")
        return TaskResult(task: task.name, dataset: "synthetic:\(settings.kind.rawValue)", split: "generated", count: records.count,
                          shots: 0, metrics: metrics, score: overall, scoreMetric: "accuracy", generative: task.isGenerative,
                          chinese: task.isChinese, notes: notes, countsInAverages: task.countsInAverages, cells: cells)
    }
}
