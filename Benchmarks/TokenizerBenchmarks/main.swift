// Tokenizer benchmarks: encode throughput (MB/s of UTF-8 input) of SentencePieceTokenizer against
// the Python `sentencepiece` package on the same text and model, measured in one run with the
// rounds of the two sides interleaved; plus decode and streaming-detokenizer speed, and optionally
// a compression-rate table in the layout of the MiniCPM paper's Table 9; and the byte-level BPE
// tokenizer on SmolLM2's GGUF vocabulary against Hugging Face `tokenizers` (ByteLevelBenchmark.swift).
//
//   swift run -c release --scratch-path .build-bench TokenizerBenchmarks \
//       [--tokenizer FILE] [--corpus FILE] [--bytes N] [--rounds N] [--python python3] \
//       [--compression] [--chinese FILE] [--bpe-vocabulary JSON] [--json PATH]
//
// The corpus defaults to $MINICPM_DATA/kjv.txt (or .data/kjv.txt; see Docs/Tokenizer.md), else the
// golden test strings repeated. The Python side needs `python3 -m pip install sentencepiece` (and
// `tokenizers` for the byte-level rows; without it they are Swift only).

import BenchmarkSupport
import Foundation
import Tokenizer

// MARK: Arguments

var tokenizerPath = "Tests/TokenizerTests/Fixtures/tokenizer.model.v1"
var corpusPath: String?
var chinesePath: String?
var byteBudget = 1 << 20
var rounds = 7
var python = "python3"
var jsonPath: String?
var compression = false
var bpeVocabularyPath = "Tests/TokenizerTests/Fixtures/smollm2/vocabulary.json"
var arguments = CommandLine.arguments.dropFirst()
@MainActor func value(_ flag: String) -> String {
    guard let v = arguments.popFirst() else { fatalError("\(flag) needs a value") }
    return v
}
while let argument = arguments.popFirst() {
    switch argument {
    case "--tokenizer": tokenizerPath = value(argument)
    case "--corpus": corpusPath = value(argument)
    case "--chinese": chinesePath = value(argument)
    case "--bytes": byteBudget = Int(value(argument)) ?? byteBudget
    case "--rounds": rounds = max(1, Int(value(argument)) ?? rounds)
    case "--python": python = value(argument)
    case "--json": jsonPath = value(argument)
    case "--compression": compression = true
    case "--bpe-vocabulary": bpeVocabularyPath = value(argument)
    case "-h", "--help":
        print("usage: TokenizerBenchmarks [--tokenizer FILE] [--corpus FILE] [--bytes N] [--rounds N] [--python python3] [--compression] [--chinese FILE] [--bpe-vocabulary JSON] [--json PATH]")
        exit(0)
    default: fatalError("unknown argument \(argument) (try --help)")
    }
}

// MARK: Inputs

let tokenizer = try SentencePieceTokenizer(path: tokenizerPath)
let dataDirectory = ProcessInfo.processInfo.environment["MINICPM_DATA"] ?? ".data"
let corpusCandidates = [corpusPath, dataDirectory + "/kjv.txt"].compactMap { $0 }
var corpusName = "golden test strings, repeated"
var fullText = ""
if let path = corpusCandidates.first(where: { FileManager.default.fileExists(atPath: $0) }) {
    fullText = try String(contentsOfFile: path, encoding: .utf8)
    corpusName = path
} else {
    let golden = try String(contentsOfFile: "Tests/TokenizerTests/Fixtures/golden.json", encoding: .utf8)
    struct Case: Decodable { let text: String }
    struct Doc: Decodable { let cases: [Case] }
    let texts = try JSONDecoder().decode(Doc.self, from: Data(golden.utf8)).cases.map(\.text)
    let block = texts.joined(separator: "\n")
    while fullText.utf8.count < byteBudget { fullText += block + "\n" }
}
/// The first `byteBudget` bytes, cut after a newline.
func prefix(of text: String, bytes: Int) -> String {
    let utf8 = Array(text.utf8)
    guard utf8.count > bytes else { return text }
    var end = bytes
    while end > 0 && utf8[end - 1] != 0x0A { end -= 1 }
    return String(decoding: utf8[..<(end > 0 ? end : bytes)], as: UTF8.self)
}
let text = prefix(of: fullText, bytes: byteBudget)
// Split at every U+000A scalar, as Python's `split("\n")` does: splitting Characters would keep
// "\r\n" (one Character) inside a line, and the two sides would encode different lines.
let lines = text.unicodeScalars.split(separator: "\n").map { String(String.UnicodeScalarView($0)) }
let megabytes = Double(text.utf8.count) / 1e6
let lineMegabytes = Double(lines.reduce(0) { $0 + $1.utf8.count }) / 1e6
let sliceURL = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-bench-\(getpid()).txt")
try text.write(to: sliceURL, atomically: true, encoding: .utf8)
defer { try? FileManager.default.removeItem(at: sliceURL) }

// MARK: Measurement

