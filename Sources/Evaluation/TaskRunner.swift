import Foundation
import MiniCPMModel

/// Runs a ``TaskSpecification`` on an ``EvaluatedModel``: builds each item's prompt (with seeded
/// few-shot examples), lets the model answer, scores, logs every instance, and aggregates.
///
/// ```swift
/// let runner = TaskRunner(model: try LanguageModel(ggufFile: url))
/// let task = try TaskSpecification.load(named: "arc_easy", in: URL(fileURLWithPath: "tasks"))
/// let result = try runner.run(task, limit: 50, outputDirectory: URL(fileURLWithPath: "/tmp/eval"))
/// result.metric("acc_norm")
/// ```
///
/// With an output directory each instance is appended to `<task>.jsonl` as soon as it is scored;
/// a rerun reads that log and asks the model only for the items not in it (an item counts as
/// logged when its index, id and prompt all match, so changing the shots recomputes it).
public struct TaskRunner {
    /// The model evaluated.
    public var model: any EvaluatedModel
    /// Where the data sets are read.
    public var loader: DatasetLoader
    /// Runs code tasks' programs.
    public var sandbox: CodeSandbox

    /// A runner of `model` reading `loader`'s data; `sandbox` defaults to ``CodeSandbox``'s default
    /// limits (never unsandboxed).
    public init(model: any EvaluatedModel, loader: DatasetLoader = .fromEnvironment(), sandbox: CodeSandbox? = nil) {
        self.model = model
        self.loader = loader
        // The default limits and timeout are valid by construction, so this cannot throw.
        self.sandbox = try! sandbox ?? CodeSandbox()
    }

