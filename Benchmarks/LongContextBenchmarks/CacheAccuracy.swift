import BenchmarkSupport
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// The half-precision KV cache against the float one on a real model and real text: teacher-forced
/// logits at every position, after a prefill of `prompt` tokens (the widened-prefix path) and then
/// token by token (the half decode kernel), compared position by position.
struct CacheAccuracy: Codable {
    var model: String
    var text: String
    var prompt: Int
    var decoded: Int
    /// Over all positions (prefill and decoded) and the whole vocabulary.
    var maxAbsLogitDifference: Double
    var meanAbsLogitDifference: Double
    /// The largest logit magnitude, for scale.
    var maxAbsLogit: Double
    /// Positions whose arg-max is the same with both caches, over all positions.
    var topOneAgreement: Double
    /// The same over the decoded positions only.
    var decodeMaxAbsLogitDifference: Double
    var decodeTopOneAgreement: Double

    static func measure(gguf: String, text: String, tokens: Int, prompt: Int) throws -> CacheAccuracy {
        let language = try LanguageModel(ggufFile: URL(fileURLWithPath: gguf))
        let contents = try String(contentsOfFile: text, encoding: .utf8)
        // Enough characters for the tokens wanted (a token is a few characters of English).
        let ids = Array(try language.tokenizer.encode(String(contents.prefix(tokens * 8)), addBOS: false, addEOS: false).prefix(tokens))
        precondition(ids.count == tokens && prompt < tokens, "text too short for \(tokens) tokens")
        var logits: [KVCacheStorage: [[Float]]] = [:]
        for storage in KVCacheStorage.allCases {
            let cache = KVCache(configuration: language.model.configuration, maximumLength: tokens, storage: storage)
            var rows: [[Float]] = []
            try withoutGradients {
                let first = try language.model.logits(for: Array(ids.prefix(prompt)), cache: cache)
                let v = first.shape[1]
                let s = first.scalars
                for p in 0..<prompt { rows.append(Array(s[p * v ..< (p + 1) * v])) }
                for id in ids[prompt...] { rows.append(try language.model.logits(for: [id], cache: cache).scalars) }
            }
            logits[storage] = rows
        }
        let (f, h) = (logits[.float32]!, logits[.float16]!)
        var maxDiff = 0.0, sum = 0.0, count = 0, maxLogit = 0.0, agree = 0, decodeMax = 0.0, decodeAgree = 0
        for p in 0..<tokens {
            for (a, b) in zip(f[p], h[p]) {
                let d = Double(abs(a - b))
                maxDiff = max(maxDiff, d)
                if p >= prompt { decodeMax = max(decodeMax, d) }
                sum += d
                count += 1
                maxLogit = max(maxLogit, Double(abs(a)))
            }
            let same = argmax(f[p]) == argmax(h[p])
            if same { agree += 1; if p >= prompt { decodeAgree += 1 } }
        }
        return CacheAccuracy(model: language.name, text: URL(fileURLWithPath: text).lastPathComponent, prompt: prompt,
                             decoded: tokens - prompt, maxAbsLogitDifference: maxDiff, meanAbsLogitDifference: sum / Double(count),
                             maxAbsLogit: maxLogit, topOneAgreement: Double(agree) / Double(tokens),
                             decodeMaxAbsLogitDifference: decodeMax, decodeTopOneAgreement: Double(decodeAgree) / Double(tokens - prompt))
    }

    private static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }
}
