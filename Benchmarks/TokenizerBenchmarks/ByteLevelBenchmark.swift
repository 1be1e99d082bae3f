import BenchmarkSupport
import Foundation
import Tokenizer

/// Byte-level BPE (SmolLM2's GGUF vocabulary, `Tests/TokenizerTests/Fixtures/smollm2/vocabulary.json`):
/// construction time, encode MB/s on the same text as the SentencePiece rows, decode and streaming,
/// against Hugging Face `tokenizers` built the way `make_bpe_golden.py` builds its reference (the
/// Python side is skipped when the package is missing).
struct ByteLevelBenchmark {
    struct Vocabulary: Decodable {
        let pre: String
        let bosId: Int
        let eosId: Int
        let unknownId: Int
        let paddingId: Int
        let addBosToken: Bool
        let tokens: [String]
        let tokenType: [Int]
        let merges: [String]
    }

    struct Result: Codable {
        var constructionSeconds: Double
        var documentMBps: Double
        var linesMBps: Double
        var pythonDocumentMBps: Double?
        var pythonLinesMBps: Double?
        var tokens: Int
        var decodeMTokensPerSecond: Double
        var streamingMTokensPerSecond: Double
    }

    static let pythonScript = #"""
import json, sys, time
from tokenizers import Tokenizer, pre_tokenizers, decoders, AddedToken
from tokenizers.models import BPE
vocabulary = json.load(open(sys.argv[1], encoding="utf-8"))
text = open(sys.argv[2], encoding="utf-8", newline="").read()   # keep "\r\n" as it is
lines = json.load(open(sys.argv[3], encoding="utf-8"))            # the Swift side's lines
tokens = vocabulary["tokens"]
tokenizer = Tokenizer(BPE({t: i for i, t in enumerate(tokens)}, [tuple(m.split(" ")) for m in vocabulary["merges"]]))
tokenizer.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
tokenizer.decoder = decoders.ByteLevel()
tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False)
                              for t, k in zip(tokens, vocabulary["token_type"]) if k == 3])
print("ready", flush=True)
for command in sys.stdin:
    command = command.strip()
    start = time.perf_counter()
    if command == "document":
        ids = [tokenizer.encode(text).ids]
    elif command == "lines":
        ids = [tokenizer.encode(line).ids for line in lines]
    else:
        break
    print(time.perf_counter() - start, sum(len(x) for x in ids), sum(sum(x) for x in ids), flush=True)
"""#

    static func run(vocabularyPath: String, text: String, lines: [String], corpusPath: String,
                    rounds: Int, python: String) throws -> Result? {
        guard FileManager.default.fileExists(atPath: vocabularyPath) else {
            print("\nbyte-level BPE skipped: no \(vocabularyPath)")
            return nil
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let vocabulary = try decoder.decode(Vocabulary.self, from: Data(contentsOf: URL(fileURLWithPath: vocabularyPath)))
        var start = clock.now
        let tokenizer = try ByteLevelBPETokenizer(
            tokens: vocabulary.tokens, tokenTypes: try [TokenType](ggufValues: vocabulary.tokenType),
            merges: vocabulary.merges, preTokenizer: PreTokenizer(ggufName: vocabulary.pre) ?? .gpt2,
            bosID: vocabulary.bosId, eosID: vocabulary.eosId, unknownID: vocabulary.unknownId,
            paddingID: vocabulary.paddingId, addsBOS: vocabulary.addBosToken)
        let construction = seconds(clock.now - start)

        // The lines go over as JSON: Swift splits at "\n" Characters, which leaves "\r\n" whole.
        let linesURL = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-bench-lines-\(getpid()).json")
        try JSONEncoder().encode(lines).write(to: linesURL)
        defer { try? FileManager.default.removeItem(at: linesURL) }
        let python = PythonLineProcess(python: python, script: pythonScript,
                                       arguments: [vocabularyPath, corpusPath, linesURL.path])
        let megabytes = Double(text.utf8.count) / 1e6
        let lineMegabytes = Double(lines.reduce(0) { $0 + $1.utf8.count }) / 1e6
        var times: [String: [Double]] = [:]
        var tokenCount = 0
        for round in 0...rounds {
            for workload in ["document", "lines"] {
                start = clock.now
                var count = 0, sum = 0
                if workload == "document" {
                    let ids = try tokenizer.encode(text)
                    count = ids.count
                    sum = ids.reduce(0, +)
                    tokenCount = count
                } else {
                    for line in lines {
                        let ids = try tokenizer.encode(line)
                        count += ids.count
                        sum += ids.reduce(0, +)
                    }
                }
                let elapsed = seconds(clock.now - start)
                if let reply = python?.ask(workload) {
                    let parts = reply.split(separator: " ")
                    if parts.count == 3, let pythonSeconds = Double(parts[0]) {
                        if Int(parts[1]) != count || Int(parts[2]) != sum {
                            print("MISMATCH in byte-level \(workload): Swift \(count) tokens (sum \(sum)), Python \(parts[1]) (sum \(parts[2]))")
                        }
                        if round > 0 { times["python " + workload, default: []].append(pythonSeconds) }
                    }
                }
                if round > 0 { times[workload, default: []].append(elapsed) }
            }
        }
        python?.stop()

        let ids = try tokenizer.encode(text)
        let (decodeTimes, streamTimes) = try decodeAndStreamTimes(tokenizer, ids: ids, rounds: rounds)
        func rate(_ key: String, _ size: Double) -> Double? { times[key].map { size / median($0) } }
        let result = Result(
            constructionSeconds: construction,
            documentMBps: rate("document", megabytes)!, linesMBps: rate("lines", lineMegabytes)!,
            pythonDocumentMBps: rate("python document", megabytes), pythonLinesMBps: rate("python lines", lineMegabytes),
            tokens: tokenCount,
            decodeMTokensPerSecond: Double(ids.count) / median(decodeTimes) / 1e6,
            streamingMTokensPerSecond: Double(ids.count) / median(streamTimes) / 1e6)
        func show(_ x: Double?) -> String { x.map { String(format: "%.2f", $0) } ?? "—" }
        print("\nByte-level BPE, SmolLM2 vocabulary (\(tokenizer.vocabularySize) tokens, \(vocabulary.merges.count) merges), "
              + "built in \(show(construction * 1000)) ms; \(tokenCount) tokens for the document")
        print(markdownTable(["workload", "Swift MB/s", "Python tokenizers MB/s"], [
            ["the whole text as one string", show(result.documentMBps), show(result.pythonDocumentMBps)],
            ["each line on its own, 1 thread", show(result.linesMBps), show(result.pythonLinesMBps)],
        ], numeric: [1, 2]))
        print("decode all ids at once: \(show(result.decodeMTokensPerSecond)) M tokens/s; "
              + "streaming detokenizer: \(show(result.streamingMTokensPerSecond)) M tokens/s")
        return result
    }
}

/// A Python child process that prints `ready` once set up, then answers one line per line sent
/// (nil when Python or the `tokenizers` package is missing).
final class PythonLineProcess {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    init?(python: String, script: String, arguments: [String]) {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script] + arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        guard readLine() == "ready" else {
            print("Python byte-level baseline skipped: \(python) could not import tokenizers (python3 -m pip install tokenizers)")
            process.waitUntilExit()
            return nil
        }
    }

    func ask(_ line: String) -> String? {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
        return readLine()
    }

    private func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let reply = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return reply
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
