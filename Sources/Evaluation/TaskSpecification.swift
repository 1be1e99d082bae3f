import Foundation

/// A benchmark task as data: which data set and split, how prompts are built, how the model answers
/// and how answers are scored. Task files are JSON with snake_case keys (`tasks/*.json`):
///
/// ```json
/// {
///   "name": "arc_easy", "dataset": "arc_easy", "split": "test",
///   "method": "ppl",
///   "template": "Question: {question}\nAnswer:",
///   "answer_template": " {choice}",
///   "metric": "acc_norm"
/// }
/// ```
///
/// A task reads a `dataset`, or measures a `text` (`method: perplexity`, see ``TextSource``), or
/// generates its items (`synthetic`, see ``LongContextSettings``); exactly one of the three.
///
/// Placeholders: `{question}`, `{choices}` (the options lettered `A. ...` one per line),
/// `{subject}`, `{prompt}`, `{tests}`, `{entry_point}` (code tasks) in `template`; `{choice}` (an option's text), `{letter}`,
/// `{answer}` (the reference) and `{solution}` (the worked solution, else the reference) in
/// `answer_template`, which both continues the context for each `ppl` option and completes each
/// few-shot example.
public struct TaskSpecification: Codable, Sendable, Equatable {
    /// How the model answers.
    public enum Method: String, Codable, Sendable {
        /// Multiple choice by the log-probability of each option's text.
        case ppl
        /// Free generation, then answer extraction (`post_processing`).
        case generate
        /// Code generation run against the item's tests in the ``CodeSandbox``.
        case code
        /// The perplexity of a text (``TextSource``), scored with ``TextPerplexity``.
        case perplexity
    }

    /// How a generated text becomes an answer.
    public enum PostProcessing: String, Codable, Sendable {
        /// ``GSM8KAnswer``: the final number.
        case gsm8k
        /// ``MathAnswer``: the last `\boxed{}`, normalised.
        case math
        /// ``OptionLetter``: the option letter named.
        case optionLetter = "option_letter"
        /// ``ExactMatch`` of the trimmed text.
        case exact
    }

    /// Few-shot examples: how many, from which split, with which seed.
    public struct FewShot: Codable, Sendable, Equatable {
        /// Examples before each question (the CLI's `--shots` overrides it).
        public var count: Int
        /// The split the examples come from. When it is the evaluated split (data sets with a single
        /// split), each item's examples are drawn from the other items, never the item itself.
        public var split: EvaluationDataset.Split
        /// Seeds the selection: the same seed gives the same prompts.
        public var seed: UInt64

        public init(count: Int, split: EvaluationDataset.Split, seed: UInt64 = 1234) {
            self.count = count
            self.split = split
            self.seed = seed
        }
    }

    /// Generation settings (`generate`, `code`, and generation-based choice).
    public struct Generation: Codable, Sendable, Equatable {
        /// The most tokens generated per answer.
        public var maxTokens: Int
        /// Texts that end an answer.
        public var stop: [String]
        /// Greedy decoding (the default); otherwise sampling at `temperature`.
        public var greedy: Bool
        /// The sampling temperature when not greedy (code tasks drawing several samples).
        public var temperature: Float

        public init(maxTokens: Int, stop: [String] = ["\n\n"], greedy: Bool = true, temperature: Float = 0.8) {
            self.maxTokens = maxTokens
            self.stop = stop
            self.greedy = greedy
            self.temperature = temperature
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxTokens = try c.decode(Int.self, forKey: .maxTokens)
            stop = try c.decodeIfPresent([String].self, forKey: .stop) ?? ["\n\n"]
            greedy = try c.decodeIfPresent(Bool.self, forKey: .greedy) ?? true
            temperature = try c.decodeIfPresent(Float.self, forKey: .temperature) ?? 0.8
        }
    }

    /// Multiple choice answered by generating the option letter, scored beside `ppl`; the paper
    /// reports the better of the two.
    public struct ChoiceByGeneration: Codable, Sendable, Equatable {
        /// The prompt, listing the options (`{choices}`), e.g. `"{question}\n{choices}\nAnswer:"`.
        public var template: String
        /// The few-shot examples' answers, e.g. `" {letter}"`.
        public var answerTemplate: String
        /// Generation settings (a few tokens suffice for a letter).
        public var generation: Generation
    }

