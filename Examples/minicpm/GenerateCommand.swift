import ArgumentParser
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// `minicpm generate`: continue a prompt, printing tokens as they are produced and a timing summary
/// at the end. With `--tokenizer` the prompt may be text (`--prompt`, optionally wrapped in a chat
/// template with `--chat`) and the output is streamed as text; without it, ids in and ids out.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text (with --tokenizer) or token ids after a prompt."
    )

    /// The chat formats `--template` selects.
    enum TemplateName: String, ExpressibleByArgument, CaseIterable {
        case minicpm, chatml
    }

    @Option(help: "A Hugging Face checkpoint directory (config.json + safetensors) or a GGUF file.")
    var model: String

    @Option(name: .customLong("prompt-ids"), help: "Comma-separated prompt token ids, e.g. 1,5,9.")
    var promptIDs: TokenList?

    @Option(help: "A SentencePiece model file (tokenizer.model): text prompts, text output.")
    var tokenizer: String?

    @Option(help: "The prompt text (needs --tokenizer); BOS is added when the tokenizer has one.")
    var prompt: String?

    @Flag(help: "Send --prompt as a user turn of the chat template.")
    var chat = false

    @Option(help: "The chat template of --chat: minicpm (<用户>…<AI>) or chatml.")
    var template: TemplateName = .minicpm

    @Option(help: "A system turn put before the user turn with --chat.")
    var system: String?

    @Option(help: "Most tokens to generate.")
    var maxTokens = 64

    @OptionGroup var sampling: SamplingOptions

    func validate() throws {
        guard (promptIDs == nil) != (prompt == nil) else {
            throw ValidationError("Give exactly one of --prompt-ids and --prompt.")
        }
        if prompt != nil && tokenizer == nil && !model.hasSuffix(".gguf") {
            throw ValidationError("--prompt needs --tokenizer (a GGUF model brings its own).")
        }
        if chat && prompt == nil { throw ValidationError("--chat needs --prompt.") }
        if system != nil && !chat { throw ValidationError("--system needs --chat.") }
    }

    func run() throws {
        sampling.applyThreads()
        let network: MiniCPM
        var textTokenizer: (any TextTokenizer)? = try tokenizer.map { try SentencePieceTokenizer(path: $0) }
        if model.hasSuffix(".gguf") {
            // A GGUF file usually carries its tokenizer: text prompts use it unless --tokenizer
            // overrides it; ids in and ids out need none.
            if textTokenizer == nil && prompt != nil {
                let languageModel = try LanguageModel(ggufAt: URL(fileURLWithPath: model))
                network = languageModel.model
                textTokenizer = languageModel.tokenizer
            } else {
                network = try MiniCPM(ggufFile: URL(fileURLWithPath: model))
            }
        } else {
            network = try MiniCPM(directory: URL(fileURLWithPath: model))
        }
        let vocabularySize = network.configuration.vocabularySize
        var chatTemplate: (any ChatTemplate)?
        if chat {
            switch template {
            case .minicpm: chatTemplate = MiniCPMChatTemplate()
            case .chatml: chatTemplate = ChatMLTemplate()
            }
        }

        let promptTokens: [Int]
        if let promptIDs {
            promptTokens = promptIDs.ids
        } else if let textTokenizer, let prompt {
            if let chatTemplate {
                let messages: [ChatMessage] = (system.map { [.system($0)] } ?? []) + [.user(prompt)]
                promptTokens = try chatTemplate.encode(messages, tokenizer: textTokenizer)
            } else {
                // Byte-level BPE files say whether BOS goes first (add_bos_token); SentencePiece
                // models (Llama, MiniCPM) always want it.
                let addBOS = (textTokenizer as? ByteLevelBPETokenizer)?.addsBOS ?? (textTokenizer.bosID != nil)
                promptTokens = try textTokenizer.encode(prompt, addBOS: addBOS, addEOS: false)
            }
        } else {
            throw ValidationError("Give exactly one of --prompt-ids and --prompt.")
        }
        if let textTokenizer, textTokenizer.vocabularySize != vocabularySize {
            FileHandle.standardError.write(Data(("warning: the tokenizer has \(textTokenizer.vocabularySize) pieces, " +
                "the model \(vocabularySize) ids\n").utf8))
        }

        var parameters = sampling.parameters(maxTokens: maxTokens)
        var stopStrings: [String] = []
        if let chatTemplate, let textTokenizer {
            // The template's stop pieces (e.g. <|im_end|>) as well as the model's EOS.
            let stops = chatTemplate.stopTokenIDs(tokenizer: textTokenizer).union(network.configuration.eosTokenIDs)
            parameters.stopTokenIDs = stops.filter { $0 >= 0 && $0 < vocabularySize }
            stopStrings = chatTemplate.stopStrings.filter { textTokenizer.id(forPiece: $0) == nil }
        }

        // Unbuffered writes, so tokens appear as they are generated.
        let out = FileHandle.standardOutput
        let summary: GenerationSummary
        if let textTokenizer {
            var detokenizer = StreamingDetokenizer(tokenizer: textTokenizer)
            var filter = StopStringFilter(stopStrings: stopStrings)
            summary = try network.generate(promptTokens: promptTokens, parameters: parameters) { id in
                let piece: String
                do { piece = try detokenizer.append(id) } catch { piece = "[\(id)]" }
                let (text, stopped) = filter.feed(piece)
                out.write(Data(text.utf8))
                return stopped ? .stop : .continue
            }
            let (rest, _) = filter.feed(detokenizer.finish())
            out.write(Data((rest + filter.flush()).utf8))
        } else {
            var first = true
            summary = try network.generate(promptTokens: promptTokens, parameters: parameters) { id in
                out.write(Data((first ? "\(id)" : ",\(id)").utf8))
                first = false
                return .continue
            }
        }
        out.write(Data(("\n" + String(format: "prompt %d tokens, prefill %.1f tokens/s; generated %d tokens, decode %.1f tokens/s; stop: %@",
                     summary.promptTokenCount, summary.prefillTokensPerSecond, summary.generatedTokenCount,
                     summary.decodeTokensPerSecond, "\(summary.stopReason)") + "\n").utf8))
    }
}
