/// One verse of the King James Version, the text of the verse tasks.
public struct BibleVerse: Sendable, Hashable, Codable {
    /// The book's name as the source prints it ("Genesis", "1 Kings", "Psalms").
    public var book: String
    /// The chapter number.
    public var chapter: Int
    /// The verse number within the chapter.
    public var verse: Int
    /// The verse's words, on one line.
    public var text: String

    public init(book: String, chapter: Int, verse: Int, text: String) {
        self.book = book
        self.chapter = chapter
        self.verse = verse
        self.text = text
    }

    /// "Genesis 1:1".
    public var reference: String { "\(book) \(chapter):\(verse)" }

    /// The verses of a KJV text in either of two layouts, in order:
    ///
    /// - one verse per line, `Genesis 1:1 In the beginning God created the heaven and the earth.`;
    /// - the output of Debian's `bible` program (package `bible-kjv`), e.g. `bible -l0 gen1-50`: a
    ///   heading line `Genesis 1` per chapter, then indented `  1 In the beginning ...` verse lines.
    ///   Without `-l0` the program wraps long verses; an unindented line that is neither a heading
    ///   nor a one-line verse continues the verse before it.
    ///
    /// - the pre-training corpus of `scripts/fetch-corpora.sh` (`.data/corpora/kjv.txt`): the same
    ///   headings, then one unnumbered verse per line, numbered here in order; chapters are
    ///   separated by a line holding only U+001E.
    ///
    /// A chapter whose first line is an indented numbered verse is read in the `bible` layout;
    /// otherwise in the corpus layout. Anything else (blank lines, separators, a line before the
    /// first heading) is skipped.
    public static func parse(kjv text: String) -> [BibleVerse] {
        var verses: [BibleVerse] = []
        var chapter: (book: String, number: Int)?
        // Per chapter: nil until its first line says which layout it is in; then the number of
        // unnumbered verses read so far (corpus layout) or -1 (numbered `bible` layout).
        var unnumberedCount: Int?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingWhitespace()
            guard !line.isEmpty, !line.allSatisfy({ $0 == "\u{1E}" }) else { continue }
            if rawLine.first?.isWhitespace == true, let current = chapter, let (number, body) = numberedLine(line) {
                verses.append(BibleVerse(book: current.book, chapter: current.number, verse: number, text: body))
                unnumberedCount = -1
            } else if let verse = oneLineVerse(line) {
                verses.append(verse)
            } else if let heading = chapterHeading(line) {
                chapter = heading
                unnumberedCount = nil
            } else if let current = chapter, (unnumberedCount ?? 0) >= 0 {
                let number = (unnumberedCount ?? 0) + 1
                verses.append(BibleVerse(book: current.book, chapter: current.number, verse: number, text: line))
                unnumberedCount = number
            } else if chapter != nil, !verses.isEmpty {
                verses[verses.count - 1].text += " " + line
            }
        }
        return verses
    }

    /// `Book C:V text`.
    private static func oneLineVerse(_ line: String) -> BibleVerse? {
        let words = line.split(separator: " ", omittingEmptySubsequences: true)
        for (i, word) in words.enumerated() where i > 0 && i < words.count - 1 {
            let parts = word.split(separator: ":")
            guard parts.count == 2, let c = Int(parts[0]), let v = Int(parts[1]) else { continue }
            let book = words[..<i].joined(separator: " ")
            guard isBookName(book) else { return nil }
            return BibleVerse(book: book, chapter: c, verse: v, text: words[(i + 1)...].joined(separator: " "))
        }
        return nil
    }

    /// `N text` (a verse line of the `bible` program, indentation removed).
    private static func numberedLine(_ line: String) -> (Int, String)? {
        guard let space = line.firstIndex(of: " "), let number = Int(line[..<space]) else { return nil }
        let body = line[space...].trimmingWhitespace()
        return body.isEmpty ? nil : (number, body)
    }

    /// `Book C`, where the book name is letters and spaces with an optional leading digit.
    private static func chapterHeading(_ line: String) -> (book: String, number: Int)? {
        guard let space = line.lastIndex(of: " "), let number = Int(line[line.index(after: space)...]) else { return nil }
        let book = String(line[..<space])
        return isBookName(book) ? (book, number) : nil
    }

    /// A plausible book name: at most four words of letters (the first may be a digit, "1 Kings"),
    /// starting with a capital; verse text wrapped onto its own line has punctuation or more words.
    private static func isBookName(_ name: String) -> Bool {
        let words = name.split(separator: " ")
        guard (1...4).contains(words.count), name.first?.isUppercase == true || name.first?.isNumber == true else { return false }
        return words.enumerated().allSatisfy { i, word in
            (i == 0 && word.allSatisfy(\.isNumber)) || word.allSatisfy(\.isLetter)
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space.
    func trimmingWhitespace() -> String {
        var text = self[...]
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
