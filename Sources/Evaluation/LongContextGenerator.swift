import Foundation
import TensorCore

/// Generates ∞Bench-style long-context items (``LongContextSettings``): the texts are ∞Bench's
/// (`data/construct_synthetic_dataset.py` and the Claude 2 / Kimi prompt templates of its
/// `src/prompt.py`), the lengths are those of the evaluated model's tokenizer.
///
/// ```swift
/// let generator = LongContextGenerator(settings: .init(kind: .passkey, contextLengths: [4096]), answerTokens: 8)
/// let items = try generator.items { try model.contextTokens(for: $0).count }
/// ```
///
/// An item holds the largest number of filler units (∞Bench's noise paragraph, or random key-value
/// pairs) for which the prompt's token count plus `answerTokens` is at most the context length, so
/// it is within one filler unit (about 25 tokens; a pair about 50) below it. The needle follows
/// `round(depth × n)` of the `n` units. Random choices use TensorCore's `SeededRandom` with
/// modulo reduction (not the standard library's `random(in:)`, whose algorithm may change), so an
/// item depends only on the settings and the tokenizer.
public struct LongContextGenerator: Sendable {
    /// What to generate.
    public var settings: LongContextSettings
    /// Tokens kept free for the answer (the task's `generation.max_tokens`).
    public var answerTokens: Int

    /// A generator of `settings`' items, leaving `answerTokens` of each context for the answer.
    public init(settings: LongContextSettings, answerTokens: Int) {
        self.settings = settings
        self.answerTokens = answerTokens
    }

    /// Every item: lengths in order, then depths, then repetitions.
    ///
    /// - Parameter tokenCount: The length of a prompt in the model's tokens (as it is fed).
    /// - Throws: ``EvaluationError/invalidSetting(task:field:reason:)`` for a length too short for the
    ///   fixed text and the answer; the counter's errors.
    public func items(tokenCount: (String) throws(EvaluationError) -> Int) throws(EvaluationError) -> [LongContextItem] {
        var items: [LongContextItem] = []
        for length in settings.contextLengths {
            for depth in settings.depths {
                for repetition in 0..<settings.count {
                    items.append(try item(contextLength: length, depth: depth, repetition: repetition, tokenCount: tokenCount))
                }
            }
        }
        return items
    }

    /// The item of one (length, depth, repetition).
    public func item(contextLength: Int, depth: Double, repetition: Int,
                     tokenCount: (String) throws(EvaluationError) -> Int) throws(EvaluationError) -> LongContextItem {
        let percent = String(format: "%g", depth * 100)
        let id = "\(settings.kind.rawValue)-L\(contextLength)-D\(percent)-\(repetition)"
        var random = SeededRandom(seed: Self.itemSeed(settings.seed, contextLength, depth, repetition))
        var text = LongContextText(kind: settings.kind, random: &random)
        let budget = contextLength - answerTokens
        var memo: [Int: Int] = [:]
        func tokens(_ n: Int) throws(EvaluationError) -> Int {
            if let known = memo[n] { return known }
            let count = try tokenCount(text.prompt(fillerCount: n, needleAfter: Self.needlePosition(depth, n), random: &random))
            memo[n] = count
            return count
        }
        let fixed = try tokens(0)
        guard fixed <= budget else {
            throw .invalidSetting(task: id, field: "context_lengths",
                                  reason: "\(contextLength) tokens cannot hold the fixed text (\(fixed) tokens) and the \(answerTokens)-token answer")
        }
        // Tokens per filler unit, averaged over eight (key-value pairs differ in length).
        let perUnit = max(1, (try tokens(8) - fixed) / 8)
        // Invariant: tokens(low) <= budget < tokens(high). Each probe lands strictly between them,
        // guessed from the tokens per unit, so the search ends; a good guess ends it in two or three.
        var low = 0, high: Int?
        var probe = (budget - fixed) / perUnit
        while high.map({ $0 - low > 1 }) ?? true {
            probe = min(max(probe, low + 1), (high ?? Int.max) - 1)
            let count = try tokens(probe)
            if count <= budget {
                low = probe
                probe += (budget - count) / perUnit + 1
            } else {
                high = probe
                probe -= (count - budget + perUnit - 1) / perUnit
            }
        }
        let before = Self.needlePosition(depth, low)
        return LongContextItem(id: id, kind: settings.kind, contextLength: contextLength, depth: depth,
                               prompt: text.prompt(fillerCount: low, needleAfter: before, random: &random),
                               promptTokenCount: try tokens(low), needle: text.needle, answer: text.answer,
                               fillerCount: low, fillerBeforeNeedle: before)
    }

