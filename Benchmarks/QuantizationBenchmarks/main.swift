// The quality table of int4 quantisation (issue 13): held-out perplexity and bits per byte of the
// float model, round-to-nearest int4 and GPTQ int4 at each group size, with the bytes of the
// linear weights as stored and the time quantisation takes.
//
//   swift build -c release --product QuantizationBenchmarks
//   .build/release/QuantizationBenchmarks --model PATH (HF directory or GGUF file)
//       (--eval-text FILE [--eval-from 0.9] | --eval-tokens A.tokens,B.tokens [--held-out-fraction 0.02])
//       [--eval-windows 16] [--eval-length 512]
//       (--calibration-text FILE [--calibration-from 0] | --calibration-tokens A.tokens,B.tokens)
//       [--calibration-sequences 32] [--calibration-length 256]
//       [--variants float,gguf,rtn128,rtn64,rtn32,gptq128,gptq64,gptq32,paper32] [--threads 1] [--json PATH]
//
// paperG (not run by default) is the paper's round-to-nearest with a float scale and fractional
// zero (GroupQuantizedWeight), simulated in float, for comparison with AutoGPTQ's integer zero.
//
// With --eval-tokens the windows are the held-out documents of the suite's DocumentSplit (the
// split training runs hold out), and --calibration-tokens draws from the training documents of the
// same split, so the two never overlap. With text files the evaluation reads from --eval-from of
// the file's bytes on and calibration from --calibration-from; pick disjoint parts or files.
// A variant that cannot be made (a group size that does not divide a layer's inputs) is reported
// as not applicable with the quantiser's error. Prints a Markdown table and the JSON document.

import BenchmarkSupport
import CBLAS
import Foundation
import MiniCPMModel
import Quantization
import TensorCore
import Tokenizer
import Training

struct Options {
    var model: String?
    var evalText: String?
    var evalFrom = 0.9
    var evalTokens: [String] = []
    var heldOutFraction = 0.02
    var evalWindows = 16
    var evalLength = 512
    var calibrationText: String?
    var calibrationFrom = 0.0
    var calibrationTokens: [String] = []
    var calibrationSequences = 32
    var calibrationLength = 256
    var variants: [Variant]?
    var threads = 1
    var jsonPath: String?
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst()
@MainActor func value(_ name: String) -> String {
    guard let s = arguments.popFirst() else { fatalError("\(name) needs a value (try --help)") }
    return s
}
@MainActor func positive(_ name: String) -> Int {
    guard let v = Int(value(name)), v > 0 else { fatalError("\(name) needs a positive integer") }
    return v
}
@MainActor func fraction(_ name: String) -> Double {
    guard let v = Double(value(name)), v >= 0, v < 1 else { fatalError("\(name) needs a number in [0, 1)") }
    return v
}
while let arg = arguments.popFirst() {
    switch arg {
    case "--model": options.model = value(arg)
    case "--eval-text": options.evalText = value(arg)
    case "--eval-from": options.evalFrom = fraction(arg)
    case "--eval-tokens": options.evalTokens = value(arg).split(separator: ",").map(String.init)
    case "--held-out-fraction": options.heldOutFraction = fraction(arg)
    case "--eval-windows": options.evalWindows = positive(arg)
    case "--eval-length": options.evalLength = positive(arg)
    case "--calibration-text": options.calibrationText = value(arg)
    case "--calibration-from": options.calibrationFrom = fraction(arg)
    case "--calibration-tokens": options.calibrationTokens = value(arg).split(separator: ",").map(String.init)
    case "--calibration-sequences": options.calibrationSequences = positive(arg)
    case "--calibration-length": options.calibrationLength = positive(arg)
    case "--variants":
        options.variants = value(arg).split(separator: ",").map { name in
            guard let v = Variant(String(name)) else { fatalError("unknown variant \(name): float, gguf, rtnG or gptqG") }
            return v
        }
    case "--threads": options.threads = positive(arg)
    case "--json": options.jsonPath = value(arg)
    case "-h", "--help":
        print("""
        usage: QuantizationBenchmarks --model PATH
                 (--eval-text FILE [--eval-from 0.9] | --eval-tokens A.tokens,B.tokens [--held-out-fraction 0.02])
                 [--eval-windows 16] [--eval-length 512]
                 (--calibration-text FILE [--calibration-from 0] | --calibration-tokens A.tokens,...)
                 [--calibration-sequences 32] [--calibration-length 256]
                 [--variants float,gguf,rtn128,rtn64,rtn32,gptq128,gptq64,gptq32] [--threads 1] [--json PATH]
          --eval-windows: windows in all for text, per token file for --eval-tokens
          --variants: gguf (the GGUF file's blocks kept in place) only for a GGUF model; paperG: the
                      paper's fractional-zero RTN simulated in float (bytes as if fp16 scale and zero)
        """)
        exit(0)
    default:
        fatalError("unknown argument \(arg) (try --help)")
    }
}
guard let modelPath = options.model else { fatalError("--model is required (try --help)") }
guard (options.evalText == nil) != options.evalTokens.isEmpty else { fatalError("give one of --eval-text and --eval-tokens") }

Parallelism.threadCount = options.threads
let machine = MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename())
let modelURL = URL(fileURLWithPath: modelPath)
let isGGUF = try ModelFormat.detect(at: modelURL) == .gguf
print("Quantisation quality on \(machine.cpuModel), \(options.threads) thread(s); load average at start \(machine.loadAverageAtStart)")

