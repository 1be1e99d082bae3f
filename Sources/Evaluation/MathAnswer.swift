import Foundation

/// The final answer of a MATH problem — the last `\boxed{...}` — and the equivalence test of
/// Hendrycks et al.'s `math_equivalence.py`, which lm-evaluation-harness's `hendrycks_math` task uses.
///
/// ```swift
/// MathAnswer.lastBoxed(in: "so $x = \\boxed{\\frac{1}{2}}$.")     // "\\frac{1}{2}"
/// MathAnswer.isEquivalent("\\dfrac12", "0.5")                      // true: both become \frac{1}{2}
/// MathAnswer.isEquivalent("\\frac{2}{4}", "\\frac{1}{2}")          // false: no algebra is done
/// ```
///
/// The rules are the reference's, string for string (``normalized(_:)`` lists them); they are
/// textual, not mathematical: `0.5` equals `\frac{1}{2}` only because the reference rewrites the
/// string `0.5` exactly, while `0.25` and `\frac14` stay different, as do `2/4` and `1/2`.
public enum MathAnswer {
    /// The contents of the last `\boxed{...}` (or, when there is no `\boxed`, the last `\fbox{...}`),
    /// braces matched so that `\boxed{\frac{1}{2}}` gives `\frac{1}{2}`; for `\boxed 5` (a space, no
    /// braces) the text up to the next `$` or the end. `nil` when there is none or its braces do not
    /// close.
    public static func lastBoxed(in text: String) -> String? {
        guard let command = text.range(of: "\\boxed", options: .backwards) ?? text.range(of: "\\fbox", options: .backwards) else {
            return nil
        }
        let rest = text[command.upperBound...]
        if rest.first == " " {
            // `\boxed 5$`: lm-evaluation-harness takes what follows the space, up to a `$`.
            return String(rest.dropFirst().prefix { $0 != "$" })
        }
        guard rest.first == "{" else { return nil }
        var depth = 0
        var index = rest.startIndex
        while index < rest.endIndex {
            switch rest[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return String(rest[rest.index(after: rest.startIndex)..<index]) }
            default: break
            }
            index = rest.index(after: index)
        }
        return nil
    }

    /// Whether two answers are equivalent under the reference's rules: equal after ``normalized(_:)``,
    /// or, where the reference's normalisation fails on one of them (it raises an exception), equal as
    /// they are. `nil` (no answer) equals only `nil`.
    public static func isEquivalent(_ first: String?, _ second: String?) -> Bool {
        guard let first, let second else { return first == nil && second == nil }
        guard let a = normalized(first), let b = normalized(second) else { return first == second }
        return a == b
    }

    /// Whether a model's output (a whole solution) boxes the same answer as the reference solution.
    public static func isCorrect(output: String, reference: String) -> Bool {
        guard let expected = lastBoxed(in: reference) else { return false }
        return isEquivalent(lastBoxed(in: output), expected)
    }

    /// The reference's `strip_string`, step by step; `nil` where the reference raises (two
    /// `\text{ ` units, or a `\sqrt` or `\frac` with nothing after it).
    ///
    /// Removes line breaks, `\!`, `\left`, `\right`, degrees (`^{\circ}`, `^\circ`), `\$` and `\%`;
    /// turns `\\` into `\` and `tfrac`/`dfrac` into `frac`; drops units (everything from `\text{ `);
    /// writes a leading `.` as `0.`; drops a short left-hand side (`x = 5` → `5`, when it has at most
    /// two characters); braces `\sqrt3` → `\sqrt{3}` and `\frac12` → `\frac{1}{2}`; removes spaces;
    /// rewrites exactly `0.5` as `\frac{1}{2}` and an integer ratio `a/b` as `\frac{a}{b}`.
    public static func normalized(_ answer: String) -> String? {
        var s = answer.replacingOccurrences(of: "\n", with: "")
        s = s.replacingOccurrences(of: "\\!", with: "")
        s = s.replacingOccurrences(of: "\\\\", with: "\\")
        s = s.replacingOccurrences(of: "tfrac", with: "frac")
        s = s.replacingOccurrences(of: "dfrac", with: "frac")
        s = s.replacingOccurrences(of: "\\left", with: "")
        s = s.replacingOccurrences(of: "\\right", with: "")
        s = s.replacingOccurrences(of: "^{\\circ}", with: "")
        s = s.replacingOccurrences(of: "^\\circ", with: "")
        s = s.replacingOccurrences(of: "\\$", with: "")
        // Units: "\text{ " only ever introduces units in the dataset (the reference's comment).
        let unitSplits = s.components(separatedBy: "\\text{ ")
        if unitSplits.count > 2 { return nil }
        s = unitSplits[0]
        s = s.replacingOccurrences(of: "\\%", with: "")
        s = s.replacingOccurrences(of: " .", with: " 0.")
        s = s.replacingOccurrences(of: "{.", with: "{0.")
        if s.isEmpty { return s }
        if s.first == "." { s = "0" + s }
        let sides = s.components(separatedBy: "=")
        if sides.count == 2 && sides[0].count <= 2 { s = sides[1] }
        guard let withRoots = fixSqrt(s) else { return nil }
        s = withRoots.replacingOccurrences(of: " ", with: "")
        guard let withFractions = fixFracs(s) else { return nil }
        s = withFractions
        if s == "0.5" { s = "\\frac{1}{2}" }
        return fixSlash(s)
    }

    /// `\sqrt3` → `\sqrt{3}`; `nil` for a `\sqrt` at the very end (the reference raises).
    static func fixSqrt(_ s: String) -> String? {
        guard s.contains("\\sqrt") else { return s }
        let splits = s.components(separatedBy: "\\sqrt")
        var result = splits[0]
        for split in splits.dropFirst() {
            guard let first = split.first else { return nil }
            result += first == "{" ? "\\sqrt" + split : "\\sqrt{\(first)}" + split.dropFirst()
        }
        return result
    }

    /// `\frac12` → `\frac{1}{2}`, `\frac1b` → `\frac{1}{b}`, `\frac1{72}` → `\frac{1}{72}`; the input
    /// unchanged when a `\frac` has a single character after it; `nil` for a `\frac` at the end.
    static func fixFracs(_ s: String) -> String? {
        let splits = s.components(separatedBy: "\\frac")
        var result = splits[0]
        for split in splits.dropFirst() {
            result += "\\frac"
            guard let a = split.first else { return nil }
            if a == "{" { result += split; continue }
            guard split.count >= 2 else { return s }
            let b = split[split.index(after: split.startIndex)]
            let post = split.dropFirst(2)
            result += b == "{" ? "{\(a)}\(b)" + post : "{\(a)}{\(b)}" + post
        }
        return result
    }

    /// An integer ratio `a/b` written exactly so (no `+` or leading zeros) → `\frac{a}{b}`.
    static func fixSlash(_ s: String) -> String {
        let parts = s.components(separatedBy: "/")
        guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), "\(a)/\(b)" == s else { return s }
        return "\\frac{\(a)}{\(b)}"
    }
}
