import Foundation

extension TaskRunner {
    /// Runs a `perplexity` task: each document of `source` measured by ``TextPerplexity`` with a
    /// window of `source.window` tokens (default and cap: the model's context; 2048 when it has
    /// none) moved by `source.stride` (default half the window), logged and resumed per document.
    /// The task's metrics pool the documents (total `−log P` over total tokens, words and bytes, as
    /// lm-evaluation-harness's WikiText); none counts in the averages unless the task file says so.
    func runPerplexity(_ task: TaskSpecification, source: TextSource, limit: Int?, outputDirectory: URL?,
                       progress: ((Int, Int) -> Void)?) throws(EvaluationError) -> TaskResult {
        let all = try source.documents()
        let documents = limit.map { Array(all.prefix($0)) } ?? all
        var notes: [String] = []
        if let limit, limit < all.count { notes.append("first \(documents.count) of \(all.count) documents (--limit \(limit))") }
        let modelLimit = model.contextLength
        var window = source.window ?? modelLimit ?? 2048
        if let modelLimit, window > modelLimit {
            notes.append("text.window \(window) is longer than the model's context; \(modelLimit) used")
            window = modelLimit
        }
        let stride = source.stride ?? window / 2
        guard (1..<window).contains(stride) else {
            throw .invalidSetting(task: task.name, field: "text.stride", reason: "\(stride) must be in 1..<\(window) (the window used)")
        }
        notes.append("windows of \(window) tokens moved by \(stride): every token after the first window is predicted after at least \(window - stride) tokens of context")

        var log: InstanceLog?
        var logged: [InstanceRecord] = []
        if let outputDirectory { (log, logged) = try InstanceLog.open(task: task.name, in: outputDirectory) }
        var byIndex: [Int: InstanceRecord] = [:]
        for record in logged where record.index < documents.count && record.id == documents[record.index].id
            && record.prompt == documents[record.index].text && record.window == window && record.stride == stride {
            byIndex[record.index] = record
        }
        let stale = Set(logged.filter { $0.index < documents.count }.map(\.index)).subtracting(byIndex.keys)
        if let log, !stale.isEmpty { try log.replace(with: logged.filter { !stale.contains($0.index) }) }
        progress?(byIndex.count, documents.count)
        for (index, document) in documents.enumerated() where byIndex[index] == nil {
            let measured = try TextPerplexity.measure(text: document.text, model: model, contextLength: window, stride: stride)
            var record = InstanceRecord(index: index, id: document.id, prompt: document.text, reference: "", correct: false)
            record.tokenCount = measured.tokenCount
            record.byteCount = measured.byteCount
            record.wordCount = measured.wordCount
            record.negativeLogLikelihood = measured.negativeLogLikelihood
            record.window = window
            record.stride = stride
            try log?.append(record)
            byIndex[index] = record
            progress?(byIndex.count, documents.count)
        }
        let records = (0..<documents.count).compactMap { byIndex[$0] }
        let total = TextPerplexity(tokenCount: records.reduce(0) { $0 + ($1.tokenCount ?? 0) },
                                   byteCount: records.reduce(0) { $0 + ($1.byteCount ?? 0) },
                                   wordCount: records.reduce(0) { $0 + ($1.wordCount ?? 0) },
                                   negativeLogLikelihood: records.reduce(0) { $0 + ($1.negativeLogLikelihood ?? 0) })
        let metrics = [TaskResult.Metric(name: "bits_per_byte", value: total.bitsPerByte),
                       .init(name: "token_perplexity", value: total.tokenPerplexity),
                       .init(name: "word_perplexity", value: total.wordPerplexity)]
        notes.append("\(records.count) documents, \(total.tokenCount) tokens, \(total.byteCount) bytes, \(total.wordCount) words")
        return TaskResult(task: task.name, dataset: URL(fileURLWithPath: source.file).lastPathComponent, split: "text",
                          count: records.count, shots: 0, metrics: metrics,
                          score: records.isEmpty ? nil : metrics.first { $0.name == task.metric }?.value, scoreMetric: task.metric,
                          generative: false, chinese: task.isChinese, notes: notes, countsInAverages: task.countsInAverages)
    }
}
