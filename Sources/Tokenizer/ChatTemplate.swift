/// Who speaks in a chat turn.
public enum ChatRole: String, Sendable, Hashable, Codable, CaseIterable {
    case system
    case user
    case assistant
}

/// One turn of a conversation.
public struct ChatMessage: Sendable, Hashable, Codable {
    public var role: ChatRole
    public var content: String

    public init(role: ChatRole, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// A prompt format: renders a conversation to the text a model was fine-tuned on, and from there to
/// ids.
///
/// Conforming types are plain values; implement ``render(_:addGenerationPrompt:)`` and say whether
/// the tokenizer's BOS goes first; ``encode(_:addGenerationPrompt:tokenizer:)`` then tokenizes the
/// whole rendered text in one call, as Hugging Face's `apply_chat_template(tokenize=True)` does. Marker
/// strings that the vocabulary holds as user-defined pieces (MiniCPM's `<用户>` and `<AI>`, ChatML's
/// `<|im_start|>`) come out as single ids because SentencePiece matches user-defined pieces before
/// merging; with a vocabulary that lacks them they are ordinary text.
public protocol ChatTemplate: Sendable {
    /// The conversation as text, without BOS. With `addGenerationPrompt`, the text ends where the
    /// assistant's reply begins.
    func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String
    /// Whether ``encode(_:addGenerationPrompt:tokenizer:)`` puts the tokenizer's BOS id first.
    var addsBOS: Bool { get }
    /// Text that ends an assistant reply besides the tokenizer's EOS (e.g. `<|im_end|>`).
    var stopStrings: [String] { get }
}

extension ChatTemplate {
    /// The conversation as ids: BOS (when ``addsBOS`` and the tokenizer has one) followed by the
    /// rendered text encoded in one piece.
    public func encode(_ messages: [ChatMessage], addGenerationPrompt: Bool = true,
                       tokenizer: some TextTokenizer) throws(TokenizerError) -> [Int] {
        let text = render(messages, addGenerationPrompt: addGenerationPrompt)
        return try tokenizer.encode(text, addBOS: addsBOS && tokenizer.bosID != nil, addEOS: false)
    }

    /// Ids that end a reply: the tokenizer's EOS and every stop string that is a single piece of
    /// the vocabulary (a longer stop string has to be matched in the text).
    public func stopTokenIDs(tokenizer: some TextTokenizer) -> Set<Int> {
        var ids = Set<Int>()
        if let eos = tokenizer.eosID { ids.insert(eos) }
        for string in stopStrings {
            if let id = tokenizer.id(forPiece: string) { ids.insert(id) }
        }
        return ids
    }
}

/// MiniCPM-1 and MiniCPM-2's chat format (the `chat_template` of their Hugging Face tokenizers):
/// a user turn is `<用户>` + the trimmed content + `<AI>`, any other turn (assistant, system) is its
/// trimmed content, with no separators; the tokenizer adds BOS.
///
/// ```swift
/// let template = MiniCPMChatTemplate()
/// template.render([.user(" Hi "), .assistant("Hello!"), .user("2+2?")], addGenerationPrompt: true)
/// // "<用户>Hi<AI>Hello!<用户>2+2?<AI>"
/// let ids = try template.encode([.user("Hi")], tokenizer: tokenizer)   // BOS, then "<用户>Hi<AI>"
/// ```
///
/// A user turn already ends with `<AI>`, the cue for the model to answer, so `addGenerationPrompt`
/// changes nothing. "Trimmed" is Python's `str.strip()`: Unicode white space and the separators
/// U+001C...U+001F are removed at both ends.
public struct MiniCPMChatTemplate: ChatTemplate, Hashable {
    /// Starts a user turn.
    public var userPrefix: String
    /// Ends a user turn (and so starts the assistant's reply).
    public var assistantPrefix: String
    public var addsBOS: Bool
    public var stopStrings: [String] { [] }

    public init(userPrefix: String = "<用户>", assistantPrefix: String = "<AI>", addsBOS: Bool = true) {
        self.userPrefix = userPrefix
        self.assistantPrefix = assistantPrefix
        self.addsBOS = addsBOS
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var text = ""
        for message in messages {
            switch message.role {
            case .user: text += userPrefix + pythonStrip(message.content) + assistantPrefix
            case .assistant, .system: text += pythonStrip(message.content)
            }
        }
        return text
    }
}

/// The ChatML format (`<|im_start|>role\ncontent<|im_end|>\n` per turn, then
/// `<|im_start|>assistant\n` as the generation prompt), used by Qwen and SmolLM2 among
/// others. Contents are kept as they are; no BOS by default.
public struct ChatMLTemplate: ChatTemplate, Hashable {
    /// A system turn put first when the conversation does not start with one (`nil` for none).
    /// An empty conversation gets none: the Jinja templates that carry a default (SmolLM2's,
    /// Qwen2's) write it inside the loop over messages.
    public var defaultSystemPrompt: String?
    public var addsBOS: Bool
    public var stopStrings: [String] { ["<|im_end|>"] }

    public init(defaultSystemPrompt: String? = nil, addsBOS: Bool = false) {
        self.defaultSystemPrompt = defaultSystemPrompt
        self.addsBOS = addsBOS
    }

    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var turns = messages
        if let defaultSystemPrompt, let first = turns.first, first.role != .system {
            turns.insert(.system(defaultSystemPrompt), at: 0)
        }
        var text = ""
        for message in turns {
            text += "<|im_start|>" + message.role.rawValue + "\n" + message.content + "<|im_end|>\n"
        }
        if addGenerationPrompt { text += "<|im_start|>assistant\n" }
        return text
    }
}

/// Python's `str.strip()` with no argument: removes leading and trailing characters for which
/// `str.isspace()` is true (Unicode `White_Space`, plus the information separators U+001C...U+001F).
func pythonStrip(_ text: String) -> String {
    func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || (0x1C...0x1F).contains(scalar.value)
    }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }),
          let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(scalars[first...last])
}
