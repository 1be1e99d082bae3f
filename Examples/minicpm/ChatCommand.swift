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

    @Option(help: "A GGUF file, or a Hugging Face checkpoint directory with tokenizer.model or tokenizer.gguf (float, or int4 AutoGPTQ tensors with quantize_config.json).")
    var model: String

    @Option(help: "Answer this one message and exit (otherwise read messages from standard input).")
    var prompt: String?

    @Option(help: "A system turn to start the conversation with (else the template's default).")
    var system: String?

    @Option(help: "Most tokens per reply (at least 1).")
    var maxTokens = 512

    @Option(help: "Most tokens the conversation may hold (default: the model's context length; more than it warns).")
    var contextLength: Int?

    @Flag(help: "Scan every weight for NaN and infinity after loading, and name the first bad tensor (as llama.cpp's --check-tensors).")
    var checkTensors = false

    @Option(name: .customLong("kv-cache"), help: "KV cache storage: f32, or f16 for half the memory per token (Docs/LongContext.md).")
    var kvCache: KVCacheStorage = .float32

    @OptionGroup var sampling: SamplingOptions<ChatCommand>

    @OptionGroup var weights: WeightOptions

    @Flag(help: "Print nothing but the replies (no load message, no speed line).")
    var quiet = false

    func validate() throws {
        guard maxTokens > 0 else { throw ValidationError("--max-tokens must be > 0, not \(maxTokens).") }
        if let contextLength, contextLength <= 0 {
            throw ValidationError("--context-length must be > 0, not \(contextLength).")
        }
    }

    /// Turns that failed in a run that reads standard input: the run ends with an error, so a script
    /// does not take a conversation whose turns failed for a successful one.
    struct FailedTurns: Error, CustomStringConvertible {
        let failed: Int
        let total: Int
        var description: String { "\(failed) of \(total) turns failed" }
    }

    func run() throws {
        sampling.applyThreads()
        let clock = ContinuousClock()
        let loadStart = clock.now
        let languageModel = try weights.languageModel(at: URL(fileURLWithPath: model))
        if checkTensors { try languageModel.model.checkFinite() }
        let trained = languageModel.model.configuration.trainedContextLength
        if let contextLength, contextLength > trained {
            // As llama.cpp's "possible training context overflow": allowed, but past what the
            // model has seen.
            FileHandle.standardError.write(Data(("warning: --context-length \(contextLength) is more than the model's " +
                "trained context of \(trained) tokens; replies past it may degrade\n").utf8))
        }
        let parameters = sampling.parameters(maxTokens: maxTokens)
        let session = try ChatSession(languageModel, systemPrompt: system, parameters: parameters,
                                      maximumContextLength: contextLength, cacheStorage: kvCache)
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
        var lines = StandardInputLines()
        var turns = 0
        var failures = 0
        reading: while true {
            if interactive { err.write(Data("> ".utf8)) }
            let line: String
            do {
                guard let next = try lines.next() else { break }
                line = next
            } catch {
                // A line that is not UTF-8 is refused (not repaired into U+FFFD) and counts as a
                // failed turn.
                turns += 1
                failures += 1
                err.write(Data("error: \(error)\n".utf8))
                continue
            }
            let message = line.trimmingCharacters(in: .whitespaces)
            if message.isEmpty { continue }
            switch message {
            case "/quit", "/exit": break reading
            case "/reset": session.reset(); continue
            default:
                // A failed turn (e.g. the conversation outgrew the context) leaves the session as it
                // was; say why and keep reading, as a REPL should.
                turns += 1
                do { try answer(message) } catch {
                    failures += 1
                    err.write(Data("error: \(error)\n".utf8))
                }
            }
        }
        // Interactively the user saw each error; from a pipe, failed turns fail the run.
        if !interactive && failures > 0 { throw FailedTurns(failed: failures, total: turns) }
    }

    private func format(_ duration: Duration) -> String {
        let c = duration.components
        return String(format: "%.2f", Double(c.seconds) + Double(c.attoseconds) * 1e-18)
    }
}
