import Foundation
import TestSupport
import Tokenizer

/// The SmolLM2 vocabulary file of this target's fixtures.
typealias SmolLM2Vocabulary = SmolLM2VocabularyFile

extension SmolLM2VocabularyFile {
    static let shared: SmolLM2Vocabulary = decodeFixture("smollm2/vocabulary.json")

    func makeTokenizer() throws -> ByteLevelBPETokenizer {
        try ByteLevelBPETokenizer(
            tokens: tokens, tokenTypes: try [TokenType](ggufValues: tokenType), merges: merges,
            preTokenizer: try PreTokenizer(ggufName: pre).orThrow(TokenizerError.unsupportedPreTokenizer(name: pre)),
            bosID: bosId, eosID: eosId, unknownID: unknownId, paddingID: paddingId, addsBOS: addBosToken)
    }
}

/// SmolLM2's tokenizer, built once.
let smolLM2: ByteLevelBPETokenizer = {
    do {
        return try SmolLM2Vocabulary.shared.makeTokenizer()
    } catch {
        fatalError("cannot build the SmolLM2 tokenizer: \(error)")
    }
}()

/// `Fixtures/smollm2/golden.json`: ids and decodings by Hugging Face `tokenizers`.
struct BPEGolden: Decodable {
    struct Case: Decodable {
        let name: String
        let text: String
        let ids: [Int]
        let pieces: [String]
        let decoded: String
        let skippingSpecial: String
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
        let skippingSpecial: String
    }

    let tokenizersVersion: String
    let cases: [Case]
    let decodeCases: [DecodeCase]

    static let shared: BPEGolden = decodeFixture("smollm2/golden.json")
}

/// `Fixtures/smollm2/pretokenizer_splits.json`: splits by `tokenizers.pre_tokenizers.Split`.
struct PreTokenizerGolden: Decodable {
    struct Case: Decodable {
        let text: String
        let gpt2: [String]
        let llama3: [String]
        let smollm: [String]
    }

    let gpt2Pattern: String
    let llama3Pattern: String
    let cases: [Case]
    /// `[first, last, class]` with class `"L"`, `"N"` or `"S"` (`\p{L}`, `\p{N}`, `\s`).
    let unicodeClasses: [[ClassRangeElement]]

    enum ClassRangeElement: Decodable {
        case scalar(UInt32)
        case name(String)

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(UInt32.self) {
                self = .scalar(value)
            } else {
                self = .name(try container.decode(String.self))
            }
        }
    }

    static let shared: PreTokenizerGolden = decodeFixture("smollm2/pretokenizer_splits.json")
}

/// `Fixtures/smollm2/chat_templates.json`: templates and their `jinja2` renderings.
struct ChatTemplateGolden: Decodable {
    struct Message: Decodable {
        let role: String
        let content: String
    }

    struct Rendering: Decodable {
        let messages: [Message]
        let addGenerationPrompt: Bool
        let text: String
    }

    struct Template: Decodable {
        let name: String
        let template: String
        let recognized: String?
        let renderings: [Rendering]
    }

    let templates: [Template]

    static let shared: ChatTemplateGolden = decodeFixture("smollm2/chat_templates.json")

    static func template(_ name: String) -> Template {
        shared.templates.first { $0.name == name }!
    }
}

func decodeFixture<T: Decodable>(_ name: String) -> T {
    do {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(contentsOf: fixtureURL(name)))
    } catch {
        fatalError("cannot read \(name): \(error)")
    }
}

extension Optional {
    func orThrow<E: Error>(_ error: @autoclosure () -> E) throws(E) -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
