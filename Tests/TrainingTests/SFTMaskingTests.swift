import Tokenizer
import Training
import XCTest

/// Supervised fine-tuning examples: which positions count in the loss, and that the ids are those
/// of the whole conversation as the chat template and tokenizer produce it.
final class SFTMaskingTests: XCTestCase {
    let template = MiniCPMChatTemplate()
    let tokenizer = TinyChatTokenizer()
    let ignored = TrainingSequence.ignoredTarget

    /// BOS <用户> H i <AI> Y o EOS: only "Y", "o" and the EOS are targets.
    func testSingleTurnScoresTheReplyAndItsEOS() throws {
        let example = ChatExample(messages: [.user("Hi"), .assistant("Yo")])
        let sequence = try example.trainingSequence(template: template, tokenizer: tokenizer)
        let (h, i, y, o) = (id("H"), id("i"), id("Y"), id("o"))
        XCTAssertEqual(sequence.inputs, [1, 3, h, i, 4, y, o])
        XCTAssertEqual(sequence.targets, [ignored, ignored, ignored, ignored, y, o, 2])
        XCTAssertEqual(sequence.scoredTokenCount, 3)
    }

    /// Every reply is scored; only the last gets an EOS; the `<用户>` after an earlier reply is not
    /// scored (the user starts the next turn); system text is not scored.
    func testMultiTurnScoresEveryReplyButNotTheNextUserMarker() throws {
        let example = ChatExample(messages: [.system("s"), .user("a"), .assistant("b"), .user("c"), .assistant("d")])
        let sequence = try example.trainingSequence(template: template, tokenizer: tokenizer)
        let (s, a, b, c, d) = (id("s"), id("a"), id("b"), id("c"), id("d"))
        XCTAssertEqual(sequence.inputs, [1, s, 3, a, 4, b, 3, c, 4, d])
        XCTAssertEqual(sequence.targets, [ignored, ignored, ignored, ignored, b, ignored, ignored, ignored, d, 2])
    }

    /// With a trained SentencePiece vocabulary (merges, the markers as user-defined pieces), the
    /// example's ids are exactly the template's encoding of the whole conversation plus EOS, and the
    /// scored targets decode to the reply.
    func testIDsEqualTheTemplateEncodingOfTheWholeConversation() throws {
        var options = TokenizerTrainingOptions(vocabularySize: 400)
        options.userDefinedSymbols = ["<用户>", "<AI>"]
        let lines = KJVSample.unwrapped.split(separator: "\n").map(String.init)
            + (0..<40).map { "What is \($0) + \($0 * 3 % 17)? \($0 + $0 * 3 % 17)" }
        let sentencePiece = try TokenizerTrainer.train(sentences: lines, options: options)
        XCTAssertLessThan(try sentencePiece.encode("the heaven and the").count, 8, "the vocabulary merges characters")
        let conversations: [[ChatMessage]] = [
            [.user("What is 12 + 19?"), .assistant("31")],
            [.user("Continue the verse: In the beginning God created"), .assistant("the heaven and the")],
            [.user(" Which book? "), .assistant(" Genesis "), .user("And then?"), .assistant("Exodus")],
        ]
        for messages in conversations {
            let sequence = try ChatExample(messages: messages).trainingSequence(template: template, tokenizer: sentencePiece)
            let whole = try template.encode(messages, addGenerationPrompt: false, tokenizer: sentencePiece)
            XCTAssertEqual(sequence.inputs + [sequence.targets.last!], whole + [sentencePiece.eosID!])
            let scored = sequence.targets.filter { $0 != ignored }
            XCTAssertEqual(scored.last, sentencePiece.eosID)
            let replies = messages.filter { $0.role == .assistant }.map { $0.content.trimmingCharacters(in: .whitespaces) }
            XCTAssertEqual(try sentencePiece.decode(Array(scored.dropLast())), replies.joined())
        }
    }

    func testRefusesConversationsWithoutAFinalReply() {
        XCTAssertThrowsError(try ChatExample(messages: [.user("Hi")]).trainingSequence(template: template, tokenizer: tokenizer)) {
            guard case TrainingError.invalidExample = $0 else { return XCTFail("\($0)") }
        }
    }

    /// A tokenizer that merges the marker with the reply's first character leaves no boundary: refused.
    func testRefusesRepliesMergedWithThePrompt() {
        struct MergingTokenizer: TextTokenizer {
            var inner = TinyChatTokenizer()
            var vocabularySize: Int { inner.vocabularySize + 1 }
            var bosID: Int? { 1 }
            var eosID: Int? { 2 }
            func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
                var ids = try inner.encode(text, addBOS: addBOS, addEOS: addEOS)
                if let at = ids.firstIndex(of: 4), at + 1 < ids.count, ids[at + 1] == inner.id(forPiece: "Y") {
                    ids.replaceSubrange(at...(at + 1), with: [inner.vocabularySize])   // "<AI>Y" as one piece
                }
                return ids
            }
            func decode(_ ids: [Int]) throws(TokenizerError) -> String { try inner.decode(ids) }
            func id(forPiece piece: String) -> Int? { inner.id(forPiece: piece) }
        }
        XCTAssertThrowsError(try ChatExample(messages: [.user("Hi"), .assistant("Yo")])
            .trainingSequence(template: template, tokenizer: MergingTokenizer()))
    }

    private func id(_ character: String) -> Int { tokenizer.id(forPiece: character)! }
}