    /// Runs `task`.
    ///
    /// - Parameters:
    ///   - limit: Evaluate only the first `limit` items: in the data set's order, or for data sets
    ///     whose items name a subject (MMLU, CMMLU, C-Eval) in ``subjectInterleaved(_:)`` order, so
    ///     that a limited run samples every subject instead of the first few.
    ///   - shots: Few-shot examples per item instead of the task file's count.
    ///   - outputDirectory: Where `<task>.jsonl` is written and resumed from; nil keeps nothing.
    ///   - progress: Called with (items done, items in total) after each item, and once at the start.
    /// - Throws: ``EvaluationError`` from the data, the settings or the model.
    public func run(_ task: TaskSpecification, limit: Int? = nil, shots: Int? = nil, outputDirectory: URL? = nil,
                    progress: ((Int, Int) -> Void)? = nil) throws(EvaluationError) -> TaskResult {
        if let limit, limit < 0 { throw .invalidArgument(name: "limit", value: "\(limit)", requirement: ">= 0") }
        if let shots, shots < 0 { throw .invalidArgument(name: "shots", value: "\(shots)", requirement: ">= 0") }
        let split = task.evaluatedSplit
        let all = Self.subjectInterleaved(try items(task.dataset, split))
        let evaluated = limit.map { Array(all.prefix($0)) } ?? all
        let shotCount = shots ?? task.fewShot?.count ?? 0
        var notes: [String] = []
        if let limit, limit < all.count {
            let subjects = Set(evaluated.compactMap(\.subject)).count
            notes.append("first \(evaluated.count) of \(all.count) items (--limit \(limit))"
                + (subjects > 0 ? ", taken in turn from \(subjects) subjects" : ""))
        }
        var selector: FewShotSelector?
        if shotCount > 0 {
            guard let fewShot = task.fewShot else {
                throw .invalidSetting(task: task.name, field: "few_shot", reason: "\(shotCount) shots asked but the task names no few-shot split")
            }
            let same = fewShot.split == split
            selector = FewShotSelector(pool: same ? all : try items(task.dataset, fewShot.split), isSameSplit: same,
                                       count: shotCount, seed: fewShot.seed)
            notes.append(same ? "\(shotCount)-shot from the evaluated \(split.rawValue) split, excluding the item itself (seed \(fewShot.seed))"
                              : "\(shotCount)-shot from the \(fewShot.split.rawValue) split (seed \(fewShot.seed))")
        }

        func result(_ metrics: [TaskResult.Metric], score: Double?, scoreMetric: String) -> TaskResult {
            TaskResult(task: task.name, dataset: task.dataset.rawValue, split: split.rawValue, count: evaluated.count,
                       shots: shotCount, metrics: metrics, score: evaluated.isEmpty ? nil : score, scoreMetric: scoreMetric,
                       generative: task.isGenerative, chinese: task.isChinese, notes: notes)
        }
        // Never run generated code unsandboxed without saying so: without bubblewrap (and no explicit
        // opt-in on the sandbox) the task reports no score rather than a misleading one.
        if task.method == .code, case let .unavailable(reason) = sandbox.availability, !sandbox.allowUnsandboxed {
            notes.append("not scored: the code sandbox is unavailable (\(reason))")
            return result([], score: nil, scoreMetric: task.metric)
        }
        if task.method == .code, case let .unavailable(reason) = sandbox.availability {
            notes.append("programs ran UNSANDBOXED (the sandbox allows it; bubblewrap unavailable: \(reason))")
        }

        var cached: [Int: InstanceRecord] = [:]
        var logged: [InstanceRecord] = []
        var log: InstanceLog?
        if let outputDirectory {
            (log, logged) = try InstanceLog.open(task: task.name, in: outputDirectory)
            for record in logged where record.index < evaluated.count && record.id == evaluated[record.index].id {
                cached[record.index] = record
            }
        }
        var reused: [InstanceRecord] = []
        var pending: [(Int, String)] = []
        for (index, item) in evaluated.enumerated() {
            let examples = selector?.examples(for: index, item: item) ?? []
            let prompt = self.prompt(task, item: item, examples: examples, template: task.template, answerTemplate: task.answerTemplate)
            if let record = cached[index], record.prompt == prompt { reused.append(record) } else { pending.append((index, prompt)) }
        }
        // Records made with another prompt (other shots, template or data) are dropped from the log;
        // records beyond this run's limit stay for a later, longer run.
        let stale = Set(logged.filter { $0.index < evaluated.count }.map(\.index)).subtracting(reused.map(\.index))
        if let log, !stale.isEmpty { try log.replace(with: logged.filter { !stale.contains($0.index) }) }
        var byIndex = Dictionary(uniqueKeysWithValues: reused.map { ($0.index, $0) })
        progress?(reused.count, evaluated.count)
        for (done, (index, prompt)) in pending.enumerated() {
            let item = evaluated[index]
            let examples = selector?.examples(for: index, item: item) ?? []
            let record = try score(task, index: index, item: item, prompt: prompt, examples: examples)
            try log?.append(record)
            byIndex[index] = record
            progress?(reused.count + done + 1, evaluated.count)
        }
        let records = (0..<evaluated.count).compactMap { byIndex[$0] }
        return try aggregate(task, records: records, result: result)
    }

    /// The items of a data set whose items name a subject, reordered to take each subject's first
    /// item (subjects in order of first appearance), then each one's second, and so on; other data
    /// sets unchanged.
    ///
    /// MMLU's files are sorted by subject, so its first 50 items were all `abstract_algebra`; in this
    /// order they are the first question of 50 subjects. A longer limit extends a shorter one's
    /// items (the order does not depend on the limit), so an interrupted or extended run resumes.
    public static func subjectInterleaved(_ items: [TaskItem]) -> [TaskItem] {
        guard items.contains(where: { $0.subject != nil }) else { return items }
        var order: [String] = []
        var bySubject: [String: [TaskItem]] = [:]
        for item in items {
            let key = item.subject ?? ""
            if bySubject[key] == nil { order.append(key) }
            bySubject[key, default: []].append(item)
        }
        var result: [TaskItem] = []
        result.reserveCapacity(items.count)
        var rank = 0
        while result.count < items.count {
            for key in order where rank < bySubject[key]!.count { result.append(bySubject[key]![rank]) }
            rank += 1
        }
        return result
    }

    // MARK: Prompts

