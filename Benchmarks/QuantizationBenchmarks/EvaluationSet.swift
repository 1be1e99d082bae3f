import BenchmarkSupport
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer
import Training

/// The held-out windows every variant is scored on, with the UTF-8 bytes their targets stand for,
/// so that loss per token, perplexity and bits per byte come from the same passes.
struct EvaluationSet {
    var windows: [TrainingSequence]
    var tokenCount: Int
    var byteCount: Double
    /// Where the windows came from, for the report.
    var source: String

    /// `count` windows of `length` + 1 tokens from `text`, starting at the first line break after
    /// `fromFraction` of its bytes; consecutive windows share one token (each is the next one's
    /// first input), as in `HeldOutEvaluation`, so every token after the first is a target once.
    /// Bytes are those of the decoded targets (exact for a byte-level tokenizer).
    init(text: String, path: String, fromFraction: Double, count: Int, length: Int, tokenizer: any TextTokenizer) throws {
        let needed = count * length + 1
        let tokens = try tokensOfText(text, fromFraction: fromFraction, atLeast: needed, tokenizer: tokenizer)
        windows = (0..<count).map { k in TrainingSequence(window: tokens[(k * length)...(k * length + length)]) }
        tokenCount = count * length
        byteCount = Double(try tokenizer.decode(Array(tokens[1..<needed])).utf8.count)
        source = "\(path) from \(format(fromFraction * 100, 0)) % of its bytes: \(count) × \(length) tokens"
    }

    /// The held-out documents of token files as the suite's training runs split them
    /// (`DocumentSplit` with `heldOutFraction`, `HeldOutEvaluation` windows), several files scored
    /// together (their nats and bytes add up).
    init(tokenFiles: [String], heldOutFraction: Double, windowsPerFile: Int, length: Int) throws {
        var windows: [TrainingSequence] = [], tokens = 0, bytes = 0.0
        for path in tokenFiles {
            let split = try DocumentSplit(file: try TokenFile(contentsOf: URL(fileURLWithPath: path)), heldOutFraction: heldOutFraction)
            let set = try HeldOutEvaluation(slice: split.heldOut, sequenceLength: length, maximumWindowCount: windowsPerFile)
            windows += set.windows
            tokens += set.tokenCount
            bytes += set.byteCount
        }
        self.windows = windows
        tokenCount = tokens
        byteCount = bytes
        source = tokenFiles.map { ($0 as NSString).lastPathComponent }.joined(separator: " + ")
            + ": the held-out \(format(heldOutFraction * 100, 1)) % of documents, ≤ \(windowsPerFile) × \(length) tokens each"
    }

    /// Mean loss per token (nats) and bits per byte of `model` over the windows, one window per
    /// forward pass, with a progress line every `progressEvery` windows.
    func evaluate(_ model: MiniCPM, label: String, progressEvery: Int = 4) throws -> (lossPerToken: Double, bitsPerByte: Double) {
        var nats = 0.0
        let start = clock.now
        try withoutGradients {
            for (k, window) in windows.enumerated() {
                let mean = try model.loss(inputs: [window.inputs], targets: [window.targets], ignoreIndex: TrainingSequence.ignoredTarget)
                nats += Double(mean.scalar) * Double(window.scoredTokenCount)
                if (k + 1) % progressEvery == 0 || k + 1 == windows.count {
                    let scored = windows[...k].reduce(0) { $0 + $1.scoredTokenCount }
                    progress("  \(label): window \(k + 1)/\(windows.count), running loss \(format(nats / Double(scored), 4)), \(format(secondsSince(start), 1)) s")
                }
            }
        }
        return (nats / Double(tokenCount), nats / (log(2) * byteCount))
    }
}

/// At least `count` tokens of `text` from the first line break after `fromFraction` of its bytes
/// (tokenising a growing prefix of that part rather than the whole file).
func tokensOfText(_ text: String, fromFraction: Double, atLeast count: Int, tokenizer: any TextTokenizer) throws -> [Int] {
    let utf8 = Array(text.utf8)
    var begin = min(utf8.count, Int(Double(utf8.count) * fromFraction))
    if begin > 0 { while begin < utf8.count && utf8[begin - 1] != UInt8(ascii: "\n") { begin += 1 } }
    var span = count * 8
    while true {
        let end = min(utf8.count, begin + span)
        var piece = end
        // Cut at a line break so that no token straddles the cut.
        while piece < utf8.count && piece > begin && utf8[piece - 1] != UInt8(ascii: "\n") { piece -= 1 }
        let tokens = try tokenizer.encode(String(decoding: utf8[begin..<(piece > begin ? piece : end)], as: UTF8.self))
        if tokens.count >= count { return Array(tokens.prefix(count)) }
        guard end < utf8.count else {
            throw BenchmarkFailure("only \(tokens.count) tokens after \(format(fromFraction * 100, 0)) % of the text, \(count) needed")
        }
        span *= 2
    }
}

/// A benchmark setup error, printed as it is.
struct BenchmarkFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
