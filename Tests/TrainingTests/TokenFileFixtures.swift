import Foundation
import Tokenizer
import Training
import XCTest

/// A fresh folder for one test's files, removed when the test ends.
func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("TrainingTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
    return folder
}

/// Writes documents of ids (the writer adds `endOfDocumentID` after each) and opens the file.
func makeTokenFile(_ documents: [[Int]], byteCounts: [Int]? = nil, vocabularySize: Int, endOfDocumentID: Int? = nil,
                   identifier: String = "t", in folder: URL, name: String = "corpus.tokens") throws -> TokenFile {
    var writer = try TokenFileWriter(vocabularySize: vocabularySize, endOfDocumentID: endOfDocumentID,
                                     tokenizerIdentifier: identifier)
    for (index, ids) in documents.enumerated() {
        try writer.appendDocument(ids, byteCount: byteCounts?[index] ?? 2 * ids.count)
    }
    let url = folder.appendingPathComponent(name)
    try writer.write(to: url)
    return try TokenFile(contentsOf: url)
}

/// One document of `count` tokens whose ids are their own positions `first..<first + count`: a
/// window's first input then tells where it was cut.
func countingFile(tokens count: Int, in folder: URL) throws -> TokenFile {
    try makeTokenFile([Array(0..<count)], vocabularySize: max(count, 2), in: folder)
}

/// A tokenizer test double: every UTF-8 byte is one id (byte + 3), EOS is 2.
struct ByteTokenizer: TextTokenizer {
    var vocabularySize: Int { 259 }
    var bosID: Int? { 1 }
    var eosID: Int? { 2 }
    func encode(_ text: String, addBOS: Bool, addEOS: Bool) throws(TokenizerError) -> [Int] {
        (addBOS ? [1] : []) + text.utf8.map { Int($0) + 3 } + (addEOS ? [2] : [])
    }
    func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        String(decoding: ids.filter { $0 >= 3 }.map { UInt8($0 - 3) }, as: UTF8.self)
    }
    func id(forPiece piece: String) -> Int? { nil }
}