    /// The few-shot examples and the item's question, joined by the task's separator.
    func prompt(_ task: TaskSpecification, item: TaskItem, examples: [TaskItem], template: String, answerTemplate: String) -> String {
        let shown = examples.map { example -> String in
            if task.dataset == .winogrande, case let .multipleChoice(e) = example {
                return Self.winograndeFilled(e)
            }
            return example.question(template, dataset: task.dataset) + example.answer(answerTemplate)
        }
        return (shown + [item.question(template, dataset: task.dataset)]).joined(separator: task.exampleSeparator)
    }

    /// A WinoGrande sentence with its blank filled by the correct option.
    static func winograndeFilled(_ item: MultipleChoiceItem) -> String {
        item.question.replacingOccurrences(of: "_", with: item.choices[item.answer])
    }

    // MARK: Scoring

    private func score(_ task: TaskSpecification, index: Int, item: TaskItem, prompt: String, examples: [TaskItem]) throws(EvaluationError) -> InstanceRecord {
        var record = InstanceRecord(index: index, id: item.id, prompt: prompt, reference: item.reference, correct: false)
        switch (task.method, item) {
        case let (.ppl, .multipleChoice(question)):
            let scores = try optionScores(task, question: question, prompt: prompt)
            record.optionLogProbabilities = scores.options.map(\.logProbability)
            record.optionLogProbabilitiesPerCharacter = scores.options.map(\.logProbabilityPerCharacter)
            record.optionLogProbabilitiesPerToken = scores.options.map(\.logProbabilityPerToken)
            record.correct = scores.choiceBySum == question.answer
            record.correctNormalized = scores.choiceByCharacter == question.answer
            record.correctPerToken = scores.choiceByToken == question.answer
            record.extracted = scores.choiceBySum.map { String(OptionLetter.letters(count: question.choices.count)[$0]) }
            if let byGeneration = task.choiceByGeneration {
                let generationPrompt = self.prompt(task, item: item, examples: examples, template: byGeneration.template,
                                                   answerTemplate: byGeneration.answerTemplate)
                let completion = try generate(generationPrompt, byGeneration.generation, seed: 0)
                let choice = OptionLetter.index(in: completion.text, optionCount: question.choices.count)
                record.output = completion.text
                record.correctByGeneration = choice == question.answer
            }
        case (.generate, _):
            guard let generation = task.generation, let post = task.postProcessing else {
                throw .invalidSetting(task: task.name, field: "generation", reason: "required for generate")
            }
            let text = try generate(prompt, generation, seed: 0).text
            record.output = text
            switch (post, item) {
            case (.gsm8k, _):
                record.extracted = GSM8KAnswer.extract(from: text)
                record.correct = GSM8KAnswer.isCorrect(output: text, reference: item.reference)
            case (.math, _):
                record.extracted = MathAnswer.lastBoxed(in: text)
                record.correct = MathAnswer.isCorrect(output: text, reference: item.reference)
            case let (.optionLetter, .multipleChoice(question)):
                let choice = OptionLetter.index(in: text, optionCount: question.choices.count)
                record.extracted = choice.map { String(OptionLetter.letters(count: question.choices.count)[$0]) }
                record.correct = choice == question.answer
            case (.exact, _), (.optionLetter, _):
                let answer = text.trimmingCharacters(in: .whitespacesAndNewlines)
                record.extracted = answer
                record.correct = ExactMatch().matches(answer, item.reference)
            }
        case let (.code, .code(problem)):
            guard let generation = task.generation, let settings = task.code else {
                throw .invalidSetting(task: task.name, field: "code", reason: "required for code")
            }
            var samples: [String] = [], outcomes: [String] = [], passed = 0, firstPassed = false
            for sample in 0..<settings.samples {
                let completion = try generate(prompt, generation, seed: UInt64(sample)).text
                // HumanEval's completion continues the prompt's function header; MBPP's is the
                // whole program (its prompt is prose).
                let program = task.dataset == .humaneval ? problem.prompt + completion + "\n" + problem.tests
                                                         : completion + "\n" + problem.tests
                let outcome = try sandbox.run(program: program)
                samples.append(completion)
                outcomes.append("\(outcome.outcome)")
                if outcome.passed { passed += 1 }
                if sample == 0 { firstPassed = outcome.passed }
            }
            record.samples = samples
            record.output = samples.first
            record.sampleOutcomes = outcomes
            record.passedCount = passed
            record.correct = firstPassed
        default:
            throw .invalidSetting(task: task.name, field: "method", reason: "\(task.method.rawValue) cannot score a \(task.dataset.family.rawValue) item")
        }
        return record
    }

