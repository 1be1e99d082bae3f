import TensorCore
@testable import Training
import XCTest

/// The task generators give correct answers and wrong rejected replies.
final class SyntheticTaskTests: XCTestCase {
    func testArithmeticAnswersAreCorrectAndRejectedAreWrong() {
        var generator = SeededRandom(seed: 1)
        let items = ArithmeticTask(operands: 0...20).items(using: &generator)
        XCTAssertEqual(items.count, 21 * 21 + 21 * 22 / 2)
        XCTAssertEqual(Set(items.map(\.prompt)).count, items.count, "every question once")
        for item in items {
            let words = item.prompt.dropFirst("What is ".count).dropLast().split(separator: " ")
            XCTAssertEqual(words.count, 3, item.prompt)
            let (a, op, b) = (Int(words[0])!, words[1], Int(words[2])!)
            XCTAssertEqual(Int(item.answer), op == "+" ? a + b : a - b, item.prompt)
            XCTAssertGreaterThanOrEqual(Int(item.answer)!, 0)
            let wrong = try! XCTUnwrap(Int(item.rejected))
            XCTAssertNotEqual(wrong, Int(item.answer))
            XCTAssertTrue(ArithmeticTask.slips(of: Int(item.answer)!).contains(wrong))
            XCTAssertFalse(item.isCorrect(reply: item.rejected))
            XCTAssertTrue(item.isCorrect(reply: item.answer))
        }
        XCTAssertEqual(Set(ArithmeticTask.slips(of: 37)), [38, 36, 47, 27, 73])
        XCTAssertEqual(Set(ArithmeticTask.slips(of: 0)), [1, 10])
        var again = SeededRandom(seed: 1)
        XCTAssertEqual(ArithmeticTask(operands: 0...20).items(using: &again), items, "seeded")
    }

    func testParsesBothKJVLayouts() {
        let verses = BibleVerse.parse(kjv: KJVSample.unwrapped)
        XCTAssertEqual(verses.count, 5 + 6 + 5 + 7)
        XCTAssertEqual(verses[0], BibleVerse(book: "Genesis", chapter: 1, verse: 1,
                                             text: "In the beginning God created the heaven and the earth."))
        XCTAssertEqual(verses.last?.reference, "Matthew 5:9")

        let wrapped = BibleVerse.parse(kjv: KJVSample.wrapped)
        XCTAssertEqual(wrapped.map(\.reference), ["1 Kings 3:5", "1 Kings 3:6", "Song of Solomon 1:1", "Song of Solomon 1:2"])
        XCTAssertEqual(wrapped[0].text, "In Gibeon the LORD appeared to Solomon in a dream by night: and God said, Ask what I shall give thee.")
        XCTAssertTrue(wrapped[1].text.hasSuffix("as it is this day."))
        XCTAssertEqual(wrapped[3].text, "Let him kiss me with the kisses of his mouth: for thy love is better than wine.")

        let oneLine = BibleVerse.parse(kjv: KJVSample.oneLine)
        XCTAssertEqual(oneLine.map(\.reference), ["Genesis 1:1", "1 Kings 3:5"])
        XCTAssertEqual(oneLine[1].text, wrapped[0].text)
    }

    /// The pre-training corpus `scripts/fetch-corpora.sh` writes: unnumbered verse lines under each
    /// heading, chapters separated by a U+001E line.
    func testParsesTheCorpusLayout() {
        let corpus = "Genesis 1\nIn the beginning God created the heaven and the earth.\nAnd the earth was without form, and void.\n"
            + "\u{1E}\n1 Kings 3\nAnd Solomon made affinity with Pharaoh king of Egypt.\n"
        let verses = BibleVerse.parse(kjv: corpus)
        XCTAssertEqual(verses.map(\.reference), ["Genesis 1:1", "Genesis 1:2", "1 Kings 3:1"])
        XCTAssertEqual(verses[1].text, "And the earth was without form, and void.")
        XCTAssertEqual(verses[2].text, "And Solomon made affinity with Pharaoh king of Egypt.")
    }

    func testVerseContinuationAnswersAreTheVersesNextWords() throws {
        let verses = BibleVerse.parse(kjv: KJVSample.unwrapped)
        var generator = SeededRandom(seed: 2)
        let task = VerseContinuationTask(promptWordCount: 5, answerWordCount: 3)
        let items = try task.items(from: verses, using: &generator)
        XCTAssertFalse(items.isEmpty)
        for item in items {
            let start = String(item.prompt.dropFirst("Continue the verse: ".count))
            let verse = try XCTUnwrap(verses.first { $0.text.hasPrefix(start + " ") }, start)
            XCTAssertTrue(verse.text.hasPrefix(start + " " + item.answer), item.prompt)
            XCTAssertEqual(item.answer.split(separator: " ").count, 3)
            XCTAssertNotEqual(TaskItem.normalizedWords(item.rejected), TaskItem.normalizedWords(item.answer))
            XCTAssertTrue(items.contains { $0.answer == item.rejected }, "rejected is another verse's continuation")
        }
        let first = try XCTUnwrap(items.first)
        XCTAssertEqual(first.prompt, "Continue the verse: In the beginning God created")
        XCTAssertEqual(first.answer, "the heaven and")
        // "In the beginning was the Word" and "In the beginning God created" share 3 words, not 5:
        // both are kept. Beginnings shared in full by verses that go on differently are dropped.
        let ambiguous = [BibleVerse(book: "A", chapter: 1, verse: 1, text: "And the LORD spake unto Moses, saying, Speak"),
                         BibleVerse(book: "A", chapter: 1, verse: 2, text: "And the LORD spake unto Moses, saying, Command")]
        XCTAssertThrowsError(try VerseContinuationTask(promptWordCount: 6, answerWordCount: 1).items(from: ambiguous, using: &generator))
    }

    func testVerseBookAnswersNameTheBook() throws {
        let verses = BibleVerse.parse(kjv: KJVSample.unwrapped)
        var generator = SeededRandom(seed: 3)
        let items = try VerseBookTask(verseWordLimit: 8).items(from: verses, using: &generator)
        XCTAssertEqual(items.count, verses.count)
        for (item, verse) in zip(items, verses) {
            XCTAssertEqual(item.answer, verse.book)
            XCTAssertNotEqual(item.rejected, verse.book)
            XCTAssertTrue(["Genesis", "Psalms", "John", "Matthew"].contains(item.rejected))
            XCTAssertTrue(verse.text.hasPrefix(String(item.prompt.dropFirst("Which book of the Bible is this verse from? ".count))))
        }
        XCTAssertThrowsError(try VerseBookTask().items(from: Array(verses.prefix(5)), using: &generator), "one book only")
    }
}
