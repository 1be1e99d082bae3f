/// How a byte-level BPE tokenizer cuts text into words before merging (GGUF
/// `tokenizer.ggml.pre`): merges never cross the boundaries it draws.
///
/// ```swift
/// PreTokenizer.gpt2.split("I'm  fine!!")      // ["I", "'m", " ", " fine", "!!"]
/// PreTokenizer.smollm.split("x=123")          // ["x", "=", "1", "2", "3"]
/// PreTokenizer(ggufName: "llama-bpe")         // .llama3
/// ```
///
/// Each case is the regular expression that Hugging Face `tokenizers` and llama.cpp's
/// `unicode.cpp` use (see ``pattern``), implemented by hand over Unicode scalars: a general regex
/// engine (Swift `Regex` included) is one to two orders of magnitude slower on these patterns, and
/// pre-tokenising must keep up with BPE. `\p{L}`, `\p{N}` and `\s` are the Unicode general
/// categories L* and N* and the `White_Space` property, as Oniguruma defines them; the tests check
/// the splits against `tokenizers` on tricky strings and the classes on every scalar.
public enum PreTokenizer: String, Sendable, Hashable, CaseIterable {
    /// GPT-2's pattern: contractions, letter runs, number runs and punctuation runs, each with at
    /// most one leading space; white space before a word keeps its last space for the word.
    case gpt2 = "gpt2"
    /// Llama 3's pattern (GGUF name `llama-bpe`): like ``gpt2`` but contractions in any case, any
    /// single non-letter (not a line break) may lead a letter run, numbers in groups of at most three
    /// digits, line breaks kept with the punctuation or white space before them.
    case llama3 = "llama-bpe"
    /// SmolLM's (and StarCoder's): every `\p{N}` scalar on its own first, then ``gpt2`` on the text
    /// between them. Hugging Face writes it as `Sequence[Digits(individual_digits: true),
    /// ByteLevel(use_regex: true)]`, llama.cpp as the patterns `\p{N}` then GPT-2's.
    case smollm = "smollm"

    /// The pre-tokenizer for a GGUF `tokenizer.ggml.pre` value, or `nil` for one not implemented.
    ///
    /// Besides the case names it accepts the aliases under which llama.cpp applies the same split:
    /// `llama3` and `llama-v3` for ``llama3``, `starcoder` for ``smollm``.
    public init?(ggufName: String) {
        switch ggufName {
        case "gpt2": self = .gpt2
        case "llama-bpe", "llama3", "llama-v3": self = .llama3
        case "smollm", "starcoder": self = .smollm
        default: return nil
        }
    }