/// CPU time of the whole process (all threads), in seconds.
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// Encodes the workload once; returns wall and CPU seconds, tokens and the sum of ids (to check
/// both sides did the same work).
func swiftRun(_ workload: String, tokenizer: SentencePieceTokenizer, text: String,
              lines: [String]) throws -> PythonBaseline.Measurement {
    let start = clock.now
    let startCPU = processCPUSeconds()
    var tokens = 0, sum = 0
    switch workload {
    case "document":
        let ids = try tokenizer.encode(text)
        tokens = ids.count
        sum = ids.reduce(0, +)
    case "lines":
        for line in lines {
            let ids = try tokenizer.encode(line)
            tokens += ids.count
            sum += ids.reduce(0, +)
        }
    default:  // "lines2": the lines split in two halves, encoded on two threads
        let lock = NSLock()
        nonisolated(unsafe) var sharedTokens = 0, sharedSum = 0
        let half = (lines.count + 1) / 2
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            var t = 0, s = 0
            for line in lines[(part * half)..<min(lines.count, (part + 1) * half)] {
                let ids = (try? tokenizer.encode(line)) ?? []
                t += ids.count
                s += ids.reduce(0, +)
            }
            lock.lock(); sharedTokens += t; sharedSum += s; lock.unlock()
        }
        tokens = sharedTokens
        sum = sharedSum
    }
    let wall = seconds(clock.now - start)
    return PythonBaseline.Measurement(seconds: wall, cpuSeconds: processCPUSeconds() - startCPU,
                                      tokens: tokens, checksum: sum)
}

struct Row: Codable {
    var workload: String
    var description: String
    var megabytes: Double
    var swiftMedianMBps: Double
    var swiftBestMBps: Double
    var pythonMedianMBps: Double?
    var pythonBestMBps: Double?
    var ratioOfMedians: Double?
    /// MB per CPU-second (all threads), medians: robust to a busy machine.
    var swiftMBPerCPUSecond: Double
    var pythonMBPerCPUSecond: Double?
    var cpuRatio: Double?
    var tokens: Int
    var rounds: Int
}

print("Tokenizer benchmarks: \(tokenizerPath) (\(tokenizer.vocabularySize) pieces)")
print("corpus: \(corpusName), first \(text.utf8.count) bytes, \(lines.count) non-empty lines")
let baseline = PythonBaseline(python: python, model: tokenizerPath, corpus: sliceURL.path)
if let baseline { print("Python sentencepiece \(baseline.version) via \(python)") }
print("Swift: libsentencepiece 0.1.97 (Debian) through the C shim")
print("\(rounds) rounds after one warm-up, Swift and Python alternating; MB/s of UTF-8 input per wall-clock second, median (best),")
print("and per CPU-second of the process (all threads), median\n")

let workloads: [(String, String, Double)] = [
    ("document", "the whole text as one string", megabytes),
    ("lines", "each line on its own, 1 thread", lineMegabytes),
    ("lines2", "each line on its own, 2 threads", lineMegabytes),
]
var rows: [Row] = []
for (workload, description, size) in workloads {
    var swiftTimes: [Double] = [], pythonTimes: [Double] = []
    var swiftCPU: [Double] = [], pythonCPU: [Double] = []
    var tokens = 0
    for round in 0...rounds {
        let mine = try swiftRun(workload, tokenizer: tokenizer, text: text, lines: lines)
        tokens = mine.tokens
        if let theirs = baseline?.run(workload) {
            if theirs.tokens != mine.tokens || theirs.checksum != mine.checksum {
                print("MISMATCH in \(workload): Swift \(mine.tokens) tokens (sum \(mine.checksum)), Python \(theirs.tokens) (sum \(theirs.checksum))")
            }
            if round > 0 { pythonTimes.append(theirs.seconds); pythonCPU.append(theirs.cpuSeconds) }
        }
        if round > 0 { swiftTimes.append(mine.seconds); swiftCPU.append(mine.cpuSeconds) }
    }
    let swiftMedian = size / median(swiftTimes), swiftBest = size / swiftTimes.min()!
    let pythonMedian = pythonTimes.isEmpty ? nil : size / median(pythonTimes)
    let pythonBest = pythonTimes.isEmpty ? nil : size / pythonTimes.min()!
    let swiftPerCPU = size / median(swiftCPU)
    let pythonPerCPU = pythonCPU.isEmpty ? nil : size / median(pythonCPU)
    rows.append(Row(workload: workload, description: description, megabytes: size,
                    swiftMedianMBps: swiftMedian, swiftBestMBps: swiftBest,
                    pythonMedianMBps: pythonMedian, pythonBestMBps: pythonBest,
                    ratioOfMedians: pythonMedian.map { swiftMedian / $0 },
                    swiftMBPerCPUSecond: swiftPerCPU, pythonMBPerCPUSecond: pythonPerCPU,
                    cpuRatio: pythonPerCPU.map { swiftPerCPU / $0 }, tokens: tokens, rounds: rounds))
}
baseline?.stop()