let loadStart = clock.now
let language = try LanguageModel(contentsOf: modelURL)
let floatModel = language.model
progress("loaded \(modelPath) in \(format(secondsSince(loadStart), 1)) s: hidden \(floatModel.configuration.hiddenSize), " +
         "intermediate \(floatModel.configuration.intermediateSize), \(floatModel.configuration.layerCount) layers")

let evaluation: EvaluationSet
if let path = options.evalText {
    evaluation = try EvaluationSet(text: try String(contentsOfFile: path, encoding: .utf8), path: path, fromFraction: options.evalFrom,
                                   count: options.evalWindows, length: options.evalLength, tokenizer: language.tokenizer)
} else {
    evaluation = try EvaluationSet(tokenFiles: options.evalTokens, heldOutFraction: options.heldOutFraction,
                                   windowsPerFile: options.evalWindows, length: options.evalLength)
}
progress("evaluation: \(evaluation.source); \(evaluation.tokenCount) targets, \(Int(evaluation.byteCount)) bytes")

var variants = options.variants ?? ([.float] + (isGGUF ? [.ggufBlocks] : [])
    + [128, 64, 32].map { Variant.roundToNearest(groupSize: $0) } + [128, 64, 32].map { Variant.gptq(groupSize: $0) })
if !isGGUF { variants.removeAll { $0 == .ggufBlocks } }

var calibration: [[Int]]?
var calibrationSource: String?
@MainActor func calibrationSequences() throws -> [[Int]] {
    if let calibration { return calibration }
    let sequences: [[Int]]
    if let path = options.calibrationText {
        sequences = try CalibrationSet.fromText(try String(contentsOfFile: path, encoding: .utf8), fromFraction: options.calibrationFrom,
                                                count: options.calibrationSequences, length: options.calibrationLength,
                                                tokenizer: language.tokenizer)
        calibrationSource = "\(path) from \(format(options.calibrationFrom * 100, 0)) % of its bytes: " +
            "\(options.calibrationSequences) consecutive sequences × \(options.calibrationLength) tokens"
    } else if !options.calibrationTokens.isEmpty {
        sequences = try CalibrationSet.fromTokenFiles(options.calibrationTokens, heldOutFraction: options.heldOutFraction,
                                                      count: options.calibrationSequences, length: options.calibrationLength)
        calibrationSource = options.calibrationTokens.map { ($0 as NSString).lastPathComponent }.joined(separator: " + ") +
            ": \(options.calibrationSequences) sequences × \(options.calibrationLength) tokens spread over the training documents"
    } else {
        throw BenchmarkFailure("GPTQ needs --calibration-text or --calibration-tokens")
    }
    calibration = sequences
    progress("calibration: \(calibrationSource!)")
    return sequences
}

