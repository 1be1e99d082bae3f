import Foundation
import Tokenizer

/// The snippets of `Docs/Tokenizer.md`, verbatim. Their relative paths (`tokenizer.model`,
/// `corpus.txt`) are read and written in the current directory.
enum TokenizerDocumentation {
    /// Loads `tokenizer.model`, and prints the text of `generated` as a stream.
    static func encodeDecodeAndStream(_ generated: [Int]) throws
        -> (ids: [Int], text: String, pieces: [String], size: Int, bos: Int?, eos: Int?, prompt: [Int]) {
        let tokenizer = try SentencePieceTokenizer(contentsOf: URL(fileURLWithPath: "tokenizer.model"))
        let ids = try tokenizer.encode("Hello, world", addBOS: true)     // [1, 22557, 28725, 1526]
        let text = try tokenizer.decode(ids)                              // "Hello, world"
        let pieces = try tokenizer.encodeToPieces("Hello")                // ["▁Hello"]
        let (size, bos, eos) = (tokenizer.vocabularySize, tokenizer.bosID, tokenizer.eosID)   // 32000, 1, 2

        let prompt = try MiniCPMChatTemplate().encode([.user("What is 2+2?")], tokenizer: tokenizer)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)
        for id in generated { print(try stream.append(id), terminator: "") }
        print(stream.finish())
        return (ids, text, pieces, size, bos, eos, prompt)
    }

    /// A GGUF `gpt2` vocabulary: its arrays as the GGUF reader passes them.
    static func byteLevelVocabulary(preName: String, tokens: [String], tokenTypes: [Int], merges: [String],
                                    bos: Int?, eos: Int?, unknown: Int?, padding: Int?, addBOS: Bool,
                                    chatTemplate: String) throws
        -> (tokenizer: ByteLevelBPETokenizer, ids: [Int], template: (any ChatTemplate)?, prompt: [Int]?, stops: Set<Int>?,
            streamed: String) {
        // tokenizer.ggml.model == "gpt2"
        guard let pre = PreTokenizer(ggufName: preName) else { throw TokenizerError.unsupportedPreTokenizer(name: preName) }
        let tokenizer = try ByteLevelBPETokenizer(
            tokens: tokens, tokenTypes: try [TokenType](ggufValues: tokenTypes), merges: merges,
            preTokenizer: pre, bosID: bos, eosID: eos, unknownID: unknown, paddingID: padding, addsBOS: addBOS)
        let ids = try tokenizer.encode("<|im_start|>user\nHi<|im_end|>")    // SmolLM2: [1, 4093, 198, 26843, 2]

        // Chat format from tokenizer.chat_template (nil for a format it does not know), streaming as before.
        let template = ChatTemplates.recognizing(chatTemplate, addsBOS: addBOS)
        let prompt = try template?.encode([.user("Hi")], tokenizer: tokenizer)
        let stops = template?.stopTokenIDs(tokenizer: tokenizer)        // SmolLM2: [2] (<|im_end|>)
        var stream = StreamingDetokenizer(tokenizer: tokenizer)

        let streamed = try stream.append(contentsOf: prompt ?? ids) + stream.finish()
        return (tokenizer, ids, template, prompt, stops, streamed)
    }

    /// A GGUF `llama` vocabulary: its arrays as the GGUF reader passes them.
    static func sentencePieceVocabulary(tokens: [String], scores: [Float], tokenTypes: [Int],
                                        bos: Int?, eos: Int?, unknown: Int?, padding: Int?,
                                        addSpacePrefix: Bool) throws -> SentencePieceTokenizer {
        // tokenizer.ggml.model == "llama"
        let sentencePiece = try SentencePieceTokenizer(
            pieces: tokens, scores: scores, types: try [TokenType](ggufValues: tokenTypes),
            bosID: bos, eosID: eos, unknownID: unknown, paddingID: padding, addsSpacePrefix: addSpacePrefix)
        return sentencePiece
    }

    /// Trains on `corpus.txt` and writes `tokenizer.model`.
    static func training() throws -> SentencePieceTokenizer {
        var options = TokenizerTrainingOptions(vocabularySize: 8000)
        options.userDefinedSymbols = ["<用户>", "<AI>"]
        let trained = try TokenizerTrainer.train(files: [URL(fileURLWithPath: "corpus.txt")], options: options)
        try trained.write(to: URL(fileURLWithPath: "tokenizer.model"))
        return trained
    }
}