    /// Filler units before the needle: `round(depth × n)`.
    static func needlePosition(_ depth: Double, _ fillerCount: Int) -> Int {
        Int((depth * Double(fillerCount)).rounded())
    }

    /// One seed per item from the task's seed and the item's coordinates (the generator's splitmix
    /// start scrambles it).
    static func itemSeed(_ seed: UInt64, _ length: Int, _ depth: Double, _ repetition: Int) -> UInt64 {
        let permille = UInt64((depth * 1000).rounded())
        return seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(length) &* 1_000_003 &+ permille &* 1_009 &+ UInt64(repetition)
    }
}

/// The texts of one item: ∞Bench's instruction, filler, needle and question.
struct LongContextText {
    let kind: LongContextSettings.Kind
    let needle: String
    let answer: String
    private let head: String
    private let tail: String
    private let separator: String
    /// Key-value filler drawn so far (grows as longer prompts are asked for).
    private var pairs: [String] = []

    /// ∞Bench's noise paragraph, the filler of passkey and number_string.
    static let noise = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.\n"

    init(kind: LongContextSettings.Kind, random: inout SeededRandom) {
        self.kind = kind
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(random.next() % 10)) }) }
        switch kind {
        case .passkey:
            answer = digits(5)
            needle = "The pass key is \(answer). Remember it. \(answer) is the pass key.\n"
            head = "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.\n\n"
            tail = "\nWhat is the pass key?\nThe pass key is"
            separator = ""
        case .numberString:
            answer = digits(10)
            needle = "The sequence of digits is \(answer). Remember it. \(answer) is the sequence of digits.\n"
            head = "There is an important info hidden inside a lot of irrelevant text. Find it. I will quiz you about the important information there.\n\n"
            tail = "\nWhat is the sequence of digits?\nThe sequence of digits is"
            separator = ""
        case .kvRetrieval:
            let key = Self.uuid(&random)
            answer = Self.uuid(&random)
            needle = "\"\(key)\": \"\(answer)\""
            head = "Extract the value corresponding to the specified key in the JSON object below.\n\nJSON data:\n{"
            // ∞Bench ends with "is: "; the trailing space is left out because BPE tokenizers put the
            // space at the start of the answer's first token.
            tail = "}\nKey: \"\(key)\"\nThe value associated with the specified key is:"
            separator = ", "
        }
    }

    /// The prompt with `fillerCount` units, the needle after the first `needleAfter` of them.
    mutating func prompt(fillerCount: Int, needleAfter: Int, random: inout SeededRandom) -> String {
        var units: [String]
        switch kind {
        case .passkey, .numberString:
            units = Array(repeating: Self.noise, count: fillerCount)
        case .kvRetrieval:
            while pairs.count < fillerCount { pairs.append("\"\(Self.uuid(&random))\": \"\(Self.uuid(&random))\"") }
            units = Array(pairs.prefix(fillerCount))
        }
        units.insert(needle, at: needleAfter)
        return head + units.joined(separator: separator) + tail
    }

    /// A random UUID-shaped string (32 lowercase hex digits as 8-4-4-4-12), like ∞Bench's uuid4 keys.
    static func uuid(_ random: inout SeededRandom) -> String {
        let hex = Array(String(format: "%016llx%016llx", random.next(), random.next()))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }
}
