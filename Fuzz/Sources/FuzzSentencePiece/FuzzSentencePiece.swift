import Foundation
import Tokenizer

/// tokenizer.model: `SentencePieceTokenizer(data:)` (libsentencepiece's ModelProto parser and our
/// piece table), then encoding and decoding through the loaded model.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSentencePiece(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let tokenizer = try? SentencePieceTokenizer(data: Data(bytes: data, count: size), source: "fuzz") else {
        return 0
    }
    var sink = tokenizer.vocabularySize
    if let ids = try? tokenizer.encode("Hello wörld, 123 ▁▁ <s> \u{1F600}\n\t", addBOS: true, addEOS: true) {
        sink &+= ids.count
        sink &+= (try? tokenizer.decode(ids))?.utf8.count ?? 0
    }
    let count = tokenizer.vocabularySize
    sink &+= (try? tokenizer.decode([0, count - 1, count, -1]))?.utf8.count ?? 0
    for id in [0, count - 1, count] { sink &+= (try? tokenizer.piece(for: id))?.utf8.count ?? 0 }
    _ = tokenizer.id(forPiece: "▁")
    return sink == Int.min ? 1 : 0
}
