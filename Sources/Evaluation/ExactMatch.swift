import Foundation

/// Exact-match comparison of a generated answer with a reference, with the normalisations
/// lm-evaluation-harness's `exact_match` offers (`ignore_case`, `ignore_punctuation`) and the
/// stripping of surrounding whitespace it always does.
///
/// ```swift
/// ExactMatch().matches("Paris", "Paris")                                          // true
/// ExactMatch(ignoringCase: true, ignoringPunctuation: true).matches("paris.", "Paris")   // true
/// ```
public struct ExactMatch: Sendable, Hashable {
    /// Compare case-insensitively.
    public var ignoringCase: Bool
    /// Remove punctuation characters (Unicode punctuation, as Python's `string.punctuation` plus
    /// non-ASCII marks) before comparing.
    public var ignoringPunctuation: Bool

    /// A comparison with the given normalisations; by default only whitespace at both ends is ignored.
    public init(ignoringCase: Bool = false, ignoringPunctuation: Bool = false) {
        self.ignoringCase = ignoringCase
        self.ignoringPunctuation = ignoringPunctuation
    }

    /// `text` as it is compared.
    public func normalized(_ text: String) -> String {
        var s = text
        if ignoringCase { s = s.lowercased() }
        if ignoringPunctuation { s = String(s.filter { !($0.isPunctuation || $0.isSymbol) }) }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether `prediction` and `reference` are equal after normalisation.
    public func matches(_ prediction: String, _ reference: String) -> Bool {
        normalized(prediction) == normalized(reference)
    }

    /// The fraction of pairs that match (0 for none).
    public func score(predictions: [String], references: [String]) -> Double {
        let pairs = zip(predictions, references)
        let count = min(predictions.count, references.count)
        guard count > 0 else { return 0 }
        return Double(pairs.filter { matches($0, $1) }.count) / Double(count)
    }
}
