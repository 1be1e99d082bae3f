import Foundation
import MiniCPMModel
import TensorCore

extension MiniCPM {
    /// The log-probability of each token of each continuation after a shared context, with the
    /// context prefilled **once**: `result[i][j] = log P(continuations[i][j] | context,
    /// continuations[i][0..<j])`.
    ///
    /// ```swift
    /// let rows = try model.continuationLogProbabilities([[5, 9], [7]], after: [1, 42, 17])
    /// ```
    ///
    /// The context runs through the model into a KV cache, whose last logits give every
    /// continuation's first token; all continuations but their last tokens then run together on top
    /// of that cache (`MiniCPM.logits(forContinuations:of:)`: one batch of rows through the weights,
    /// attention per continuation over the context's cached keys and values, rolled back after
    /// each). The result equals scoring `context + continuation` from scratch with
    /// `logits(for:cache:)` up to float rounding (the test suite checks it), at the cost of the
    /// context once plus each continuation (less one token) instead of the context once per
    /// continuation. Nothing records gradients.
    ///
    /// - Parameters:
    ///   - continuations: The ids of each continuation; an empty one gets an empty row.
    ///   - context: The ids before every continuation (at least one: the first continuation token
    ///     needs the logits of a position before it).
    /// - Throws: `MiniCPMError.emptyInput` for an empty context, `MiniCPMError.tokenOutOfRange` for
    ///   an id outside the vocabulary, and `MiniCPMError.contextOverflow` when the context and a
    ///   continuation (less its last token) exceed `maximumContextLength`; nothing is computed then.
    public func continuationLogProbabilities(_ continuations: [[Int]], after context: [Int]) throws(MiniCPMError) -> [[Float]] {
        let longest = continuations.map(\.count).max() ?? 0
        guard !context.isEmpty else { throw .emptyInput }
        guard context.count + max(0, longest - 1) <= maximumContextLength else {
            throw .contextOverflow(requested: context.count + longest - 1, maximum: maximumContextLength)
        }
        let vocabularySize = configuration.vocabularySize
        for id in continuations.joined() where id < 0 || id >= vocabularySize {
            throw .tokenOutOfRange(id: id, vocabularySize: vocabularySize)
        }
        let cache = KVCache(configuration: configuration, maximumLength: maximumContextLength,
                            reservedLength: context.count + longest)
        let result: Result<[[Float]], MiniCPMError> = withoutGradients {
            do throws(MiniCPMError) {
                let last = try nextTokenLogits(for: context, cache: cache)
                // The first token of every continuation reads the context's last logits; the rest
                // run as one batch of rows over the context's cache.
                let firstRows = last.reshaped([1, vocabularySize]).logSoftmax(alongAxis: 1)
                let rest = try logits(forContinuations: continuations.map { Array($0.dropLast()) }, of: cache)
                var rows: [[Float]] = []
                rows.reserveCapacity(continuations.count)
                for (continuation, logits) in zip(continuations, rest) {
                    guard let first = continuation.first else { rows.append([]); continue }
                    var row = [firstRows[0, first]]
                    if continuation.count > 1 {
                        // TensorCore's row kernel (SIMD exponentials, partial sums folded into a
                        // Double) instead of a scalar loop: at SmolLM2's 49,152 ids a scalar
                        // `exp` per id cost about a tenth of HellaSwag's scoring time.
                        let logProbabilities = logits.logSoftmax(alongAxis: 1)
                        for j in 1..<continuation.count {
                            row.append(logProbabilities[j - 1, continuation[j]])
                        }
                    }
                    rows.append(row)
                }
                return .success(rows)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}
