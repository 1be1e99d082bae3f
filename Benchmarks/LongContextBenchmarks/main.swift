import BenchmarkSupport
import CBLAS
import Foundation
import MiniCPMModel
import TensorCore

// Long-context prefill and decoding (issue 14; figures in Docs/Performance.md):
//   LongContextBenchmarks [--shape smollm2|minicpm-1.2b] [--layers 2] [--lengths 1024,4096,16384,32768] [--whole-up-to 32768]
//                         [--decode-contexts 1024,16384] [--decode-steps 16] [--kv-cache f32,f16] [--json path]
//   LongContextBenchmarks --accuracy-gguf SmolLM2-135M-Instruct.Q4_1.gguf --accuracy-text shakespeare.txt
//                         [--accuracy-tokens 512] [--accuracy-prompt 128] [--json path]
// --kv-cache lists the cache storages the decoding measurements run with (f32 by default); the
// accuracy mode compares a float16 cache's logits with a float32 cache's on a real model and text,
// and measures nothing else.
// Every prefill runs in a child process of its own (this executable with --child), which resets
// its peak resident size (VmHWM, via /proc/self/clear_refs) after building the model and reads it
// after the prefill.

struct Options {
    var shape = "smollm2"
    var layers = 2
    var lengths = [1024, 4096, 16384, 32768]
    var wholeUpTo = 32768
    var decodeContexts = [1024, 16384]
    var decodeSteps = 16
    var attentionKeys = [1024, 4096, 16384, 32768]
    var storages: [KVCacheStorage] = [.float32]
    var storage: KVCacheStorage = .float32
    var accuracyGGUF: String?
    var accuracyText: String?
    var accuracyTokens = 512
    var accuracyPrompt = 128
    var json: String?
    var child: String?
    var length = 0
    var whole = false

