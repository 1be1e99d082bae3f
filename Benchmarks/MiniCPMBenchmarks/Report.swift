import BenchmarkSupport
import Foundation

/// Decode or prefill throughput at one thread count, with its ceiling and anchor.
struct PhaseResult: Codable {
    var phase: String
    var threads: Int
    /// Tokens timed per run (decoded tokens, or prompt tokens for prefill).
    var tokens: Int
    var promptTokens: Int
    /// One figure per run.
    var tokensPerSecond: [Double]
    var medianTokensPerSecond: Double
    var bestTokensPerSecond: Double
    var ceilingName: String
    var ceilingTokensPerSecond: Double
    var ceilingBasis: [String: Double]
    /// Median throughput / ceiling.
    var fractionOfCeiling: Double
    var llamaCpp: Double?
    /// Median throughput / llama.cpp.
    var ratioToLlamaCpp: Double?
    var meetsLlamaCpp: Bool?

    init(phase: String, threads: Int, tokens: Int, promptTokens: Int, tokensPerSecond: [Double],
         ceilingName: String, ceilingTokensPerSecond: Double, ceilingBasis: [String: Double], llamaCpp: Double?) {
        self.phase = phase
        self.threads = threads
        self.tokens = tokens
        self.promptTokens = promptTokens
        self.tokensPerSecond = tokensPerSecond
        medianTokensPerSecond = median(tokensPerSecond)
        bestTokensPerSecond = tokensPerSecond.max()!
        self.ceilingName = ceilingName
        self.ceilingTokensPerSecond = ceilingTokensPerSecond
        self.ceilingBasis = ceilingBasis
        fractionOfCeiling = medianTokensPerSecond / ceilingTokensPerSecond
        self.llamaCpp = llamaCpp
        ratioToLlamaCpp = llamaCpp.map { medianTokensPerSecond / $0 }
        meetsLlamaCpp = llamaCpp.map { medianTokensPerSecond >= $0 }
    }
}

/// Seconds per call spent in each part of an instrumented forward.
struct BreakdownResult: Codable {
    var phase: String
    var threads: Int
    var tokens: Int
    var context: Int
    var parts: [String: Double]
    var instrumentedSeconds: Double
    /// Seconds per call of the real (uninstrumented) measurement, for comparison.
    var measuredSecondsPerCall: Double

    init(phase: String, threads: Int, tokens: Int, context: Int, parts: [Double], measuredSecondsPerCall: Double) {
        self.phase = phase
        self.threads = threads
        self.tokens = tokens
        self.context = context
        var named: [String: Double] = [:]
        for p in Breakdown.Part.allCases { named[p.label] = parts[p.rawValue] }
        self.parts = named
        instrumentedSeconds = parts.reduce(0, +)
        self.measuredSecondsPerCall = measuredSecondsPerCall
    }
}

/// Whether decoding allocates memory proportional to the model per token.
struct MemoryCheck: Codable {
    var threads: Int
    var decodeSteps: Int
    var residentBytesBefore: Int
    var residentBytesAfter: Int
    var residentGrowthBytesPerToken: Double
    var minorFaultsPerToken: Double
    var bufferPoolIdleBytesBefore: Int
    var bufferPoolIdleBytesAfter: Int
    var modelBytes: Double
    var allocatesModelSizedMemoryPerToken: Bool
    /// Keys and values one token adds to the cache (all layers): the growth decoding should show.
    var kvCacheBytesPerToken: Double
    var prefillMinorFaults: Int?
    var prefillResidentGrowthBytes: Int?

    init(threads: Int, run: DecodeRun, modelBytes: Double, cacheBytesPerToken: Double) {
        kvCacheBytesPerToken = cacheBytesPerToken
        self.threads = threads
        decodeSteps = run.tokens - 1
        residentBytesBefore = run.memoryBefore.residentBytes
        residentBytesAfter = run.memoryAfter.residentBytes
        residentGrowthBytesPerToken = Double(residentBytesAfter - residentBytesBefore) / Double(max(1, decodeSteps))
        minorFaultsPerToken = Double(run.memoryAfter.minorFaults - run.memoryBefore.minorFaults) / Double(max(1, decodeSteps))
        bufferPoolIdleBytesBefore = run.poolIdleBefore
        bufferPoolIdleBytesAfter = run.poolIdleAfter
        self.modelBytes = modelBytes
        // "Proportional to the model": anything near 1 % of the weights per token would show up as
        // tens of MB of growth or ~10^4 page faults per token.
        allocatesModelSizedMemoryPerToken = residentGrowthBytesPerToken > 0.01 * modelBytes
            || minorFaultsPerToken * 4096 > 0.01 * modelBytes
    }
}

