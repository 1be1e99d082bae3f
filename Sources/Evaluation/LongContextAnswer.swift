import Foundation

/// Scoring of the long-context tasks' answers.
///
/// ```swift
/// LongContextAnswer.firstInteger(in: " 71432. Remember it.")                 // "71432"
/// LongContextAnswer.isCorrect(" 71432.", expected: "71432", kind: .passkey)  // true
/// LongContextAnswer.isCorrect(" \"0a1b\".", expected: "0a1b", kind: .kvRetrieval)  // true
/// ```
///
/// Pass key and number string follow ∞Bench's `get_score_one_passkey`: the first run of ASCII
/// digits in the answer (`first_int_match`: split on `[^0-9]`, first non-empty piece) must equal
/// the expected digits, so a longer run (`714321`) or a leading other number is wrong. Key-value
/// retrieval is an exact match of the trimmed answer: whitespace at both ends, then a final `.`
/// or `,`, then one pair of enclosing quotes are removed (∞Bench's own rule, any word of the answer
/// equal to the value, accepts an answer listing several values; this one does not).
public enum LongContextAnswer {
    /// The first run of ASCII digits in `text`, or "" when there is none.
    public static func firstInteger(in text: String) -> String {
        let digits = text.unicodeScalars.drop(while: { !("0"..."9").contains($0) }).prefix(while: { ("0"..."9").contains($0) })
        return String(digits)
    }

    /// The key-value answer as compared: trimmed, without a final `.`/`,` and enclosing quotes.
    public static func value(in text: String) -> String {
        var answer = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if answer.last == "." || answer.last == "," { answer = answer.dropLast() }
        for quote in ["\"", "'"] where answer.count >= 2 && answer.hasPrefix(quote) && answer.hasSuffix(quote) {
            answer = answer.dropFirst().dropLast()
            break
        }
        return String(answer)
    }

    /// What the scorer reads from an answer of `kind`: the first integer, or the trimmed value.
    public static func extracted(from text: String, kind: LongContextSettings.Kind) -> String {
        switch kind {
        case .passkey, .numberString: firstInteger(in: text)
        case .kvRetrieval: value(in: text)
        }
    }

    /// Whether `text` answers `expected` under `kind`'s rule.
    public static func isCorrect(_ text: String, expected: String, kind: LongContextSettings.Kind) -> Bool {
        extracted(from: text, kind: kind) == expected
    }
}