func f(_ x: Double, _ digits: Int = 2) -> String { format(x, digits) }
print(markdownTable(
    ["workload", "tokens", "Swift MB/s", "Python MB/s", "Swift / Python", "Swift MB/CPU-s", "Python MB/CPU-s",
     "Swift / Python (CPU)"],
    rows.map { row in
        [row.description, "\(row.tokens)", "\(f(row.swiftMedianMBps)) (\(f(row.swiftBestMBps)))",
         row.pythonMedianMBps.map { "\(f($0)) (\(f(row.pythonBestMBps!)))" } ?? "—",
         row.ratioOfMedians.map { f($0) } ?? "—", f(row.swiftMBPerCPUSecond),
         row.pythonMBPerCPUSecond.map { f($0) } ?? "—", row.cpuRatio.map { f($0) } ?? "—"]
    },
    numeric: Set(1...7)))

// Decoding: all ids at once, and one id at a time through the streaming detokenizer.
let documentIDs = try tokenizer.encode(text)
let (decodeTimes, streamTimes) = try decodeAndStreamTimes(tokenizer, ids: documentIDs, rounds: rounds)
let tokenCount = Double(documentIDs.count)
print("\ndecode all \(documentIDs.count) ids at once: \(f(tokenCount / median(decodeTimes) / 1e6, 2)) M tokens/s; "
      + "streaming detokenizer, one id at a time: \(f(tokenCount / median(streamTimes) / 1e6, 2)) M tokens/s "
      + "(\(f(median(streamTimes) / tokenCount * 1e6, 2)) µs per token)")

// MARK: Byte-level BPE (GGUF vocabulary)

let byteLevel = try ByteLevelBenchmark.run(vocabularyPath: bpeVocabularyPath, text: text, lines: lines,
                                           corpusPath: sliceURL.path, rounds: rounds, python: python)

// MARK: Compression (Table 9 layout)

var compressionTable: String?
if compression {
    // Held-out halves: train on (at most 1 MB of) the first half of each corpus, measure on the
    // second half.
    func halves(_ lines: [String]) -> ([String], [String]) {
        var train: [String] = []
        var bytes = 0
        for line in lines[..<(lines.count / 2)] where bytes < 1_000_000 {
            train.append(line)
            bytes += line.utf8.count
        }
        return (train, Array(lines[(lines.count / 2)...]))
    }
    let english = fullText.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    var corpora: [(name: String, train: [String], test: [String])] = []
    let (englishTrain, englishTest) = halves(english)
    corpora.append(("English (KJV)", englishTrain, englishTest))
    if let chinesePath, let chinese = try? String(contentsOfFile: chinesePath, encoding: .utf8) {
        let (train, test) = halves(chinese.split(separator: "\n").map(String.init).filter { !$0.isEmpty })
        corpora.append(("Chinese", train, test))
    }
    var code: [String] = []
    if let files = FileManager.default.enumerator(atPath: "Sources") {
        for case let file as String in files where file.hasSuffix(".swift") {
            if let source = try? String(contentsOfFile: "Sources/" + file, encoding: .utf8) {
                code += source.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            }
        }
    }
    if !code.isEmpty {
        let (train, test) = halves(code)
        corpora.append(("Code (Swift)", train, test))
    }
    let trainingLines = corpora.flatMap(\.train)
    var tokenizers: [(name: String, tokenizer: any TextTokenizer)] = [("Mistral v1", tokenizer)]
    for size in [4000, 8000, 16000] {
        let start = clock.now
        do {
            var options = TokenizerTrainingOptions(vocabularySize: size)
            options.characterCoverage = 0.9995   // rare Chinese characters go to byte fallback
            options.threadCount = ProcessInfo.processInfo.activeProcessorCount
            let trained = try TokenizerTrainer.train(sentences: trainingLines, options: options)
            print("trained BPE \(size) on \(trainingLines.count) lines in \(f(seconds(clock.now - start), 1)) s")
            tokenizers.append(("BPE-\(size / 1000)k (ours)", trained))
        } catch {
            print("BPE \(size): \(error)")
        }
    }
    let report = try CompressionReport.measure(tokenizers: tokenizers,
                                               corpora: corpora.map { ($0.name, $0.test) })
    compressionTable = report.markdown()
    print("\nCompression rate (encoded bytes / tokens) on held-out halves:\n")
    print(compressionTable!)
}

if let jsonPath {
    struct Report: Codable {
        var date: String
        var tokenizer: String
        var corpus: String
        var bytes: Int
        var pythonVersion: String?
        var rows: [Row]
        var decodeMTokensPerSecond: Double
        var streamingMTokensPerSecond: Double
        var compressionTable: String?
        var byteLevel: ByteLevelBenchmark.Result?
    }
    let report = Report(date: ISO8601DateFormatter().string(from: Date()), tokenizer: tokenizerPath, corpus: corpusName,
                        bytes: text.utf8.count, pythonVersion: baseline?.version, rows: rows,
                        decodeMTokensPerSecond: tokenCount / median(decodeTimes) / 1e6,
                        streamingMTokensPerSecond: tokenCount / median(streamTimes) / 1e6,
                        compressionTable: compressionTable, byteLevel: byteLevel)
    try emitJSONReport(report, printing: false, to: jsonPath)
}
