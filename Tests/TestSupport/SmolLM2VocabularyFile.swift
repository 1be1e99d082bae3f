import Foundation

/// `Tests/TokenizerTests/Fixtures/smollm2/vocabulary.json`: SmolLM2-135M-Instruct's tokenizer arrays
/// as its GGUF file carries them (extracted by `make_bpe_golden.py`), for the test targets that
/// build the tokenizer from them.
public struct SmolLM2VocabularyFile: Decodable, Sendable {
    public let model: String
    public let pre: String
    public let bosId: Int
    public let eosId: Int
    public let unknownId: Int
    public let paddingId: Int
    public let addBosToken: Bool
    public let chatTemplate: String
    public let tokens: [String]
    public let tokenType: [Int]
    public let merges: [String]

    /// Reads the file at `url` (snake-case keys).
    public static func load(contentsOf url: URL) throws -> SmolLM2VocabularyFile {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SmolLM2VocabularyFile.self, from: Data(contentsOf: url))
    }
}