    init(_ arguments: [String]) {
        var i = 1
        func value() -> String {
            i += 1
            guard i < arguments.count else { fatalError("\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        func list() -> [Int] { value().split(separator: ",").map { Int($0)! } }
        while i < arguments.count {
            switch arguments[i] {
            case "--shape": shape = value()
            case "--layers": layers = Int(value())!
            case "--lengths": lengths = list()
            case "--whole-up-to": wholeUpTo = Int(value())!
            case "--decode-contexts": decodeContexts = list()
            case "--decode-steps": decodeSteps = Int(value())!
            case "--attention-keys": attentionKeys = list()
            case "--kv-cache": storages = value().split(separator: ",").map { Self.storage(String($0)) }
            case "--storage": storage = Self.storage(value())
            case "--accuracy-gguf": accuracyGGUF = value()
            case "--accuracy-text": accuracyText = value()
            case "--accuracy-tokens": accuracyTokens = Int(value())!
            case "--accuracy-prompt": accuracyPrompt = Int(value())!
            case "--json": json = value()
            case "--child": child = value()
            case "--length": length = Int(value())!
            case "--whole": whole = true
            default: fatalError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }

    static func storage(_ name: String) -> KVCacheStorage {
        switch name {
        case "f32", "float32": return .float32
        case "f16", "float16": return .float16
        default: fatalError("unknown KV cache storage \(name) (f32 or f16)")
        }
    }

    static func name(_ storage: KVCacheStorage) -> String { storage == .float32 ? "f32" : "f16" }
}

struct Report: Codable {
    var machine: MachineInfo
    var shape: BenchmarkShape
    var shapeDescription: String
    var threadsForPrefill: Int
    var cacheBytesPerToken: Int
    var prefill: [PrefillResult]
    var decode: [DecodeResult]
    var attention: [AttentionTiming]
    var decodeAttention: [DecodeKernelTiming]
}

let options = Options(CommandLine.arguments)
guard let shape = BenchmarkShape.named(options.shape, layers: options.layers) else {
    fatalError("unknown --shape \(options.shape) (smollm2 or minicpm-1.2b)")
}

switch options.child {
case "prefill":
    JSONChildProcess.reply(ChildMeasurements.prefill(shape: shape, length: options.length, whole: options.whole))
    exit(0)
case "decode":
    JSONChildProcess.reply(ChildMeasurements.decode(shape: shape, context: options.length, steps: options.decodeSteps, rounds: 3,
                                                    storage: options.storage))
    exit(0)
case nil:
    break
case let other?:
    fatalError("unknown child \(other)")
}

if let gguf = options.accuracyGGUF {
    guard let text = options.accuracyText else { fatalError("--accuracy-gguf needs --accuracy-text") }
    let r = try CacheAccuracy.measure(gguf: gguf, text: text, tokens: options.accuracyTokens, prompt: options.accuracyPrompt)
    print("\n\(r.model), \(r.text): \(r.prompt) tokens prefilled, \(r.decoded) decoded one at a time (teacher-forced); f16 against f32 KV cache\n")
    print(markdownTable(["positions", "max abs Δlogit", "mean abs Δlogit", "max abs logit", "top-1 agreement"],
                        [["all", format(r.maxAbsLogitDifference, 4), format(r.meanAbsLogitDifference, 5), format(r.maxAbsLogit, 1),
                          format(r.topOneAgreement * 100, 2) + " %"],
                         ["decoded", format(r.decodeMaxAbsLogitDifference, 4), "", "", format(r.decodeTopOneAgreement * 100, 2) + " %"]],
                        numeric: [1, 2, 3, 4]))
    try emitJSONReport(r, printing: false, to: options.json)
    exit(0)
}

let machine = MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename())
progress("\(shape.label); \(Parallelism.threadCount) threads; load \(machine.loadAverageAtStart)")
let common = ["--shape", options.shape, "--layers", "\(options.layers)"]
var prefills: [PrefillResult] = []
for length in options.lengths {
    for whole in [false, true] where !whole || length <= options.wholeUpTo {
        let r = try JSONChildProcess.run(JSONChildProcess.currentExecutable, common + ["--child", "prefill", "--length", "\(length)"] + (whole ? ["--whole"] : []),
                                     as: PrefillResult.self)
        progress("prefill \(length) \(r.mode): \(format(r.seconds, 2)) s (CPU \(format(r.cpuSeconds, 2)) s), peak RSS \(r.peakResidentBytes >> 20) MiB, cache \(r.cacheResidentBytes >> 20) MiB")
        prefills.append(r)
    }
}
var decodes: [DecodeResult] = []
for context in options.decodeContexts {
    for storage in options.storages {
        let r = try JSONChildProcess.run(JSONChildProcess.currentExecutable, common + ["--child", "decode", "--length", "\(context)", "--decode-steps", "\(options.decodeSteps)",
                                               "--storage", Options.name(storage)],
                                     as: DecodeResult.self)
        progress("decode at \(context), \(Options.name(storage)) cache: \(r.tokensPerSecond.sorted { $0.key < $1.key }.map { "\($0.key) thr \(format($0.value, 1)) tok/s" }.joined(separator: ", "))")
        decodes.append(r)
    }
}
var attention: [AttentionTiming] = []
for keys in options.attentionKeys {
    let r = AttentionKernelTiming.measure(keys: keys, rounds: 3, shape: shape)
    progress("attention 512 × \(keys): \(format(r.seconds * 1000, 1)) ms, \(format(r.gigaflopsPerCPUSecond, 1)) GFLOP per CPU s")
    attention.append(r)
}

var decodeKernel: [DecodeKernelTiming] = []
for keys in options.decodeContexts {
    for storage in options.storages {
        let r = DecodeKernelTiming.measure(keys: keys, rounds: 50, storage: storage, shape: shape)
        progress("decode attention over \(keys) \(Options.name(storage)) keys: \(r.microseconds.sorted { $0.key < $1.key }.map { "\($0.key) thr \(format($0.value, 0)) µs" }.joined(separator: ", "))")
        decodeKernel.append(r)
    }
}

let perToken = KVCache(configuration: shape.configuration(maximumLength: 1), maximumLength: 1).bytesPerToken
let report = Report(machine: machine, shape: shape, shapeDescription: shape.label, threadsForPrefill: Parallelism.threadCount,
                    cacheBytesPerToken: perToken, prefill: prefills, decode: decodes, attention: attention,
                    decodeAttention: decodeKernel)

func mib(_ bytes: Int) -> String { format(Double(bytes) / Double(1 << 20), 1) }
var rows: [[String]] = []
for length in options.lengths {
    let chunked = prefills.first { $0.length == length && $0.mode == "chunked" }!
    let whole = prefills.first { $0.length == length && $0.mode == "whole" }
    rows.append(["\(length)", format(chunked.seconds, 2), format(chunked.cpuSeconds, 2), format(chunked.tokensPerSecond, 0),
                 mib(chunked.peakResidentBytes - chunked.residentBeforeBytes), mib(chunked.cacheResidentBytes),
                 whole.map { format($0.seconds, 2) } ?? "–",
                 whole.map { mib($0.peakResidentBytes - $0.residentBeforeBytes) } ?? "–"])
}
print("\n" + shape.label + ", prefill at \(Parallelism.threadCount) threads; KV cache \(perToken) bytes/token\n")
print(markdownTable(["tokens", "chunked s", "CPU s", "tok/s", "peak RSS growth MiB", "KV cache MiB", "one pass s", "one pass peak growth MiB"],
                    rows, numeric: Set(0..<8)))
print("")
print(markdownTable(["context", "KV cache", "1 thread tok/s", "2 threads tok/s"],
                    decodes.map { ["\($0.context)", $0.storage ?? "f32", format($0.tokensPerSecond["1"] ?? 0, 1), format($0.tokensPerSecond["2"] ?? 0, 1)] },
                    numeric: [0, 2, 3]))
print("")
print(markdownTable(["keys", "KV cache", "decode attention µs, 1 thread", "2 threads"],
                    decodeKernel.map { ["\($0.keys)", $0.storage ?? "f32", format($0.microseconds["1"] ?? 0, 0), format($0.microseconds["2"] ?? 0, 0)] },
                    numeric: [0, 2, 3]))
print("")
print(markdownTable(["keys", "attention ms (512 queries, 1 thread)", "CPU ms", "GFLOP per CPU s"],
                    attention.map { ["\($0.keys)", format($0.seconds * 1000, 1), format($0.cpuSeconds * 1000, 1), format($0.gigaflopsPerCPUSecond, 1)] },
                    numeric: [0, 1, 2, 3]))
try emitJSONReport(report, printing: false, to: options.json)
