// Mixture-of-experts inference speed: decode and prefill tokens/s of a MiniCPM-MoE model (E = 8
// experts, top-2) beside a dense model with the same active parameters (dense intermediate = 2 ×
// expert intermediate, everything else equal), random float32 weights, measured in the same run,
// interleaved round by round and repeated.
//
//   swift build -c release --scratch-path .build-native -Xswiftc -target-cpu -Xswiftc haswell \
//       -Xcc -mavx2 -Xcc -mfma -Xcc -mf16c --product MoEBenchmarks
//   .build-native/release/MoEBenchmarks [--json PATH] [--threads 1] [--decode-tokens 32]
//       [--prompt-tokens 128] [--rounds 5] [--quick]
//
// The question it answers: does routing (router product, top-k, grouping tokens by expert,
// gathering and combining rows) cost little beside the expert products, so that an MoE decodes
// nearly as fast as the dense model that reads as many weights per token? The goal is MoE decode
// ≥ 0.8 × dense. A third row runs the same MoE model with its blocks' direct inference path switched
// off (`MixtureOfExperts.usesInferencePath = false`: the recorded path's tensor operations, as before
// the inference path existed), so the two MoE paths are compared in the same run. Prints a Markdown table, then the JSON document (also written to PATH).

import BenchmarkSupport
import CBLAS
import Foundation
import MiniCPMModel
import TensorCore

