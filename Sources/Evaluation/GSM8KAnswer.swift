import Foundation

/// The final numeric answer of a GSM8K problem, in a reference solution or in a model's output, and
/// whether two answers are the same number.
///
/// ```swift
/// GSM8KAnswer.reference(in: "... so she earns 18 * 2 = $36.\n#### 36")   // "36"
/// GSM8KAnswer.extract(from: "She pays $1,234.50 in total.")             // "1234.50"
/// GSM8KAnswer.isCorrect(output: "The answer is 36.", reference: "36")     // true
/// ```
///
/// References end with `#### <answer>` (the dataset's convention). For a model's output the number
/// after its last `####` is taken when it wrote one (a few-shot prompt teaches the convention),
/// otherwise the last number in the text, as lm-evaluation-harness's "flexible-extract" does. A number
/// is an optional sign (`-` or `−`), digits with optional thousands separators (`1,234`: a comma
/// counts only before exactly three digits, so the list `1,2,3` is three numbers) and an optional
/// decimal part; a `$` before it and a sentence's full stop after it are not part of it. Answers are
/// compared as exact decimals, so `36`, `36.0` and `36.00` agree.
public enum GSM8KAnswer {
    /// The answer after the last `####` of a reference solution, without thousands separators and
    /// `$`; `nil` when there is no `####` or no number after it.
    public static func reference(in solution: String) -> String? {
        guard let marker = solution.range(of: "####", options: .backwards) else { return nil }
        return numbers(in: String(solution[marker.upperBound...])).first
    }

    /// The answer a model's output gives: the first number after its last `####` when it has one,
    /// else its last number; `nil` when it holds no number.
    public static func extract(from output: String) -> String? {
        if let marker = output.range(of: "####", options: .backwards),
           let answer = numbers(in: String(output[marker.upperBound...])).first {
            return answer
        }
        return numbers(in: output).last
    }

    /// Every number in `text`, in order, as plain decimal strings (`-1234.5`: sign, digits, point).
    public static func numbers(in text: String) -> [String] {
        let characters = Array(text)
        var found: [String] = []
        var i = 0
        func isDigit(_ j: Int) -> Bool { j < characters.count && characters[j].isASCII && characters[j].isNumber }
        while i < characters.count {
            guard isDigit(i) else { i += 1; continue }
            // A sign counts when it stands before the digits (or before `$` and the digits) and does
            // not join two words or numbers: `10-3` is 10 and 3, `-5` and `-$5` are negative.
            var negative = false
            var signAt = i - 1
            if signAt >= 0 && characters[signAt] == "$" { signAt -= 1 }
            if signAt >= 0 && (characters[signAt] == "-" || characters[signAt] == "\u{2212}") {
                negative = signAt == 0 || !(characters[signAt - 1].isLetter || characters[signAt - 1].isNumber)
            }
            var digits = ""
            while isDigit(i) { digits.append(characters[i]); i += 1 }
            // Thousands separators: a comma followed by exactly three digits.
            while i < characters.count, characters[i] == ",", isDigit(i + 1), isDigit(i + 2), isDigit(i + 3),
                  !isDigit(i + 4) {
                digits += String(characters[(i + 1)...(i + 3)])
                i += 4
            }
            if i < characters.count && characters[i] == "." && isDigit(i + 1) {
                digits.append(".")
                i += 1
                while isDigit(i) { digits.append(characters[i]); i += 1 }
            }
            found.append(negative ? "-" + digits : digits)
        }
        return found
    }

    /// The exact value of a plain decimal string, `nil` when it is not one.
    public static func value(of answer: String) -> Decimal? {
        let trimmed = answer.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == "-") }) else {
            return nil
        }
        return Decimal(string: trimmed, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Whether two answers are the same number (compared as decimals; as strings when either is not
    /// a number).
    public static func isEquivalent(_ first: String, _ second: String) -> Bool {
        if let a = value(of: first), let b = value(of: second) { return a == b }
        return first == second
    }

    /// Whether `output` answers with the number `reference` (a bare answer, or a whole reference
    /// solution with its `####` line).
    public static func isCorrect(output: String, reference: String) -> Bool {
        guard let expected = Self.reference(in: reference) ?? numbers(in: reference).last,
              let answer = extract(from: output) else { return false }
        return isEquivalent(answer, expected)
    }
}