    /// Code tasks: samples per problem and the k of pass@k.
    public struct CodeSettings: Codable, Sendable, Equatable {
        /// Samples generated per problem (1: greedy).
        public var samples: Int
        /// The pass@k reported, each at most `samples`.
        public var k: [Int]
    }

    /// The task's name (the log file is `<name>.jsonl`).
    public var name: String
    /// The data set; nil for a ``text`` (perplexity) or ``synthetic`` (long-context) task.
    public var dataset: EvaluationDataset?
    /// For `perplexity`: the text measured.
    public var text: TextSource?
    /// For generated long-context tasks: what is generated (then `method` is `generate`).
    public var synthetic: LongContextSettings?
    /// The evaluated split; the data set's ``EvaluationDataset/defaultSplit`` when absent.
    public var split: EvaluationDataset.Split?
    /// Few-shot examples; none when absent.
    public var fewShot: FewShot?
    /// The question's prompt.
    public var template: String
    /// The option continuation (`ppl`) and few-shot answer.
    public var answerTemplate: String
    /// Text between few-shot examples and before the question (default a blank line).
    public var separator: String?
    /// How the model answers.
    public var method: Method
    /// Generation settings for `generate` and `code`.
    public var generation: Generation?
    /// For `ppl`: also answer by generating the letter, and report the better.
    public var choiceByGeneration: ChoiceByGeneration?
    /// For `code`: samples and k.
    public var code: CodeSettings?
    /// For `generate`: how answers are extracted.
    public var postProcessing: PostProcessing?
    /// The task score's metric: `acc` or `acc_norm` (`ppl`), `accuracy` (`generate`), `pass@<k>` (`code`).
    public var metric: String
    /// Whether the paper counts the task as a generation task (Avg_gen).
    public var generative: Bool?
    /// Whether it is a Chinese task (Avg_chn).
    public var chinese: Bool?
    /// Whether the task's score counts in the averages (default: data-set tasks do; perplexity and
    /// long-context tasks, which the paper reports apart from Table 3, do not).
    public var inAverages: Bool?

    /// The evaluated split (`test` for tasks without a data set, where it means nothing).
    public var evaluatedSplit: EvaluationDataset.Split { split ?? dataset?.defaultSplit ?? .test }
    /// The separator between prompt parts.
    public var exampleSeparator: String { separator ?? "\n\n" }
    /// Whether the task counts towards Avg_gen (by default: `generate` and `code` tasks).
    public var isGenerative: Bool { generative ?? (method == .generate || method == .code) }
    /// Whether the task counts towards Avg_chn.
    public var isChinese: Bool { chinese ?? false }
    /// Whether the task's score counts in Avg, Avg_gen and Avg_chn.
    public var countsInAverages: Bool { inAverages ?? (dataset != nil) }

    private enum CodingKeys: String, CodingKey {
        case name, dataset, text, synthetic, split, fewShot, template, answerTemplate, separator, method, generation
        case choiceByGeneration, code, postProcessing, metric, generative, chinese, inAverages
    }