    /// The option scores of one question. WinoGrande is scored as lm-evaluation-harness does
    /// (partial evaluation): each option fills the blank in the context, and the same text after
    /// the blank is scored, so the options compete on how well they predict the rest.
    private func optionScores(_ task: TaskSpecification, question: MultipleChoiceItem, prompt: String) throws(EvaluationError) -> MultipleChoiceScores {
        let scorer = MultipleChoiceScorer(model: model)
        if task.dataset == .winogrande, let blank = prompt.range(of: "_", options: .backwards) {
            let before = String(prompt[..<blank.lowerBound])
            let after = String(prompt[blank.upperBound...])
            var options: [OptionScore] = []
            for choice in question.choices {
                options += try scorer.score(context: before + choice, options: [after]).options
            }
            return MultipleChoiceScores(options: options)
        }
        let options = question.choices.indices.map { TaskItem.option(task.answerTemplate, item: question, index: $0) }
        return try scorer.score(context: prompt, options: options)
    }

    private func generate(_ prompt: String, _ generation: TaskSpecification.Generation, seed: UInt64) throws(EvaluationError) -> GeneratedCompletion {
        let parameters = generation.greedy ? GenerateParameters.greedy(maxTokens: generation.maxTokens)
                                           : GenerateParameters(maxTokens: generation.maxTokens, temperature: generation.temperature, seed: seed)
        return try model.generate(after: try model.contextTokens(for: prompt), parameters: parameters, stopStrings: generation.stop)
    }

    // MARK: Aggregation

    private func aggregate(_ task: TaskSpecification, records: [InstanceRecord],
                           result: ([TaskResult.Metric], Double?, String) -> TaskResult) throws(EvaluationError) -> TaskResult {
        func fraction(_ flags: [Bool?]) -> Double {
            records.isEmpty ? 0 : Double(flags.filter { $0 == true }.count) / Double(records.count)
        }
        switch task.method {
        case .ppl:
            var metrics = [TaskResult.Metric(name: "acc", value: fraction(records.map(\.correct))),
                           .init(name: "acc_norm", value: fraction(records.map(\.correctNormalized))),
                           .init(name: "acc_token", value: fraction(records.map(\.correctPerToken)))]
            let chosen = metrics.first { $0.name == task.metric }!.value
            if task.choiceByGeneration != nil {
                let byGeneration = fraction(records.map(\.correctByGeneration))
                metrics.append(.init(name: "acc_gen", value: byGeneration))
                return result(metrics, max(chosen, byGeneration), "max(\(task.metric), acc_gen)")
            }
            return result(metrics, chosen, task.metric)
        case .generate:
            let accuracy = fraction(records.map(\.correct))
            return result([.init(name: "accuracy", value: accuracy)], accuracy, "accuracy")
        case .code:
            let samples = task.code?.samples ?? 1
            var metrics: [TaskResult.Metric] = []
            for k in task.code?.k ?? [1] {
                let value = records.isEmpty ? 0 : try PassAtK.mean(records.map { (samples, $0.passedCount ?? 0) }, k: k)
                metrics.append(.init(name: "pass@\(k)", value: value))
            }
            return result(metrics, metrics.first { $0.name == task.metric }?.value, task.metric)
        }
    }

    // MARK: Data

    private func items(_ dataset: EvaluationDataset, _ split: EvaluationDataset.Split) throws(EvaluationError) -> [TaskItem] {
        do {
            switch dataset.family {
            case .multipleChoice: return try loader.multipleChoiceItems(dataset, split: split).map(TaskItem.multipleChoice)
            case .generation: return try loader.generationItems(dataset, split: split).map(TaskItem.generation)
            case .code: return try loader.codeItems(dataset, split: split).map(TaskItem.code)
            }
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw .invalidFile(path: "\(loader.packageRoot) (\(dataset.rawValue) \(split.rawValue))", reason: "\(error)")
        }
    }
}
