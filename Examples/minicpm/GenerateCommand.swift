import ArgumentParser
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// `minicpm generate`: continue a prompt, printing the output as it is produced and a timing summary
/// at the end. With a tokenizer (`--tokenizer`, or the one inside a GGUF file) the prompt may be
/// text (`--prompt`, optionally wrapped in a chat template with `--chat`) and the output is text,
/// produced by `LanguageModel.generate`; without one, ids in and ids out.
///
/// Greedy by default (``defaultSampling``), so a run is reproducible; the sampling options turn
/// sampling on.
struct GenerateCommand: ParsableCommand, SamplingDefaults {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text (with a tokenizer) or token ids after a prompt.",
        discussion: "Greedy unless --temperature is given, so the same prompt gives the same output."
    )

    /// Greedy decoding (the repetition window, used once `--repetition-penalty` is given, is
    /// llama.cpp's 64 as for `chat`).
    static let defaultSampling = GenerateParameters(temperature: 0, repetitionContextSize: 64)

    /// The chat formats `--template` selects.
    enum TemplateName: String, ExpressibleByArgument, CaseIterable {
        case minicpm, chatml

        var template: any ChatTemplate {
            switch self {
            case .minicpm: return MiniCPMChatTemplate()
            case .chatml: return ChatMLTemplate()
            }
        }
    }

    @Option(help: "A Hugging Face checkpoint directory (config.json + safetensors, or int4 AutoGPTQ tensors with quantize_config.json) or a GGUF file.")
    var model: String

    @Option(name: .customLong("prompt-ids"), help: "Comma-separated prompt token ids, e.g. 1,5,9.")
    var promptIDs: TokenList?

    @Option(help: "A SentencePiece model file (tokenizer.model): text prompts, text output.")
    var tokenizer: String?

    @Option(help: "The prompt text (needs --tokenizer unless the GGUF file or checkpoint directory has one); BOS is added when the model expects it.")
    var prompt: String?

    @Flag(help: "Send --prompt as a user turn of the chat template.")
    var chat = false

    @Option(help: "The chat template of --chat: minicpm (<用户>…<AI>) or chatml (default: the model's own, else minicpm).")
    var template: TemplateName?

    @Option(help: "A system turn put before the user turn with --chat.")
    var system: String?

    @Option(help: "Most tokens to generate (0 only reads the prompt).")
    var maxTokens = 64

    @Flag(help: "Scan every weight for NaN and infinity after loading, and name the first bad tensor (as llama.cpp's --check-tensors).")
    var checkTensors = false

    @Option(name: .customLong("kv-cache"), help: "KV cache storage: f32, or f16 for half the memory per token (Docs/LongContext.md).")
    var kvCache: KVCacheStorage = .float32

    @OptionGroup var sampling: SamplingOptions<GenerateCommand>

    @OptionGroup var weights: WeightOptions

    func validate() throws {
        guard (promptIDs == nil) != (prompt == nil) else {
            throw ValidationError("Give exactly one of --prompt-ids and --prompt.")
        }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be >= 0, not \(maxTokens).") }
        // A GGUF file (recognised by its magic) brings a tokenizer; so does a checkpoint directory
        // with a tokenizer.model (what `minicpm train`, `sft` and `dpo` write) or a tokenizer.gguf
        // (what `minicpm quantize` writes for a GGUF source).
        let bringsTokenizer = (try? ModelFormat.detect(at: modelURL)) == .gguf
            || FileManager.default.fileExists(atPath: modelURL.appendingPathComponent("tokenizer.model").path)
            || FileManager.default.fileExists(atPath: modelURL.appendingPathComponent(LanguageModel.tokenizerGGUFFileName).path)
        if prompt != nil && tokenizer == nil && !bringsTokenizer {
            throw ValidationError("--prompt needs --tokenizer (a GGUF model, or a checkpoint directory with tokenizer.model, brings its own).")
        }
        if chat && prompt == nil { throw ValidationError("--chat needs --prompt.") }
        if system != nil && !chat { throw ValidationError("--system needs --chat.") }
        if template != nil && !chat { throw ValidationError("--template needs --chat.") }
    }

    func run() throws {
        sampling.applyThreads()
        let parameters = sampling.parameters(maxTokens: maxTokens)
        // Unbuffered writes, so the output appears as it is generated.
        let out = FileHandle.standardOutput
        let summary: GenerationSummary
        if let languageModel = try loadLanguageModel() {
            if checkTensors { try languageModel.model.checkFinite() }
            let request: LanguageModel.Prompt
            if let promptIDs {
                request = .tokens(promptIDs.ids)
            } else if chat {
                request = .chat((system.map { [.system($0)] } ?? []) + [.user(prompt ?? "")])
            } else {
                request = .text(prompt ?? "")
            }
            // --chat without --template: the model's own template, else MiniCPM's (this tool's
            // namesake, and the format of the checkpoints a bare directory holds).
            let chatTemplate = chat ? template?.template ?? languageModel.chatTemplate ?? MiniCPMChatTemplate() : nil
            summary = try languageModel.generate(request, parameters: parameters, chatTemplate: chatTemplate,
                                                 cache: cache(for: languageModel.model)) { piece in
                out.write(Data(piece.utf8))
                return .continue
            }.summary
        } else {
            let network = try weights.network(at: modelURL)
            if checkTensors { try network.checkFinite() }
            var first = true
            summary = try network.generate(promptTokens: promptIDs?.ids ?? [], parameters: parameters,
                                           cache: cache(for: network)) { id in
                out.write(Data((first ? "\(id)" : ",\(id)").utf8))
                first = false
                return .continue
            }
        }
        out.write(Data(("\n" + String(format: "prompt %d tokens, prefill %.1f tokens/s; generated %d tokens, decode %.1f tokens/s; stop: %@",
                     summary.promptTokenCount, summary.prefillTokensPerSecond, summary.generatedTokenCount,
                     summary.decodeTokensPerSecond, "\(summary.stopReason)") + "\n").utf8))
    }

    /// A half-precision cache for `--kv-cache f16`, as long as the one `generate` makes; `nil` (that
    /// default float cache) otherwise.
    private func cache(for network: MiniCPM) -> KVCache? {
        kvCache == .float32 ? nil
            : KVCache(configuration: network.configuration, maximumLength: network.maximumContextLength, storage: kvCache)
    }

    /// The model with its tokenizer when the output is text: `--tokenizer` beside the weights, or a
    /// GGUF file's own tokenizer and template for a text prompt; `nil` for ids in and ids out.
    private var modelURL: URL { URL(fileURLWithPath: model) }

    private func loadLanguageModel() throws -> LanguageModel? {
        let url = modelURL
        guard let tokenizer else {
            // validate() let --prompt through without --tokenizer only for a GGUF file or a
            // directory with its tokenizer.
            return prompt != nil ? try weights.languageModel(at: url) : nil
        }
        let textTokenizer = try SentencePieceTokenizer(path: tokenizer)
        let network = try weights.network(at: url)
        let vocabularySize = network.configuration.vocabularySize
        if textTokenizer.vocabularySize != vocabularySize {
            // Fewer pieces than embedding rows is common (padding) and allowed; more is an error below.
            FileHandle.standardError.write(Data(("warning: the tokenizer has \(textTokenizer.vocabularySize) pieces, " +
                "the model \(vocabularySize) ids\n").utf8))
        }
        return try LanguageModel(model: network, tokenizer: textTokenizer, chatTemplate: nil,
                                 name: url.deletingPathExtension().lastPathComponent)
    }
}
