/// The option letter a model chose in generated text, for multiple choice answered by generation.
///
/// ```swift
/// OptionLetter.extract(from: "The answer is (C) because ...")    // "C"
/// OptionLetter.extract(from: "B. Paris")                          // "B"
/// OptionLetter.index(in: "Answer: d", optionCount: 4)             // 3
/// ```
///
/// Patterns are tried in order of how unambiguous they are, and the first that matches wins:
/// 1. an explicit statement, `answer is B`, `answer: (B)`, `Answer is: b.` (case-insensitive, the
///    first one in the text: models often go on to discuss the other options; a lowercase letter
///    followed by a space is not taken, being the article of "the answer is a triangle");
/// 2. the text starts with the letter: `B`, `(B)`, `B.`, `B)`, `B:` (a reply that is only the
///    option, as a few-shot prompt ending in "Answer:" elicits);
/// 3. the first parenthesised letter `(B)` anywhere.
///
/// A bare capital elsewhere is never taken: "A" is also an article, and guessing would credit a
/// model for prose. Only letters among the first `optionCount` count, so "(E)" in a four-option
/// question is no answer.
public enum OptionLetter {
    /// The letters of `count` options: `A`, `B`, ...
    public static func letters(count: Int) -> [Character] {
        (0..<max(0, min(count, 26))).map { Character(Unicode.Scalar(UInt8(65 + $0))) }
    }

    /// The chosen letter (uppercase), or `nil` when the text names none of the valid ones.
    public static func extract(from text: String, optionCount: Int = 4) -> Character? {
        let valid = Set(letters(count: optionCount))
        let characters = Array(text)
        func letter(at i: Int) -> Character? {
            guard i >= 0, i < characters.count else { return nil }
            let upper = Character(characters[i].uppercased())
            return valid.contains(upper) ? upper : nil
        }
        /// Whether position `i` ends a word (end of text or a character that is not a letter/digit).
        func boundary(_ i: Int) -> Bool { i >= characters.count || !(characters[i].isLetter || characters[i].isNumber) }
        func skipSpaces(_ i: Int) -> Int {
            var j = i
            while j < characters.count && characters[j].isWhitespace { j += 1 }
            return j
        }
        /// A letter at `i`, alone or in parentheses, followed by a word boundary.
        func standaloneLetter(at i: Int) -> Character? {
            if i < characters.count && characters[i] == "(" {
                guard let l = letter(at: i + 1), i + 2 < characters.count, characters[i + 2] == ")" else { return nil }
                return l
            }
            guard let l = letter(at: i), boundary(i + 1) else { return nil }
            return l
        }

        // 1. "answer is B", "answer: B", "answer is: (B)".
        let lower = characters.map { Character($0.lowercased()) }
        let keyword = Array("answer")
        var i = 0
        while i + keyword.count <= lower.count {
            if Array(lower[i..<(i + keyword.count)]) == keyword && (i == 0 || boundary(i - 1)) {
                var j = skipSpaces(i + keyword.count)
                if j + 1 < lower.count && lower[j] == "i" && lower[j + 1] == "s" && boundary(j + 2) { j = skipSpaces(j + 2) }
                if j < lower.count && lower[j] == ":" { j = skipSpaces(j + 1) }
                // A lowercase letter followed by a space is the article in "the answer is a triangle".
                let lowercaseWord = j < characters.count && characters[j].isLowercase && j + 1 < characters.count
                    && characters[j + 1].isWhitespace
                if j > i + keyword.count, !lowercaseWord, let l = standaloneLetter(at: j) { return l }
            }
            i += 1
        }
        // 2. The reply starts with the option.
        if let l = standaloneLetter(at: skipSpaces(0)) {
            let start = skipSpaces(0)
            // "A" opening a sentence ("A triangle has ...") is an article, not an option: a letter
            // alone counts only when punctuation or the end follows it, or it is parenthesised.
            let after = characters[start] == "(" ? start + 3 : start + 1
            if characters[start] == "(" || after >= characters.count || [".", ")", ":", ",", "\n"].contains(characters[after]) {
                return l
            }
        }
        // 3. The first "(B)".
        for k in characters.indices where characters[k] == "(" {
            if let l = standaloneLetter(at: k) { return l }
        }
        return nil
    }

    /// The chosen option's index (`A` is 0), or `nil`.
    public static func index(in text: String, optionCount: Int = 4) -> Int? {
        guard let letter = extract(from: text, optionCount: optionCount) else { return nil }
        return Int(letter.asciiValue! - 65)
    }
}