    /// The regular expression this pre-tokenizer implements, as `tokenizers` and llama.cpp write
    /// it (for ``smollm``, the pattern applied after the digits are split off).
    public var pattern: String {
        switch self {
        case .gpt2, .smollm:
            return #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            return #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"#
                + #"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// The words of `text`, in order; they concatenate to `text`.
    public func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { utf8 in
            var scratch = PreTokenizerScratch()
            scratch.load(utf8, from: 0, to: utf8.count)
            pieces(&scratch)
            var words: [String] = []
            words.reserveCapacity(scratch.ends.count)
            var start = 0
            for end in scratch.ends {
                let range = scratch.offsets[start]..<scratch.offsets[end]
                words.append(String(decoding: UnsafeBufferPointer(rebasing: utf8[range]), as: UTF8.self))
                start = end
            }
            return words
        }
    }

    /// Fills `scratch.ends` with the end (a scalar index) of every word of the loaded scalars.
    func pieces(_ scratch: inout PreTokenizerScratch) {
        scratch.ends.removeAll(keepingCapacity: true)
        let count = scratch.values.count
        guard count > 0 else { return }
        var ends = scratch.ends
        scratch.ends = []
        scratch.values.withUnsafeBufferPointer { values in
            scratch.classes.withUnsafeBufferPointer { classes in
                switch self {
                case .gpt2:
                    Self.gpt2Words(values, classes, 0, count, &ends)
                case .llama3:
                    var i = 0
                    while i < count {
                        i = Self.llama3Word(values, classes, i, count)
                        ends.append(i)
                    }
                case .smollm:
                    var i = 0
                    while i < count {
                        if classes[i] == ScalarClass.number.rawValue {
                            i += 1
                            ends.append(i)
                            continue
                        }
                        var k = i + 1
                        while k < count && classes[k] != ScalarClass.number.rawValue { k += 1 }
                        Self.gpt2Words(values, classes, i, k, &ends)
                        i = k
                    }
                }
            }
        }
        scratch.ends = ends
    }

    private static let letter = ScalarClass.letter.rawValue
    private static let number = ScalarClass.number.rawValue
    private static let space = ScalarClass.whitespace.rawValue
    private static let other = ScalarClass.other.rawValue

    /// GPT-2's pattern over `start..<end`.
    private static func gpt2Words(_ v: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>,
                                  _ start: Int, _ end: Int, _ ends: inout [Int]) {
        var i = start
        while i < end {
            i = gpt2Word(v, c, i, end)
            ends.append(i)
        }
    }

    /// The end of the GPT-2 word starting at `i` (the alternatives in the pattern's order).
    @inline(__always)
    private static func gpt2Word(_ v: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>,
                                 _ i: Int, _ n: Int) -> Int {
        let ch = v[i]
        // 's|'t|'re|'ve|'m|'ll|'d
        if ch == 0x27, i + 1 < n {
            let a = v[i + 1]
            if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return i + 2 }
            if i + 2 < n {
                let b = v[i + 2]
                if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }
            }
        }
        // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: the three are one rule per class, and a run
        // cannot cross into another class.
        var j = i
        if ch == 0x20, i + 1 < n, c[i + 1] != space { j = i + 1 }
        let cls = c[j]
        if cls != space {
            var k = j + 1
            while k < n && c[k] == cls { k += 1 }
            return k
        }
        // `\s+(?!\S)|\s+`: a run of white space before a word leaves its last scalar to it (where
        // that is a space, the word takes it; otherwise it stands alone).
        var k = i + 1
        while k < n && c[k] == space { k += 1 }
        if k == n || k - i == 1 { return k }
        return k - 1
    }

    /// The end of the Llama 3 word starting at `i`.
    @inline(__always)
    private static func llama3Word(_ v: UnsafeBufferPointer<UInt32>, _ c: UnsafeBufferPointer<UInt8>,
                                   _ i: Int, _ n: Int) -> Int {
        let ch = v[i]
        // (?i:'s|'t|'re|'ve|'m|'ll|'d): ASCII letters in either case, plus U+017F LATIN SMALL
        // LETTER LONG S, whose case folding is "s" (Oniguruma matches it; no other scalar folds
        // to one of these letters).
        if ch == 0x27, i + 1 < n {
            let raw = v[i + 1]
            let a = raw | 0x20
            if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 || raw == 0x17F { return i + 2 }
            if i + 2 < n {
                let b = v[i + 2] | 0x20
                if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return i + 3 }
            }
        }
        let cls = c[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if cls == letter {
            var k = i + 1
            while k < n && c[k] == letter { k += 1 }
            return k
        }
        if cls != number, ch != 0x0D, ch != 0x0A, i + 1 < n, c[i + 1] == letter {
            var k = i + 2
            while k < n && c[k] == letter { k += 1 }
            return k
        }
        // \p{N}{1,3}
        if cls == number {
            var k = i + 1
            while k < n && k < i + 3 && c[k] == number { k += 1 }
            return k
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var j = i
        if ch == 0x20, i + 1 < n, c[i + 1] == other { j = i + 1 }
        if c[j] == other {
            var k = j + 1
            while k < n && c[k] == other { k += 1 }
            while k < n && (v[k] == 0x0D || v[k] == 0x0A) { k += 1 }
            return k
        }
        // White space: `\s*[\r\n]+` ends at the run's last line break, if it has one.
        var k = i + 1
        while k < n && c[k] == space { k += 1 }
        var m = k - 1
        while m >= i {
            if v[m] == 0x0A || v[m] == 0x0D { return m + 1 }
            m -= 1
        }
        // `\s+(?!\S)|\s+`, as for GPT-2.
        if k == n || k - i == 1 { return k }
        return k - 1
    }
}

/// Buffers reused while pre-tokenising one input: the scalars of a stretch of UTF-8, their
/// classes and byte offsets, and the words found.
struct PreTokenizerScratch {
    /// Scalar values.
    var values: [UInt32] = []
    /// ``ScalarClass`` raw values, one per scalar.
    var classes: [UInt8] = []
    /// The byte offset of every scalar, then the end offset (one more element than `values`).
    var offsets: [Int] = []
    /// Word ends, as indices into `values`.
    var ends: [Int] = []

    /// Decodes `utf8[start..<end]` (valid UTF-8: the bytes of a Swift string).
    mutating func load(_ utf8: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        values.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        var i = start
        while i < end {
            let b0 = UInt32(utf8[i])
            let value: UInt32
            let length: Int
            if b0 < 0x80 {
                value = b0
                length = 1
            } else if b0 < 0xE0 {
                value = (b0 & 0x1F) << 6 | UInt32(utf8[i + 1] & 0x3F)
                length = 2
            } else if b0 < 0xF0 {
                value = (b0 & 0x0F) << 12 | UInt32(utf8[i + 1] & 0x3F) << 6 | UInt32(utf8[i + 2] & 0x3F)
                length = 3
            } else {
                value = (b0 & 0x07) << 18 | UInt32(utf8[i + 1] & 0x3F) << 12
                    | UInt32(utf8[i + 2] & 0x3F) << 6 | UInt32(utf8[i + 3] & 0x3F)
                length = 4
            }
            values.append(value)
            classes.append(ScalarClass.of(value).rawValue)
            offsets.append(i)
            i += length
        }
        offsets.append(end)
    }
}