struct Options {
    var jsonPath: String?
    var threads = 1
    var decodeTokens = 32
    var promptTokens = 128
    var rounds = 5
    var hiddenSize = 1024
    var expertIntermediate = 1024
    var layers = 6
    var experts = 8
    var active = 2
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst()
@MainActor func intArgument(_ name: String) -> Int {
    guard let s = arguments.popFirst(), let v = Int(s), v > 0 else { fatalError("\(name) needs a positive integer") }
    return v
}
while let arg = arguments.popFirst() {
    switch arg {
    case "--json":
        guard let p = arguments.popFirst() else { fatalError("--json needs a path") }
        options.jsonPath = p
    case "--threads": options.threads = intArgument(arg)
    case "--decode-tokens": options.decodeTokens = intArgument(arg)
    case "--prompt-tokens": options.promptTokens = intArgument(arg)
    case "--rounds": options.rounds = intArgument(arg)
    case "--quick":
        options.decodeTokens = 8
        options.promptTokens = 32
        options.rounds = 2
        options.layers = 2
    case "-h", "--help":
        print("usage: MoEBenchmarks [--json PATH] [--threads 1] [--decode-tokens 32] [--prompt-tokens 128] [--rounds 5] [--quick]")
        exit(0)
    default: fatalError("unknown argument \(arg) (try --help)")
    }
}

struct Row: Codable {
    var model: String
    var totalNonEmbeddingParameters: Int
    var activeNonEmbeddingParameters: Int
    var decodeTokensPerSecond: Double
    var prefillTokensPerSecond: Double
    var decode: TimeSummary
    var prefill: TimeSummary
}

struct Report: Codable {
    var machine: MachineInfo
    var threads: Int
    var shape: String
    var decodeTokens: Int
    var promptTokens: Int
    var rows: [Row]
    var moeOverDenseDecode: Double
    var moeOverDensePrefill: Double
    /// The inference path over the recorded path, same MoE model.
    var inferenceOverRecordedDecode: Double
    var inferenceOverRecordedPrefill: Double
    /// One layer's feed-forward block over the prompt's rows, phase by phase.
    var prefillBreakdown: [Phase]
}

/// The whole measurement, on `options` (a parameter, so nothing here touches main-actor state).
func runBenchmark(_ options: Options) throws {
    Parallelism.threadCount = options.threads

    /// The shared shape: MiniCPM scalings, 16 heads of 64 with 4 KV heads, a vocabulary small enough
    /// that the LM head does not dominate the per-token cost.
    func configuration(intermediate: Int, experts: Int, active: Int) -> MiniCPMConfiguration {
        var c = MiniCPMConfiguration(vocabularySize: 8192, hiddenSize: options.hiddenSize, intermediateSize: intermediate,
                                     layerCount: options.layers, attentionHeadCount: 16, keyValueHeadCount: 4)
        c.embeddingScale = 12
        c.depthScale = 1.4
        c.baseModelDimension = 256
        c.initializerRange = 0.1
        c.maxPositionEmbeddings = 4096
        c.expertCount = experts
        c.expertsPerToken = active
        return c
    }

    let moeConfiguration = configuration(intermediate: options.expertIntermediate, experts: options.experts, active: options.active)
    let denseConfiguration = configuration(intermediate: options.active * options.expertIntermediate, experts: 0, active: 0)
    precondition(moeConfiguration.activeNonEmbeddingParameterCount - denseConfiguration.nonEmbeddingParameterCount
                 == options.layers * options.experts * options.hiddenSize, "equal active parameters but for the routers")

    progress("initialising the models (random weights)…")
    let moe = try MiniCPM(configuration: moeConfiguration, seed: 1)
    let dense = try MiniCPM(configuration: denseConfiguration, seed: 1)
    var moeRecorded = moe
    for i in moeRecorded.layers.indices {
        if var block = moeRecorded.layers[i].feedForward as? MixtureOfExperts {
            block.usesInferencePath = false
            moeRecorded.layers[i].feedForward = block
        }
    }

    var generator = SeededRandom(seed: 7)
    let prompt = (0..<options.promptTokens).map { _ in Int(generator.next() % 8192) }
    let decodePrompt = Array(prompt.prefix(16))

    var decodeSeconds = 0.0

    /// `decodeTokens` greedy steps after a 16-token prefill (not timed), through a KV cache.
    func decode(_ model: MiniCPM) -> () -> Void {
        {
            withoutGradients {
                let cache = KVCache(configuration: model.configuration, maximumLength: 16 + options.decodeTokens + 1)
                var next = try! model.nextTokenLogits(for: decodePrompt, cache: cache).argmax(alongAxis: 0)[0]
                let start = clock.now
                for _ in 0..<options.decodeTokens {
                    next = try! model.nextTokenLogits(for: [next], cache: cache).argmax(alongAxis: 0)[0]
                }
                decodeSeconds = secondsSince(start)
                blackHole(Float(next))
            }
        }
    }

    /// One forward pass over the whole prompt into a fresh cache.
    func prefill(_ model: MiniCPM) -> () -> Void {
        {
            withoutGradients {
                let cache = KVCache(configuration: model.configuration, maximumLength: options.promptTokens)
                blackHole(try! model.nextTokenLogits(for: prompt, cache: cache).scalars[0])
            }
        }
    }

    progress("decode: \(options.decodeTokens) tokens × \(options.rounds) rounds, interleaved…")
    // measureInterleaved times the whole closure (prefill included); the decode loop's own time is
    // read from decodeSeconds inside it, so wrap each variant to collect that instead.
    var decodeSamples: [[Double]] = [[], [], []]
    _ = measureInterleaved(MeasurementPlan(warmupRounds: 1, minimumRounds: options.rounds, maximumRounds: options.rounds, budgetSeconds: 0),
                           [{ decode(moe)(); decodeSamples[0].append(decodeSeconds) },
                            { decode(dense)(); decodeSamples[1].append(decodeSeconds) },
                            { decode(moeRecorded)(); decodeSamples[2].append(decodeSeconds) }])
    decodeSamples = decodeSamples.map { Array($0.dropFirst()) }   // the warm-up round
    progress("prefill: \(options.promptTokens) tokens × \(options.rounds) rounds, interleaved…")
    let prefillSamples = measureInterleaved(MeasurementPlan(warmupRounds: 1, minimumRounds: options.rounds,
                                                            maximumRounds: options.rounds, budgetSeconds: 0),
                                            [prefill(moe), prefill(dense), prefill(moeRecorded)])

    progress("prefill breakdown: one layer's feed-forward block over \(options.promptTokens) rows…")
    let breakdown = prefillBreakdown(moe: moe, dense: dense, tokens: options.promptTokens, rounds: max(15, 3 * options.rounds))

    let names = ["MoE E=\(options.experts) k=\(options.active), I=\(options.expertIntermediate)",
                 "dense I=\(options.active * options.expertIntermediate)",
                 "MoE, recorded path (before)"]
    let configurations = [moeConfiguration, denseConfiguration, moeConfiguration]
    let rows = (0..<3).map { i in
        Row(model: names[i], totalNonEmbeddingParameters: configurations[i].nonEmbeddingParameterCount,
            activeNonEmbeddingParameters: configurations[i].activeNonEmbeddingParameterCount,
            decodeTokensPerSecond: Double(options.decodeTokens) / median(decodeSamples[i]),
            prefillTokensPerSecond: Double(options.promptTokens) / median(prefillSamples[i]),
            decode: TimeSummary(decodeSamples[i]), prefill: TimeSummary(prefillSamples[i]))
    }
    let report = Report(machine: MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename()),
                        threads: options.threads,
                        shape: "hidden \(options.hiddenSize), \(options.layers) layers, 16/4 heads, vocabulary 8192, float32",
                        decodeTokens: options.decodeTokens, promptTokens: options.promptTokens, rows: rows,
                        moeOverDenseDecode: rows[0].decodeTokensPerSecond / rows[1].decodeTokensPerSecond,
                        moeOverDensePrefill: rows[0].prefillTokensPerSecond / rows[1].prefillTokensPerSecond,
                        inferenceOverRecordedDecode: rows[0].decodeTokensPerSecond / rows[2].decodeTokensPerSecond,
                        inferenceOverRecordedPrefill: rows[0].prefillTokensPerSecond / rows[2].prefillTokensPerSecond,
                        prefillBreakdown: breakdown)

    print(markdownTable(["model", "non-emb. params (total)", "active", "decode tok/s", "prefill tok/s"],
                        rows.map { [$0.model, "\($0.totalNonEmbeddingParameters)", "\($0.activeNonEmbeddingParameters)",
                                    format($0.decodeTokensPerSecond, 1), format($0.prefillTokensPerSecond, 1)] },
                        numeric: [1, 2, 3, 4]))
    print("MoE / dense: decode \(format(report.moeOverDenseDecode, 2))×, prefill \(format(report.moeOverDensePrefill, 2))× " +
          "(\(options.threads) thread\(options.threads == 1 ? "" : "s"), medians of \(options.rounds) interleaved rounds)")
    print(markdownTable(["phase (layer 0, \(options.promptTokens) rows)", "best ms", "median ms"],
                        breakdown.map { [$0.phase, format($0.bestMilliseconds, 2), format($0.medianMilliseconds, 2)] },
                        numeric: [1, 2]))
    print("MoE inference path / recorded path: decode \(format(report.inferenceOverRecordedDecode, 2))×, " +
          "prefill \(format(report.inferenceOverRecordedPrefill, 2))×")
    try emitJSONReport(report, printing: true, to: options.jsonPath)
}

try runBenchmark(options)