    /// Decodes a task file's keys; `template` defaults to `{question}` and `answer_template` to
    /// nothing, which perplexity and long-context tasks do not use.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        dataset = try c.decodeIfPresent(EvaluationDataset.self, forKey: .dataset)
        text = try c.decodeIfPresent(TextSource.self, forKey: .text)
        synthetic = try c.decodeIfPresent(LongContextSettings.self, forKey: .synthetic)
        split = try c.decodeIfPresent(EvaluationDataset.Split.self, forKey: .split)
        fewShot = try c.decodeIfPresent(FewShot.self, forKey: .fewShot)
        template = try c.decodeIfPresent(String.self, forKey: .template) ?? "{question}"
        answerTemplate = try c.decodeIfPresent(String.self, forKey: .answerTemplate) ?? ""
        separator = try c.decodeIfPresent(String.self, forKey: .separator)
        method = try c.decode(Method.self, forKey: .method)
        generation = try c.decodeIfPresent(Generation.self, forKey: .generation)
        choiceByGeneration = try c.decodeIfPresent(ChoiceByGeneration.self, forKey: .choiceByGeneration)
        code = try c.decodeIfPresent(CodeSettings.self, forKey: .code)
        postProcessing = try c.decodeIfPresent(PostProcessing.self, forKey: .postProcessing)
        metric = try c.decode(String.self, forKey: .metric)
        generative = try c.decodeIfPresent(Bool.self, forKey: .generative)
        chinese = try c.decodeIfPresent(Bool.self, forKey: .chinese)
        inAverages = try c.decodeIfPresent(Bool.self, forKey: .inAverages)
    }

    /// Reads and validates a task file.
    ///
    /// - Throws: ``EvaluationError/invalidFile(path:reason:)`` for unreadable JSON or a missing or
    ///   mistyped field (named), ``EvaluationError/invalidSetting(task:field:reason:)`` for values
    ///   out of range.
    public static func load(from url: URL) throws(EvaluationError) -> TaskSpecification {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .invalidFile(path: url.path, reason: "cannot read: \(error.localizedDescription)")
        }
        return try decode(data, path: url.path)
    }

    /// Decodes and validates task JSON; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws(EvaluationError) -> TaskSpecification {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var task: TaskSpecification
        do { task = try decoder.decode(TaskSpecification.self, from: data) } catch let error as DecodingError {
            throw .invalidFile(path: path, reason: invalidNamedValue(data) ?? JSONLines.describe(error))
        } catch {
            throw .invalidFile(path: path, reason: "\(error)")
        }
        try task.validate(path: path)
        // A text file named relative to the task file is found wherever the task folder lies.
        if var source = task.text, !source.file.hasPrefix("/") {
            source.file = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(source.file).path
            task.text = source
        }
        return task
    }

    /// Names the field when a value is not one of its allowed names: Foundation reports an unknown
    /// enum value without the field's coding path, so the fields with fixed names are checked here.
    private static func invalidNamedValue(_ data: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        func check(_ value: Any?, _ field: String, _ allowed: [String]) -> String? {
            guard let text = value as? String, !allowed.contains(text) else { return nil }
            return "invalid value at \(field): \"\(text)\" is not one of \(allowed.joined(separator: ", "))"
        }
        let splits = EvaluationDataset.Split.allCases.map(\.rawValue)
        return check(object["dataset"], "dataset", EvaluationDataset.allCases.map(\.rawValue))
            ?? check(object["split"], "split", splits)
            ?? check(object["method"], "method", ["ppl", "generate", "code", "perplexity"])
            ?? check((object["synthetic"] as? [String: Any])?["kind"], "synthetic.kind", LongContextSettings.Kind.allCases.map(\.rawValue))
            ?? check(object["post_processing"], "post_processing", ["gsm8k", "math", "option_letter", "exact"])
            ?? check((object["few_shot"] as? [String: Any])?["split"], "few_shot.split", splits)
    }

    /// The task file for `name` in `directory` (`<directory>/<name>.json`).
    public static func load(named name: String, in directory: URL) throws(EvaluationError) -> TaskSpecification {
        let url = directory.appendingPathComponent(name + ".json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw .invalidFile(path: url.path, reason: "no task file named \(name)")
        }
        return try load(from: url)
    }

    /// Checks that the settings fit together; errors name the file and field.
    public func validate(path: String) throws(EvaluationError) {
        func fail(_ field: String, _ reason: String) -> EvaluationError {
            .invalidSetting(task: "\(name) (\(path))", field: field, reason: reason)
        }
        if name.isEmpty || name.contains("/") { throw fail("name", "must be non-empty without '/'") }
        let sources = [dataset.map { _ in "dataset" }, text.map { _ in "text" }, synthetic.map { _ in "synthetic" }].compactMap { $0 }
        guard sources.count == 1 else {
            throw fail(sources.isEmpty ? "dataset" : sources.joined(separator: ", "), "a task names exactly one of dataset, text (perplexity) and synthetic")
        }
        if let text {
            if method != .perplexity { throw fail("method", "\(method.rawValue) does not fit a text; use perplexity") }
            try text.validate(fail)
            guard TextSource.metrics.contains(metric) else {
                throw fail("metric", "\"\(metric)\" must be one of \(TextSource.metrics.joined(separator: ", ")) for perplexity")
            }
            return
        }
        if method == .perplexity { throw fail("method", "perplexity needs a text (text.file)") }
        if let synthetic {
            try synthetic.validate(fail)
            if method != .generate { throw fail("method", "\(method.rawValue) does not fit a synthetic task; use generate") }
            guard let generation else { throw fail("generation", "required for generate") }
            if generation.maxTokens < 1 { throw fail("generation.max_tokens", "\(generation.maxTokens) must be >= 1") }
            if metric != "accuracy" { throw fail("metric", "\"\(metric)\" must be accuracy for a synthetic task") }
            return
        }
        guard let dataset else { throw fail("dataset", "missing") }
        guard dataset.availableSplits.contains(evaluatedSplit) else {
            throw fail("split", "\(evaluatedSplit.rawValue) is not one of \(dataset.rawValue)'s splits \(dataset.availableSplits.map(\.rawValue))")
        }
        if let fewShot {
            if fewShot.count < 0 { throw fail("few_shot.count", "\(fewShot.count) must be >= 0") }
            guard dataset.availableSplits.contains(fewShot.split) else {
                throw fail("few_shot.split", "\(fewShot.split.rawValue) is not one of \(dataset.rawValue)'s splits")
            }
        }
        let family: EvaluationDataset.Family = switch method {
        case .ppl: .multipleChoice
        case .generate: .generation
        case .code, .perplexity: .code  // perplexity returned above
        }
        if dataset.family != family && !(method == .generate && dataset.family == .multipleChoice) {
            throw fail("method", "\(method.rawValue) does not fit \(dataset.rawValue) (\(dataset.family.rawValue))")
        }
        if let generation, generation.maxTokens < 1 { throw fail("generation.max_tokens", "\(generation.maxTokens) must be >= 1") }
        if let choice = choiceByGeneration, choice.generation.maxTokens < 1 {
            throw fail("choice_by_generation.generation.max_tokens", "\(choice.generation.maxTokens) must be >= 1")
        }
        switch method {
        case .ppl:
            guard ["acc", "acc_norm", "acc_token"].contains(metric) else { throw fail("metric", "\"\(metric)\" must be acc, acc_norm or acc_token for ppl") }
            guard answerTemplate.contains("{choice}") || answerTemplate.contains("{letter}") else {
                throw fail("answer_template", "must contain {choice} or {letter} for ppl")
            }
        case .generate:
            if generation == nil { throw fail("generation", "required for generate") }
            guard let postProcessing else { throw fail("post_processing", "required for generate") }
            if (postProcessing == .optionLetter) != (dataset.family == .multipleChoice) {
                throw fail("post_processing", "option_letter is for multiple-choice data sets and only they")
            }
            if metric != "accuracy" { throw fail("metric", "\"\(metric)\" must be accuracy for generate") }
        case .perplexity:
            break  // checked above with the text
        case .code:
            if generation == nil { throw fail("generation", "required for code") }
            guard let code else { throw fail("code", "required for code (samples, k)") }
            if code.samples < 1 { throw fail("code.samples", "\(code.samples) must be >= 1") }
            if code.k.isEmpty { throw fail("code.k", "must list at least one k") }
            for k in code.k where k < 1 || k > code.samples { throw fail("code.k", "\(k) must be in 1...\(code.samples) (code.samples)") }
            if code.samples > 1, generation?.greedy ?? true { throw fail("generation.greedy", "must be false when code.samples > 1 (greedy samples are identical)") }
            guard metric.hasPrefix("pass@"), let k = Int(metric.dropFirst(5)), code.k.contains(k) else {
                throw fail("metric", "\"\(metric)\" must be pass@k with k in code.k")
            }
        }
    }
}
