import ArgumentParser
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// `minicpm chat`: talk to a model. With `--prompt`, answers that one question and exits; otherwise
/// reads one user turn per line from standard input until it ends, keeping the conversation (and its
/// KV cache) between turns.
///
/// Replies are sampled with llama.cpp's defaults (``defaultSampling``); `--greedy` makes them
/// deterministic whatever the seed.
struct ChatCommand: ParsableCommand, SamplingDefaults {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a GGUF model or a Hugging Face checkpoint directory.",
        discussion: """
        Interactive mode reads one message per line. Lines starting with / are commands:
        /reset forgets the conversation, /quit ends it.

        Replies are sampled with llama.cpp's defaults (common_params_sampling in its \
        common/common.h): temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no repetition \
        penalty (a window of 64 tokens when --repetition-penalty sets one). --greedy picks the most \
        likely token instead. The seed is fixed (--seed), so the same conversation gives the same replies.
        """
    )

    /// llama.cpp's sampling defaults, `common_params_sampling` in its `common/common.h` (what
    /// `llama-cli` and `llama-server` use): temperature 0.8, top-k 40, top-p 0.95, min-p 0.05 and
    /// the repetition penalty off (1.0; its window `penalty_last_n` is 64). Ollama's differ in top-p
    /// 0.9, min-p 0 and a penalty of 1.1. llama.cpp's are chosen because this tool runs the same
    /// GGUF files, and because they leave the penalty off: it also punishes what a reply has to
    /// repeat (names, punctuation, the question's words), while min-p already keeps a small model
    /// out of its unlikely tail. Two differences remain: llama.cpp applies the temperature after the
    /// filters and this suite before them (as Hugging Face does), so at 0.8 top-p and min-p keep
    /// somewhat fewer tokens here; and the seed is fixed (llama.cpp draws one), so a run repeats.
    static let defaultSampling = GenerateParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05,
                                                    repetitionPenalty: 1, repetitionContextSize: 64, seed: 0)

    @Option(help: "A GGUF file, or a Hugging Face checkpoint directory with tokenizer.model.")
    var model: String

    @Option(help: "Answer this one message and exit (otherwise read messages from standard input).")
    var prompt: String?

    @Option(help: "A system turn to start the conversation with (else the template's default).")
    var system: String?

    @Option(help: "Most tokens per reply.")
    var maxTokens = 512

    @Option(help: "Most tokens the conversation may hold (default: the model's context length).")
    var contextLength: Int?

    @OptionGroup var sampling: SamplingOptions<ChatCommand>

    @Flag(help: "Print nothing but the replies (no load message, no speed line).")
    var quiet = false

    func run() throws {
        sampling.applyThreads()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let url = URL(fileURLWithPath: model)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let languageModel = isDirectory.boolValue ? try LanguageModel(directory: url) : try LanguageModel(ggufFile: url)
        let parameters = sampling.parameters(maxTokens: maxTokens)
        let session = try ChatSession(languageModel, systemPrompt: system, parameters: parameters,
                                      maximumContextLength: contextLength)
        let out = FileHandle.standardOutput
        let err = FileHandle.standardError
        if !quiet {
            let c = languageModel.model.configuration
            err.write(Data(("Loaded \(languageModel.name): \(c.layerCount) layers, hidden \(c.hiddenSize), vocabulary \(c.vocabularySize), " +
                            "in \(format(clock.now - loadStart)) s\nSampling: \(sampling.summary)\n").utf8))
        }

        func answer(_ message: String) throws {
            let reply = try session.respond(to: message) { piece in
                out.write(Data(piece.utf8))
                return .continue
            }
            out.write(Data("\n".utf8))
            if !quiet {
                let s = reply.summary
                let line = String(format: "[prompt %d tokens (%d cached), prefill %.1f tokens/s; reply %d tokens, decode %.1f tokens/s]\n",
                                  s.promptTokenCount, reply.reusedTokenCount, s.prefillTokensPerSecond,
                                  s.generatedTokenCount, s.decodeTokensPerSecond)
                out.write(Data(line.utf8))
            }
        }

        if let prompt {
            try answer(prompt)
            return
        }
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive && !quiet { err.write(Data("Type a message and press return; /reset starts over, /quit ends.\n".utf8)) }
        while true {
            if interactive { err.write(Data("> ".utf8)) }
            guard let line = readLine(strippingNewline: true) else { break }
            let message = line.trimmingCharacters(in: .whitespaces)
            if message.isEmpty { continue }
            switch message {
            case "/quit", "/exit": return
            case "/reset": session.reset(); continue
            default:
                // A failed turn (e.g. the conversation outgrew the context) leaves the session as it
                // was; say why and keep reading, as a REPL should.
                do { try answer(message) } catch {
                    err.write(Data("error: \(error)\n".utf8))
                }
            }
        }
    }

    private func format(_ duration: Duration) -> String {
        let c = duration.components
        return String(format: "%.2f", Double(c.seconds) + Double(c.attoseconds) * 1e-18)
    }
}
