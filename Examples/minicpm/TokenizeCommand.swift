import ArgumentParser
import Foundation
import Tokenizer

/// `minicpm tokenize`: encode text with a SentencePiece model and print ids and pieces, or decode ids.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode text to token ids and pieces with a SentencePiece model, or decode ids.",
        discussion: """
            Prints the ids comma-separated on the first line, then one line per token: the id and \
            its piece (control characters escaped), then a count. Without --text or --ids, the \
            text is read from standard input (without its final newline). --ids prints the decoded \
            text instead.
            """
    )

    @Option(help: "A SentencePiece model file (tokenizer.model).")
    var tokenizer: String

    @Option(help: "The text to encode.")
    var text: String?

    @Option(help: "Comma-separated token ids to decode instead, e.g. 1,22557,1526.")
    var ids: TokenList?

    @Flag(help: "Put the model's BOS id first.")
    var bos = false

    @Flag(help: "Put the model's EOS id last.")
    var eos = false

    @Flag(help: "Render the text as one user turn of MiniCPM's chat template (BOS included).")
    var chat = false

    func validate() throws {
        if text != nil && ids != nil { throw ValidationError("Give --text or --ids, not both.") }
        if ids != nil && (bos || eos || chat) { throw ValidationError("--bos, --eos and --chat apply to --text.") }
    }

    func run() throws {
        let model = try SentencePieceTokenizer(path: tokenizer)
        if let ids {
            print(try model.decode(ids.ids))
            return
        }
        var input = try text ?? TextInput.readStandardInput()
        if text == nil, input.hasSuffix("\n") { input.removeLast() }
        let template = MiniCPMChatTemplate()
        let encoded = chat ? template.render([.user(input)], addGenerationPrompt: true) : input
        let ids = chat
            ? try template.encode([.user(input)], tokenizer: model)
            : try model.encode(input, addBOS: bos, addEOS: eos)
        print(ids.map(String.init).joined(separator: ","))
        for id in ids {
            print("\(id)\t\(escaped(try model.piece(for: id)))")
        }
        let special = ids.filter { model.kind(of: $0) == .control }.count
        let bytes = encoded.utf8.count
        let tokens = ids.count - special
        // Every argument typed: `String(format:)` with an Int where `%.2f` expects a Double (the
        // empty text's 0) shifted the arguments after it, and printed "vocabulary 0".
        let bytesPerToken: Double = tokens > 0 ? Double(bytes) / Double(tokens) : 0
        print("\(ids.count) tokens (\(special) control), \(bytes) bytes of text, "
              + String(format: "%.2f", bytesPerToken) + " bytes/token; vocabulary \(model.vocabularySize)")
    }
}

/// `text` with control characters written as escapes, so that every token stays on one line.
func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        default:
            if scalar.properties.generalCategory == .control {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out
}