var results: [VariantResult] = []
for variant in variants {
    progress("— \(variant)")
    var result = VariantResult(variant: "\(variant)")
    var model: MiniCPM?
    var paperBytes: LinearWeightBytes?
    let start = clock.now
    do {
        switch variant {
        case .float:
            model = floatModel
        case .ggufBlocks:
            model = try MiniCPM(keepingQuantizedBlocksOfGGUFAt: modelURL)
        case let .roundToNearest(g):
            result.groupSize = g
            model = try quantizeLinearLayers(of: floatModel, groupSize: g)
        case let .gptq(g):
            result.groupSize = g
            let sequences = try calibrationSequences()
            var layers: [LayerResult] = []
            let gptqStart = clock.now
            model = try quantizeLinearLayersWithGPTQ(of: floatModel, calibration: sequences, options: GPTQOptions(groupSize: g)) { r in
                layers.append(LayerResult(name: r.name, sampleCount: r.sampleCount, dampingFraction: r.dampingFraction,
                                          meanSquaredError: r.meanSquaredError,
                                          roundToNearestMeanSquaredError: r.roundToNearestMeanSquaredError, seconds: r.seconds))
                progress("  \(r.name) [\(r.outputFeatures)×\(r.inputFeatures)]: MSE \(String(format: "%.3e", r.meanSquaredError)) " +
                         "(RTN \(String(format: "%.3e", r.roundToNearestMeanSquaredError))), \(format(r.seconds, 2)) s, " +
                         "\(format(secondsSince(gptqStart), 0)) s in all")
            }
            result.layers = layers
        case let .paper(g):
            result.groupSize = g
            var simulated = floatModel
            var groups = 0
            try simulated.mapLinearLayers { name, layer in
                guard name != "lm_head", let dense = layer as? Linear else { return layer }
                groups += dense.weight.count / g
                return Linear(weight: try GroupQuantizedWeight(quantizing: dense.weight, groupSize: g, name: name + ".weight").dequantized())
            }
            model = simulated
            // Held as float; the bytes are those of 4-bit codes with an fp16 scale and fp16 zero a group.
            let weights = LinearWeightBytes(of: simulated).float32 / 4
            paperBytes = LinearWeightBytes(float32: 4 * weights, stored: weights / 2 + 4 * groups)
        }
    } catch let error as QuantizationError {
        result.notApplicable = "\(error)"
        progress("  not applicable: \(error)")
    }
    if let model {
        result.quantizationSeconds = variant == .float ? nil : secondsSince(start)
        result.linearBytes = paperBytes ?? LinearWeightBytes(of: model)
        let evalStart = clock.now
        let (loss, bpb) = try evaluation.evaluate(model, label: "\(variant)")
        result.evaluationSeconds = secondsSince(evalStart)
        result.lossPerToken = loss
        result.perplexity = exp(loss)
        result.bitsPerByte = bpb
        progress("  loss \(format(loss, 4)), perplexity \(format(exp(loss), 3)), \(format(bpb, 4)) bits/byte")
    }
    results.append(result)
}

var ggufBytes: Int?, ggufTypes: String?
if isGGUF {
    let file = try GGUFFile(contentsOf: modelURL)
    ggufBytes = LinearWeightBytes.inGGUF(file)
    ggufTypes = Set(file.tensorInfos.filter { $0.name.hasPrefix("blk.") && $0.shape.count == 2 }.map { "\($0.type)" }).sorted().joined(separator: ", ")
}
let formatter = ISO8601DateFormatter()
let report = QuantizationReport(machine: machine, date: formatter.string(from: Date()), model: modelPath, threads: options.threads,
                                evaluation: evaluation.source, evaluationTokens: evaluation.tokenCount,
                                evaluationBytes: evaluation.byteCount, calibration: calibrationSource,
                                ggufSourceLinearBytes: ggufBytes, ggufSourceTypes: ggufTypes, results: results)
print("\nmodel \(modelPath); evaluation \(evaluation.source) (\(evaluation.tokenCount) targets, \(Int(evaluation.byteCount)) bytes)")
if let calibrationSource { print("GPTQ calibration: \(calibrationSource)") }
if let ggufBytes { print("GGUF source linear weights: \(format(Double(ggufBytes) / 1e6, 2)) MB (\(ggufTypes ?? ""))") }
print(report.markdown())
try emitJSONReport(report, printing: false, to: options.jsonPath)
