import ArgumentParser
import Evaluation
import Foundation
import TensorCore

/// `minicpm eval`: runs task files (`tasks/*.json`) on a model, logs every instance, resumes an
/// interrupted run from those logs, and prints the paper-style table.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a model on benchmark tasks (ARC, HellaSwag, MMLU, GSM8K, MATH, HumanEval, ...) and print the paper-style table."
    )

    @Option(help: "A Hugging Face checkpoint directory (float, or int4 with quantize_config.json) or a GGUF file.")
    var model: String

    @Option(help: "Comma-separated task names, each a file <tasks-dir>/<name>.json, e.g. arc_easy,gsm8k.")
    var tasks: String

    @Option(help: "The folder of task files.")
    var tasksDir = "tasks"

    @Option(help: "The data folder holding pkg/ (default: $MINICPM_DATA, else .data).")
    var data: String?

    @Option(help: "Evaluate only the first N items of each task.")
    var limit: Int?

    @Option(help: "Few-shot examples per item, instead of each task file's count.")
    var shots: Int?

    @Option(help: "Output folder: <task>.jsonl instance logs (a rerun resumes from them), report.md, report.json.")
    var out: String

    @Option(help: "Threads for the kernels (default: all cores).")
    var threads: Int?

    @Option(help: "Long-context tasks: comma-separated context lengths in tokens, e.g. 512,1024,4096 (instead of the task files').")
    var contextLength: String?

    @Option(help: "Long-context tasks: comma-separated needle depths in 0...1, e.g. 0,0.5,1.")
    var depths: String?

    @Option(help: "Long-context tasks: items per context length and depth.")
    var itemsPerDepth: Int?

    @Option(help: "Long-context tasks: the seed of the generated items.")
    var seed: UInt64?

    @OptionGroup var weights: WeightOptions

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be >= 0.") }
        if let shots, shots < 0 { throw ValidationError("--shots must be >= 0.") }
        if let threads, threads < 1 { throw ValidationError("--threads must be >= 1.") }
        if names.isEmpty { throw ValidationError("--tasks names no task.") }
        _ = try lengths
        _ = try depthList
    }

    /// `--context-length` as numbers (their range is checked with the task files).
    private var lengths: [Int]? {
        get throws {
            try contextLength.map { list in
                try list.split(separator: ",").map { part in
                    guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--context-length: \"\(part)\" is not a whole number of tokens.")
                    }
                    return value
                }
            }
        }
    }

    /// `--depths` as numbers.
    private var depthList: [Double]? {
        get throws {
            try depths.map { list in
                try list.split(separator: ",").map { part in
                    guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else {
                        throw ValidationError("--depths: \"\(part)\" is not a number in 0...1.")
                    }
                    return value
                }
            }
        }
    }

    private var names: [String] {
        tasks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run() throws {
        if let threads { Parallelism.threadCount = threads }
        // Read every task file before loading the model, so a typo fails in a second, not after it.
        let directory = URL(fileURLWithPath: tasksDir)
        var specifications = try names.map { try TaskSpecification.load(named: $0, in: directory) }
        if contextLength != nil || depths != nil || itemsPerDepth != nil || seed != nil {
            guard specifications.contains(where: { $0.synthetic != nil }) else {
                throw ValidationError("--context-length, --depths, --items-per-depth and --seed apply to long-context tasks (passkey, number_string, kv_retrieval); --tasks names none.")
            }
            let (lengths, depths) = (try lengths, try depthList)
            specifications = try specifications.map { task in
                task.synthetic == nil ? task : try task.overridingLongContext(contextLengths: lengths, depths: depths, count: itemsPerDepth,
                                                                               seed: seed, source: "command line")
            }
        }
        let loader = data.map { DatasetLoader(packageRoot: $0 + "/pkg") } ?? .fromEnvironment()
        let languageModel = try weights.languageModel(at: URL(fileURLWithPath: model))
        let runner = TaskRunner(model: languageModel, loader: loader)
        let output = URL(fileURLWithPath: out)
        var results: [TaskResult] = []
        for task in specifications {
            var progress = EvalProgress(task: task.name)
            let start = Date()
            let result = try runner.run(task, limit: limit, shots: shots, outputDirectory: output) { done, total in
                progress.update(done: done, total: total)
            }
            let score = result.score.map { String(format: "%.2f", $0 * 100) } ?? "n/a"
            FileHandle.standardError.write(Data(String(format: "%@: %@ %@ (n=%d, %.1fs)\n", task.name, result.scoreMetric,
                                                       score, result.count, Date().timeIntervalSince(start)).utf8))
            results.append(result)
            // Rewritten after every task, so a run stopped later still leaves the finished tasks' report.
            try EvaluationReport(model: model, results: results).write(to: output)
        }
        print(EvaluationReport(model: model, results: results).markdown, terminator: "")
    }
}
