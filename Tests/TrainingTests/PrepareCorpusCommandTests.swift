import Foundation
import TestSupport
import Tokenizer
import Training
import XCTest

/// `minicpm prepare-corpus` end to end on two tiny corpora made here (the real ones are not needed).
final class PrepareCorpusCommandTests: XCTestCase {
    /// Documents of sentences drawn from a few words (English) or characters (Chinese), so that a
    /// small vocabulary has merges to learn.
    private func documents(words: [String], separator: String, count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            (0..<12).map { _ in
                (0..<8).map { _ in words[Int(generator.next() % UInt64(words.count))] }.joined(separator: separator)
            }.joined(separator: "\n")
        }
    }

    func testTrainsATokenizerWithTheChatPiecesAndWritesOneTokenFilePerCorpus() throws {
        let folder = try temporaryFolder(self)
        let corpora = folder.appendingPathComponent("corpora")
        let output = folder.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: corpora, withIntermediateDirectories: true)
        let english = documents(words: ["the", "lord", "said", "unto", "moses", "and", "thou", "shalt", "king", "of", "my", "love"],
                                separator: " ", count: 3, seed: 1)
        let chinese = documents(words: ["中国", "人民", "发展", "经济", "新年", "世纪", "希望", "改革", "开放", "的", "在", "和"],
                                separator: "", count: 4, seed: 2)
        // Documents separated by a line holding only U+001E, as scripts/fetch-corpora.sh writes them.
        try (english.joined(separator: "\n\u{1E}\n") + "\n").write(to: corpora.appendingPathComponent("english.txt"), atomically: true, encoding: .utf8)
        try (chinese.joined(separator: "\n\u{1E}\n") + "\n").write(to: corpora.appendingPathComponent("chinese.txt"), atomically: true, encoding: .utf8)

        let arguments = ["prepare-corpus", "--corpora", corpora.path, "--output", output.path, "--vocabulary-size", "400", "--threads", "1"]
        let (status, log) = try CommandLineTool.run(arguments)
        XCTAssertEqual(status, 0, log)
        XCTAssertTrue(log.contains("| english | \(english.map(\.utf8.count).reduce(0, +)) | 3 |"), log)

        let tokenizer = try SentencePieceTokenizer(contentsOf: output.appendingPathComponent("tokenizer.model"))
        XCTAssertEqual(tokenizer.vocabularySize, 400)
        let user = try XCTUnwrap(tokenizer.id(forPiece: "<用户>"))
        let assistant = try XCTUnwrap(tokenizer.id(forPiece: "<AI>"))
        let chat = try tokenizer.encode("<用户>中国<AI>the")
        XCTAssertTrue(chat.contains(user) && chat.contains(assistant), "the chat pieces encode whole: \(chat)")

        let identifier = TokenFileWriter.tokenizerIdentifier(name: "tokenizer.model", model: try tokenizer.serializedModel())
        for (name, texts) in [("english", english), ("chinese", chinese)] {
            let file = try TokenFile(contentsOf: output.appendingPathComponent("\(name).tokens"))
            XCTAssertEqual(file.tokenizerIdentifier, identifier)
            XCTAssertEqual(file.documentCount, texts.count)
            XCTAssertEqual(file.endOfDocumentID, tokenizer.eosID)
            XCTAssertEqual(file.sourceByteCount, texts.map(\.utf8.count).reduce(0, +))
            for (index, text) in texts.enumerated() {
                let ids = file.tokens(in: file.documentTokens(at: index))
                XCTAssertEqual(ids.last, tokenizer.eosID)
                XCTAssertEqual(try tokenizer.decode(Array(ids.dropLast())), text, "\(name) document \(index)")
                XCTAssertEqual(file.documentByteCount(at: index), text.utf8.count)
            }
        }

        let (again, secondLog) = try CommandLineTool.run(arguments)
        XCTAssertEqual(again, 0, secondLog)
        XCTAssertTrue(secondLog.contains("(present; --retrain replaces it)"), "the tokenizer is kept: \(secondLog)")
    }
}
