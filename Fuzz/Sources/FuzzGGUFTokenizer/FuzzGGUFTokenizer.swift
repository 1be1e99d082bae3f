import FuzzSupport
import MiniCPMModel
import TensorCore
import Tokenizer

/// GGUF vocabularies: `GGUFFile.makeTokenizer()` (SentencePiece and byte-level BPE from
/// `tokenizer.ggml.*`), then encoding and decoding through the tokenizer it builds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUFTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = ScratchFile.write(data, size)
    guard let file = try? GGUFFile(contentsOf: url), let tokenizer = try? file.makeTokenizer() else { return 0 }
    var sink = tokenizer.vocabularySize
    if let ids = try? tokenizer.encode("Hello wörld, 123 <s> \u{1F600}\n\t ", addBOS: true, addEOS: false) {
        sink &+= ids.count
        sink &+= (try? tokenizer.decode(ids))?.utf8.count ?? 0
    }
    let count = tokenizer.vocabularySize
    sink &+= (try? tokenizer.decode([0, count - 1, count, -1]))?.utf8.count ?? 0
    _ = tokenizer.id(forPiece: "Hello")
    return sink == Int.min ? 1 : 0
}
