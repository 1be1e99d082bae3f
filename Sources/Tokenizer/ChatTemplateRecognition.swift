/// Chooses a ``ChatTemplate`` for a model from the Jinja chat template its files carry (GGUF
/// `tokenizer.chat_template`, Hugging Face `tokenizer_config.json`'s `chat_template`).
///
/// ```swift
/// if let template = ChatTemplates.recognizing(jinja) {
///     let ids = try template.encode([.user("Hi")], tokenizer: tokenizer)
/// }
/// ```
///
/// The template is inspected, not run: this module has no Jinja interpreter, and the formats in use
/// are few. What is recognised:
/// - **ChatML** (`<|im_start|>`, `<|im_end|>` and an `<|im_start|>assistant` generation prompt; Qwen,
///   SmolLM2, ...): a ``ChatMLTemplate``. When the template writes a fixed system turn
///   (`<|im_start|>system\n...<|im_end|>` inside one string literal or stretch of plain text, as
///   SmolLM2's and Qwen2's do for a conversation that does not start with a system message), that
///   text becomes its ``ChatMLTemplate/defaultSystemPrompt``.
/// - **MiniCPM** 1 and 2 (`<用户>` and `<AI>`): a ``MiniCPMChatTemplate``.
///
/// Anything else (Llama 3's headers, Mistral's `[INST]`, ...) gives `nil`: the caller decides what
/// to do, rather than silently prompting a model in a format it was not tuned on. Recognition looks
/// at markers only, so a template that uses them but adds more (tool calls, reasoning tags) renders
/// as the plain format.
public enum ChatTemplates {
    /// The template a Jinja chat template text describes, or `nil` when it is not a recognised
    /// format.
    ///
    /// - Parameters:
    ///   - jinja: The template text.
    ///   - addsBOS: Whether encoding puts BOS first (e.g. GGUF `tokenizer.ggml.add_bos_token`);
    ///     `nil` keeps the format's default (ChatML: no, MiniCPM: yes).
    public static func recognizing(_ jinja: String, addsBOS: Bool? = nil) -> (any ChatTemplate)? {
        if jinja.contains("<|im_start|>"), jinja.contains("<|im_end|>"), jinja.contains("<|im_start|>assistant") {
            return ChatMLTemplate(defaultSystemPrompt: defaultChatMLSystemPrompt(in: jinja), addsBOS: addsBOS ?? false)
        }
        if jinja.contains("<用户>"), jinja.contains("<AI>") {
            return MiniCPMChatTemplate(addsBOS: addsBOS ?? true)
        }
        return nil
    }

    /// The text of the first fixed system turn the template writes, if any.
    static func defaultChatMLSystemPrompt(in jinja: String) -> String? {
        let opening = "<|im_start|>system\n"
        for text in JinjaOutputText.fragments(of: jinja) {
            guard let start = text.range(of: opening),
                  let end = text.range(of: "<|im_end|>", range: start.upperBound..<text.endIndex) else { continue }
            return String(text[start.upperBound..<end.lowerBound])
        }
        return nil
    }
}

/// The pieces of a Jinja template that can reach its output verbatim: the plain text between tags
/// and the string literals inside `{{ }}` and `{% %}` tags (escapes resolved as Python resolves
/// them). Enough to find fixed text such as a default system prompt, without interpreting Jinja.
enum JinjaOutputText {
    static func fragments(of template: String) -> [String] {
        let scalars = Array(template.unicodeScalars)
        var fragments: [String] = []
        var plain = String.UnicodeScalarView()
        var i = 0
        func flushPlain() {
            if !plain.isEmpty { fragments.append(String(plain)) }
            plain = String.UnicodeScalarView()
        }
        while i < scalars.count {
            if scalars[i] == "{", i + 1 < scalars.count, ["{", "%", "#"].contains(scalars[i + 1]) {
                flushPlain()
                let closer: Unicode.Scalar = scalars[i + 1] == "{" ? "}" : scalars[i + 1]
                let isComment = scalars[i + 1] == "#"
                i += 2
                // Up to the matching closer, outside string literals.
                while i < scalars.count {
                    let c = scalars[i]
                    if !isComment, c == "'" || c == "\"" {
                        let (literal, next) = stringLiteral(scalars, from: i)
                        fragments.append(literal)
                        i = next
                        continue
                    }
                    if c == closer, i + 1 < scalars.count, scalars[i + 1] == "}" {
                        i += 2
                        break
                    }
                    i += 1
                }
            } else {
                plain.append(scalars[i])
                i += 1
            }
        }
        flushPlain()
        return fragments
    }

    /// The value of the literal whose opening quote is at `start`, and the index after it.
    private static func stringLiteral(_ s: [Unicode.Scalar], from start: Int) -> (String, Int) {
        let quote = s[start]
        var value = String.UnicodeScalarView()
        var i = start + 1
        while i < s.count, s[i] != quote {
            guard s[i] == "\\", i + 1 < s.count else {
                value.append(s[i])
                i += 1
                continue
            }
            let escaped = s[i + 1]
            i += 2
            switch escaped {
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "r": value.append("\r")
            case "\\", "'", "\"": value.append(escaped)
            case "x", "u", "U":
                let digits = escaped == "x" ? 2 : escaped == "u" ? 4 : 8
                let hex = String(String.UnicodeScalarView(s[i..<min(i + digits, s.count)]))
                if hex.count == digits, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) {
                    value.append(scalar)
                    i += digits
                } else {
                    value.append("\\")
                    value.append(escaped)
                }
            default:
                // Python keeps unknown escapes as they are.
                value.append("\\")
                value.append(escaped)
            }
        }
        return (String(value), min(i + 1, s.count))
    }
}
