import ArgumentParser
import Foundation
import MiniCPMModel
import TensorCore
import Tokenizer

/// `minicpm chat`: talk to a model. With `--prompt`, answers that one question and exits; otherwise
/// reads one user turn per line from standard input until it ends, keeping the conversation (and its
/// KV cache) between turns.
struct ChatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a GGUF model or a Hugging Face checkpoint directory.",
        discussion: """
        Interactive mode reads one message per line. Lines starting with / are commands:
        /reset forgets the conversation, /quit ends it.
        """
    )

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

    @OptionGroup var sampling: SamplingOptions

    @Flag(help: "Print nothing but the replies (no load message, no speed line).")
    var quiet = false

    func run() throws {
        sampling.applyThreads()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let url = URL(fileURLWithPath: model)
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        let languageModel = isDirectory.boolValue ? try LanguageModel(directory: url) : try LanguageModel(ggufAt: url)
        let parameters = sampling.parameters(maxTokens: maxTokens)
        let session = try ChatSession(languageModel, systemPrompt: system, parameters: parameters,
                                      maximumContextLength: contextLength)
        let out = FileHandle.standardOutput
        let err = FileHandle.standardError
        if !quiet {
            let c = languageModel.model.configuration
            err.write(Data(("Loaded \(languageModel.name): \(c.layerCount) layers, hidden \(c.hiddenSize), vocabulary \(c.vocabularySize), " +
                            "in \(format(clock.now - loadStart)) s\n").utf8))
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
