import Foundation
@testable import Tokenizer
import XCTest

/// `precompiled_charsmap` validation (Docs/Reliability.md, Fuzzing, finding 2): libsentencepiece
/// 0.1.97 loads a corrupt charsmap and reads out of bounds on the first `encode`, so
/// `SentencePieceTokenizer` checks it first and throws `invalidModel`.
final class CharsMapValidationTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let seeds = repository.appendingPathComponent("Fuzz/Corpus/sentencepiece")
    static let text = "Hello, world! Ｈｅｌｌｏ ﬁ café ① ½ 東京 ٣ \u{00A0}tab\there  "

    /// The fuzzer's crasher (gzipped in Fuzz/Crashers): the unigram seed with a mutated charsmap.
    /// Before the check this loaded and the `encode` died with SIGSEGV.
    func testCharsMapCrasherIsATypedError() throws {
        let gz = Self.repository.appendingPathComponent("Fuzz/Crashers/sentencepiece-charsmap-segv.gz")
        let model = try gunzip(gz)
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("charsmap-crasher-\(ProcessInfo.processInfo.processIdentifier).model")
        try model.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            let tokenizer = try SentencePieceTokenizer(contentsOf: file)
            _ = try tokenizer.encode("Hello wörld, 123 ▁▁ <s> \u{1F600}\n\t", addBOS: true, addEOS: true)  // the harness's
            _ = try tokenizer.encode(Self.text)
            XCTFail("the crasher loaded")
        } catch let TokenizerError.invalidModel(source, reason) {
            XCTAssertEqual(source, file.path)
            XCTAssertTrue(reason.contains("normalizer_spec.precompiled_charsmap is invalid"), reason)
        }
    }

    /// The valid charsmaps of real models pass: the fuzz seeds (the unigram one holds a 240 KB
    /// `nmt_nfkc` charsmap), Mistral's model (no charsmap), and one of each rule the library knows.
    func testValidModelsStillLoad() throws {
        for name in ["bpe", "char", "unigram", "word"] {
            let data = try Data(contentsOf: Self.seeds.appendingPathComponent(name))
            XCTAssertNil(data.withUnsafeBytes { PrecompiledCharsMapValidation.problem(inModel: $0) }, name)
            XCTAssertFalse(try SentencePieceTokenizer(data: data).encode(Self.text).isEmpty, name)
        }
        let mistralData = try Data(contentsOf: fixtureURL("tokenizer.model.v1"))
        XCTAssertNil(mistralData.withUnsafeBytes { PrecompiledCharsMapValidation.problem(inModel: $0) })
        XCTAssertEqual(try SentencePieceTokenizer(data: mistralData).encode(Self.text), try mistral.encode(Self.text))

        let lines = try String(contentsOf: fixtureURL("corpus.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        for rule in ["nmt_nfkc", "nfkc", "nmt_nfkc_cf", "nfkc_cf"] {
            var options = TokenizerTrainingOptions(vocabularySize: 1000)
            options.normalization = rule
            let trained = try TokenizerTrainer.train(sentences: lines, options: options)
            let model = try trained.serializedModel()
            XCTAssertFalse(try charsMaps(in: model).allSatisfy(\.isEmpty), "\(rule) has no charsmap")
            XCTAssertNil(model.withUnsafeBytes { PrecompiledCharsMapValidation.problem(inModel: $0) }, rule)
            let reloaded = try SentencePieceTokenizer(data: model)
            XCTAssertEqual(try reloaded.encode(Self.text), try trained.encode(Self.text), rule)
        }
    }

    /// A valid charsmap merged onto a model (a second `normalizer_spec`, or a `denormalizer_spec`)
    /// loads, and the library uses it.
    func testValidCharsMapAppendedLoads() throws {
        let base = try Data(contentsOf: Self.seeds.appendingPathComponent("bpe"))
        let charsMap = try unigramCharsMap()
        for field in [3, 5] {
            let tokenizer = try SentencePieceTokenizer(data: base + spec(field: field, charsMap: charsMap))
            XCTAssertFalse(try tokenizer.encode(Self.text).isEmpty)
            XCTAssertFalse(try tokenizer.decode(tokenizer.encode(Self.text)).isEmpty)
        }
        // Normalisation happened: the full-width letters became ASCII.
        let normalizing = try SentencePieceTokenizer(data: base + spec(field: 3, charsMap: charsMap))
        XCTAssertEqual(try normalizing.encode("Ｈｅｌｌｏ"), try normalizing.encode("Hello"))
    }

    /// Hand-made corrupt charsmaps, each as the normalizer's and the denormalizer's: typed errors.
    func testCorruptCharsMapsAreTypedErrors() throws {
        let base = try Data(contentsOf: Self.seeds.appendingPathComponent("bpe"))
        let valid = try unigramCharsMap()
        let trieSize = Int(valid.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)
        let unitCount = trieSize / 4
        func unit(_ blob: [UInt8], _ index: Int) -> UInt32 {
            blob.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4 + index * 4, as: UInt32.self) }.littleEndian
        }
        func setUnit(_ blob: inout [UInt8], _ index: Int, _ value: UInt32) {
            withUnsafeBytes(of: value.littleEndian) { blob.replaceSubrange((4 + index * 4)..<(8 + index * 4), with: $0) }
        }
        func withHeader(_ size: UInt32, _ rest: [UInt8]) -> [UInt8] {
            withUnsafeBytes(of: size.littleEndian) { Array($0) } + rest
        }
        // The first node with a leaf, and where its value is.
        let leaf = try XCTUnwrap((1..<unitCount).first { index in
            let u = unit(valid, index)
            return u & (1 << 31) == 0 && (u >> 8) & 1 == 1
        })
        let u = unit(valid, leaf)
        let valueIndex = leaf ^ Int((u >> 10) << ((u & (1 << 9)) >> 6))

        var cases: [(String, [UInt8], String)] = []
        cases.append(("trie larger than the blob", withHeader(UInt32(valid.count - 3), Array(valid[4...])), "exceeds"))
        cases.append(("trie size not a multiple of 4", withHeader(6, Array(valid[4...])), "multiple of 4"))
        cases.append(("empty trie", withHeader(0, [0x61, 0]), "multiple of 4"))
        cases.append(("too short", [1, 0, 0, 0], "too short"))
        var outside = valid
        setUnit(&outside, 0, 0x3F_FFFF << 10)  // root offset 0x3FFFFF: its children are far past the end
        cases.append(("root pointing outside", outside, "past the"))
        var childOutside = valid
        setUnit(&childOutside, leaf, (u & 0x1FF) | (0x1F_FFFF << 10))  // offset 0x1FFFFF, bit 31 clear
        cases.append(("node pointing outside", childOutside, "past the"))
        var farValue = valid
        setUnit(&farValue, valueIndex, (1 << 31) | UInt32(valid.count))
        cases.append(("leaf value past the normalized strings", farValue, "past the"))
        var noNUL = valid
        for index in (4 + trieSize)..<noNUL.count where noNUL[index] == 0 { noNUL[index] = 0x61 }
        cases.append(("no NUL in the normalized strings", noNUL, "no terminating NUL"))
        var noNormalized = Array(valid[..<(4 + trieSize)])
        noNormalized.append(0x61)
        cases.append(("normalized strings cut", noNormalized, "offset"))

        for (name, charsMap, expected) in cases {
            for (field, specName) in [(3, "normalizer_spec"), (5, "denormalizer_spec")] {
                let model = base + spec(field: field, charsMap: charsMap)
                XCTAssertThrowsError(try SentencePieceTokenizer(data: model, source: "corrupt"), "\(name), field \(field)") { error in
                    guard case let .invalidModel(source, reason) = error as? TokenizerError else {
                        return XCTFail("\(name): expected invalidModel, got \(error)")
                    }
                    XCTAssertEqual(source, "corrupt")
                    XCTAssertTrue(reason.hasPrefix("\(specName).precompiled_charsmap is invalid"), "\(name): \(reason)")
                    XCTAssertTrue(reason.contains(expected), "\(name): \(reason)")
                }
            }
        }
    }

    /// Bytes that do not follow the wire format are left to the library, which refuses them.
    func testMalformedProtobufIsLeftToTheLibrary() throws {
        for bytes: [UInt8] in [[0x1A, 0x05, 0x12], [0x1A, 0xFF], [0x07], [0x1B, 0x0C]] {
            XCTAssertNil(bytes.withUnsafeBytes { PrecompiledCharsMapValidation.problem(inModel: $0) })
            XCTAssertThrowsError(try SentencePieceTokenizer(data: Data(bytes)))
        }
        // A group (wire types 3 and 4) before the spec is skipped, not a reason to stop looking.
        let base = try Data(contentsOf: Self.seeds.appendingPathComponent("bpe"))
        let group = Data([0x9B, 0x06, 0x08, 0x01, 0x9C, 0x06])  // field 99: start, varint field 1, end
        let model = group + base + spec(field: 3, charsMap: [6, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0])
        let problem = model.withUnsafeBytes { PrecompiledCharsMapValidation.problem(inModel: $0) }
        XCTAssertTrue(problem?.contains("multiple of 4") ?? false, "\(problem ?? "nil")")
    }

    // MARK: - Helpers

    private func gunzip(_ url: URL) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -dc \"$0\"", url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        return data
    }

    private func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var bytes: [UInt8] = []
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
        return bytes
    }

    /// A `ModelProto` field `field` (3 or 5) holding a `NormalizerSpec` with just this charsmap.
    private func spec(field: Int, charsMap: [UInt8]) -> Data {
        let inner = [0x12] + varint(charsMap.count) + charsMap
        return Data(varint(field << 3 | 2) + varint(inner.count) + inner)
    }

    private func charsMaps(in model: Data) throws -> [[UInt8]] {
        try model.withUnsafeBytes { buffer in
            var result: [[UInt8]] = []
            var reader = ProtobufReader(buffer)
            while let field = try reader.next() {
                guard field.number == 3, field.wireType == .lengthDelimited else { continue }
                var inner = ProtobufReader(field.bytes)
                while let charsMap = try inner.next() {
                    if charsMap.number == 2 { result.append(Array(charsMap.bytes)) }
                }
            }
            return result
        }
    }

    private func unigramCharsMap() throws -> [UInt8] {
        let model = try Data(contentsOf: Self.seeds.appendingPathComponent("unigram"))
        let maps = try charsMaps(in: model).filter { !$0.isEmpty }
        return try XCTUnwrap(maps.first)
    }
}
