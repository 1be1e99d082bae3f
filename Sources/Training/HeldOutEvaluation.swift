import Foundation
import MiniCPMModel
import TensorCore

/// A fixed set of windows over held-out tokens, to report a model's loss per token and bits per
/// byte the same way at every evaluation.
///
/// Window `k` holds tokens `start + k·L ... start + k·L + L` of the slice (`L` the sequence length),
/// so consecutive windows share one token: each is the next one's first input, and every token
/// after the slice's first is a target exactly once, up to ``windows``'s end. There are as many
/// windows as fit, at most `maximumWindowCount`; the result depends only on the slice.
///
/// **Bytes.** Bits per byte need the UTF-8 length of the text the scored tokens encode. Documents
/// all of whose tokens are targets count with their exact byte length; a document only partly
/// covered (at most the first and the last: the first's first token is context, never a target,
/// and the last window may stop inside a document) counts with the share of its bytes equal to the
/// share of its tokens that are targets. That assumes bytes spread evenly over a document's tokens,
/// which is exact on average and off by a fraction of one document's bytes at worst.
public struct HeldOutEvaluation: Sendable {
    /// The examples scored, in order.
    public let windows: [TrainingSequence]
    /// The number of targets over all windows.
    public let tokenCount: Int
    /// The UTF-8 bytes the targets stand for (see the type's discussion).
    public let byteCount: Double

    /// The windows of `slice` for a model trained on `sequenceLength` inputs.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` for a sequence length or
    ///   window cap below 1, ``TrainingError/insufficientData(reason:)`` when the slice is shorter
    ///   than one window.
    public init(slice: TokenSlice, sequenceLength: Int, maximumWindowCount: Int) throws(TrainingError) {
        guard maximumWindowCount >= 1 else {
            throw .invalidConfiguration(field: "maximumWindowCount", reason: "\(maximumWindowCount) is below 1")
        }
        try PackedSequenceSampler.checkWindow(sequenceLength, fits: slice, name: "the held-out slice")
        let count = min(maximumWindowCount, (slice.count - 1) / sequenceLength)
        windows = (0..<count).map { k in
            TrainingSequence(window: slice.tokens(from: k * sequenceLength, count: sequenceLength + 1))
        }
        tokenCount = count * sequenceLength
        let file = slice.file
        let targets = (slice.range.lowerBound + 1)..<(slice.range.lowerBound + 1 + tokenCount)
        var bytes = 0.0
        var document = file.documentIndex(containingToken: targets.lowerBound)
        while document < file.documentCount {
            let tokens = file.documentTokens(at: document)
            if tokens.lowerBound >= targets.upperBound { break }
            let covered = tokens.clamped(to: targets).count
            let documentBytes = file.documentByteCount(at: document)
            if covered == tokens.count {
                bytes += Double(documentBytes)
            } else if covered > 0 {
                bytes += Double(documentBytes) * Double(covered) / Double(tokens.count)
            }
            document += 1
        }
        byteCount = bytes
    }

    /// The model's mean next-token loss over the windows, in nats per token, and bits per byte
    /// (`total nats / (ln 2 · bytes)`), running forward passes of `batchSize` windows without
    /// recording gradients.
    /// - Throws: the model's `MiniCPMError` (e.g. ids outside its vocabulary or
    ///   windows longer than its context), ``TrainingError/invalidConfiguration(field:reason:)`` for
    ///   a batch size below 1.
    public func evaluate(model: MiniCPM, batchSize: Int = 8) throws -> (lossPerToken: Double, bitsPerByte: Double, tokens: Int) {
        guard batchSize >= 1 else { throw TrainingError.invalidConfiguration(field: "batchSize", reason: "\(batchSize) is below 1") }
        var totalNats = 0.0
        try withoutGradients {
            for start in stride(from: 0, to: windows.count, by: batchSize) {
                let batch = windows[start..<min(start + batchSize, windows.count)]
                let mean = try model.loss(inputs: batch.map(\.inputs), targets: batch.map(\.targets),
                                          ignoreIndex: TrainingSequence.ignoredTarget)
                // The loss is the mean over the batch's targets; summing nats keeps a short last batch
                // from weighing as much as a full one.
                totalNats += Double(mean.scalar) * Double(batch.reduce(0) { $0 + $1.scoredTokenCount })
            }
        }
        let perToken = tokenCount > 0 ? totalNats / Double(tokenCount) : 0
        let perByte = byteCount > 0 ? totalNats / (log(2) * byteCount) : 0
        return (perToken, perByte, tokenCount)
    }
}

extension HeldOutEvaluation {
    /// The loss over several held-out sets together (one per corpus of a mixture): their nats and
    /// bytes add up.
    public static func evaluate(_ sets: [HeldOutEvaluation], model: MiniCPM) throws -> (lossPerToken: Double, bitsPerByte: Double?, tokens: Int) {
        var nats = 0.0, bytes = 0.0, tokens = 0
        for set in sets {
            let result = try set.evaluate(model: model)
            nats += result.lossPerToken * Double(result.tokens)
            bytes += set.byteCount
            tokens += result.tokens
        }
        return (nats / Double(max(tokens, 1)), bytes > 0 ? nats / (log(2) * bytes) : nil, tokens)
    }
}
