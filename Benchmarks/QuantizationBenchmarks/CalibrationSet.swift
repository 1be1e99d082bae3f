import Foundation
import Tokenizer
import Training

/// GPTQ's calibration sequences, drawn from text the evaluation does not read.
enum CalibrationSet {
    /// `count` consecutive, non-overlapping sequences of `length` tokens of `text`, from the first
    /// line break after `fromFraction` of its bytes.
    static func fromText(_ text: String, fromFraction: Double, count: Int, length: Int,
                         tokenizer: any TextTokenizer) throws -> [[Int]] {
        let tokens = try tokensOfText(text, fromFraction: fromFraction, atLeast: count * length, tokenizer: tokenizer)
        return (0..<count).map { Array(tokens[($0 * length)..<($0 * length + length)]) }
    }

    /// `count` sequences of `length` tokens spread evenly over the *training* documents of the
    /// token files (the same `DocumentSplit` as the evaluation's held-out part, so the two are
    /// disjoint), taken from the files in turn.
    static func fromTokenFiles(_ paths: [String], heldOutFraction: Double, count: Int, length: Int) throws -> [[Int]] {
        let slices = try paths.map { path in
            try DocumentSplit(file: try TokenFile(contentsOf: URL(fileURLWithPath: path)), heldOutFraction: heldOutFraction).training
        }
        var sequences: [[Int]] = []
        for k in 0..<count {
            let slice = slices[k % slices.count]
            let perFile = (count - k % slices.count + slices.count - 1) / slices.count
            let index = k / slices.count
            let stride = max(0, slice.count - length) / max(1, perFile)
            let first = slice.range.lowerBound + index * stride
            sequences.append(slice.file.tokens(in: first..<(first + length)))
        }
        return sequences
    }
}
