import TensorCore

/// Naming a verse's book: "Which book of the Bible is this verse from? In the beginning God created
/// the heaven and the earth." → "Genesis".
///
/// The verse is cut to its first ``verseWordLimit`` words so prompts stay short; the rejected reply
/// is another book among those of the given verses. A cut verse that occurs in two books is skipped.
public struct VerseBookTask: Sendable, Hashable {
    /// The most words of the verse quoted in the prompt.
    public var verseWordLimit: Int

    /// - Precondition: `verseWordLimit` is positive.
    public init(verseWordLimit: Int = 12) {
        precondition(verseWordLimit > 0, "VerseBookTask: verseWordLimit must be positive")
        self.verseWordLimit = verseWordLimit
    }

    /// One item per verse, in the verses' order.
    /// - Throws: ``TrainingError/insufficientData(reason:)`` when the verses come from fewer than two
    ///   books.
    public func items(from verses: [BibleVerse], using generator: inout SeededRandom) throws -> [TaskItem] {
        var books: [String] = []
        for verse in verses where !books.contains(verse.book) { books.append(verse.book) }
        guard books.count >= 2 else {
            throw TrainingError.insufficientData(reason: "naming the book needs verses of at least two books, got \(books)")
        }
        let cuts = verses.map { verse in
            (book: verse.book, text: verse.text.split(whereSeparator: \.isWhitespace).prefix(verseWordLimit).joined(separator: " "))
        }
        var booksOfText: [String: Set<String>] = [:]
        for cut in cuts { booksOfText[TaskItem.normalizedWords(cut.text).joined(separator: " "), default: []].insert(cut.book) }
        return cuts.compactMap { cut in
            guard booksOfText[TaskItem.normalizedWords(cut.text).joined(separator: " ")]!.count == 1 else { return nil }
            let others = books.filter { $0 != cut.book }
            return TaskItem(task: .verseBook, prompt: "Which book of the Bible is this verse from? " + cut.text,
                            answer: cut.book, rejected: others[generator.uniformIndex(below: others.count)])
        }
    }
}
