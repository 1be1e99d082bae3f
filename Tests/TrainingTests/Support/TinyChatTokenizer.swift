import Tokenizer

/// A character-level tokenizer with MiniCPM's special pieces, so that tests can check ids by hand
/// and run tiny models over a tiny vocabulary: 0 `<unk>`, 1 `<s>` (BOS), 2 `</s>` (EOS), 3 `<用户>`,
/// 4 `<AI>`, then one id per character of ``alphabet``.
struct TinyChatTokenizer: TextTokenizer {
    static let alphabet = Array(" abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;?!+-'")
    static let markers = ["<用户>", "<AI>"]

    var vocabularySize: Int { 5 + Self.alphabet.count }
    var bosID: Int? { 1 }
    var eosID: Int? { 2 }

    func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
        var ids = addBOS ? [1] : []
        var rest = Substring(text)
        while let character = rest.first {
            if let m = Self.markers.firstIndex(where: { rest.hasPrefix($0) }) {
                ids.append(3 + m)
                rest = rest.dropFirst(Self.markers[m].count)
            } else {
                ids.append(Self.alphabet.firstIndex(of: character).map { 5 + $0 } ?? 0)
                rest = rest.dropFirst()
            }
        }
        if addEOS { ids.append(2) }
        return ids
    }

    func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        var text = ""
        for id in ids {
            switch id {
            case 0: text += "?"
            case 1, 2: continue
            case 3, 4: text += Self.markers[id - 3]
            case 5..<vocabularySize: text.append(Self.alphabet[id - 5])
            default: throw .idOutOfRange(id: id, index: 0, vocabularySize: vocabularySize)
            }
        }
        return text
    }

    func id(forPiece piece: String) -> Int? {
        switch piece {
        case "<unk>": return 0
        case "<s>": return 1
        case "</s>": return 2
        case "<用户>": return 3
        case "<AI>": return 4
        default:
            guard piece.count == 1, let i = Self.alphabet.firstIndex(of: piece.first!) else { return nil }
            return 5 + i
        }
    }
}