struct BenchmarkReport: Codable {
    var tool = "MiniCPMBenchmarks"
    var date: String
    var command: String
    var machine: MachineInfo
    var model: String
    var modelBytes: Double
    var modelBuildSeconds: Double
    var weightPages: String
    var hugePageBytesAfterBuild: Int
    var results: [PhaseResult]
    var breakdowns: [BreakdownResult]
    var memory: [MemoryCheck]
    var totalSeconds: Double
}

// MARK: - Tables

func resultsTable(_ results: [PhaseResult]) -> String {
    let header = ["phase", "thr", "tokens/s median (best)", "ceiling tokens/s", "ceiling (same run)",
                  "of ceiling", "llama.cpp", "vs llama.cpp", "goal met"]
    let body: [[String]] = results.map { (r: PhaseResult) -> [String] in
        let phase: String = r.phase == "decode" ? "decode \(r.tokens) after \(r.promptTokens)" : "prefill \(r.tokens)"
        let rate: String = format(r.medianTokensPerSecond, 2) + " (" + format(r.bestTokensPerSecond, 2) + ")"
        let fraction: String = format(r.fractionOfCeiling * 100, 0) + " %"
        let anchor: String = r.llamaCpp.map { format($0, 2) } ?? "–"
        let ratio: String = r.ratioToLlamaCpp.map { format($0, 2) + "×" } ?? "–"
        let met: String = r.meetsLlamaCpp.map { $0 ? "yes" : "NO" } ?? "–"
        return [phase, "\(r.threads)", rate, format(r.ceilingTokensPerSecond, 2), r.ceilingName, fraction, anchor, ratio, met]
    }
    return markdownTable(header, body, numeric: [1, 2, 3, 5, 6, 7])
}

func breakdownTable(_ breakdowns: [BreakdownResult]) -> String {
    let header = ["part"] + breakdowns.map { "\($0.phase) @\($0.threads) ms (%)" }
    var body: [[String]] = []
    for p in Breakdown.Part.allCases {
        let cells: [String] = breakdowns.map { b in
            let s: Double = b.parts[p.label] ?? 0
            let ms = s * 1e3
            let share = s / b.instrumentedSeconds * 100
            return format(ms, ms >= 100 ? 0 : 2) + " (" + format(share, 1) + ")"
        }
        body.append([p.label] + cells)
    }
    let totals: [String] = breakdowns.map { b in format(b.instrumentedSeconds * 1e3, 1) }
    let measured: [String] = breakdowns.map { b in format(b.measuredSecondsPerCall * 1e3, 1) }
    body.append(["**instrumented total**"] + totals)
    body.append(["measured per call (uninstrumented)"] + measured)
    let context = breakdowns.first?.context ?? 0
    let title = "Time per call by part (decode: one token at context \(context); prefill: the whole prompt):\n\n"
    return title + markdownTable(header, body, numeric: Set(1...breakdowns.count))
}

func memoryTable(_ checks: [MemoryCheck]) -> String {
    let header = ["thr", "decode steps", "RSS before → after (MB)", "RSS growth / token", "KV cache / token", "minor faults / token",
                  "BufferPool idle before → after (MB)", "model-sized allocation per token?"]
    let body = checks.map { m in
        [
            "\(m.threads)", "\(m.decodeSteps)",
            "\(format(Double(m.residentBytesBefore) / 1e6, 1)) → \(format(Double(m.residentBytesAfter) / 1e6, 1))",
            "\(format(m.residentGrowthBytesPerToken / 1e3, 1)) kB",
            "\(format(m.kvCacheBytesPerToken / 1e3, 1)) kB",
            format(m.minorFaultsPerToken, 1),
            "\(format(Double(m.bufferPoolIdleBytesBefore) / 1e6, 1)) → \(format(Double(m.bufferPoolIdleBytesAfter) / 1e6, 1))",
            m.allocatesModelSizedMemoryPerToken ? "YES" : "no",
        ]
    }
    return "Decode memory check (process RSS from /proc/self/statm and minor page faults from getrusage, "
        + "sampled after the first decode step and after the last):\n\n"
        + markdownTable(header, body, numeric: [0, 1, 3, 4, 5])
}
