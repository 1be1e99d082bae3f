import Foundation
import XCTest
import TensorCore

/// Every malformed-file fault is reported as the matching ``GGUFError``.
final class GGUFErrorTests: GGUFTestCase {
    private func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { MalformedGGUF.le(v) }

    /// Opens `bytes` written to a fixed name and checks the error equals `expected(path)`.
    private func expect(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                        _ expected: (String) -> GGUFError) throws {
        let url = try write(bytes, name: "bad-\(UUID().uuidString).gguf")
        do {
            _ = try GGUFFile(contentsOf: url)
            XCTFail("the file opened", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected(url.path), file: file, line: line)
            XCTAssertFalse(error.description.isEmpty)
        }
    }

    private func expect(_ writer: MalformedGGUF, file: StaticString = #filePath, line: UInt = #line,
                        _ expected: (String) -> GGUFError) throws {
        try expect(writer.serialized(), file: file, line: line, expected)
    }

    /// A header with no tensors and one raw key/value pair (`kv` already encoded after the key).
    private func headerWithRawPair(key: String = "k", _ kv: [UInt8]) -> [UInt8] {
        Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(1)) + MalformedGGUF.string(key) + kv
    }

    private func validWriter() -> MalformedGGUF {
        var writer = MalformedGGUF()
        writer.add("general.name", .string("ok"))
        writer.addTensor("a", dimensions: [32], type: .q8_0, data: [UInt8](repeating: 1, count: 34))
        return writer
    }

    func testMissingAndEmptyFiles() throws {
        let missing = directory.appendingPathComponent("missing.gguf")
        XCTAssertThrowsError(try GGUFFile(contentsOf: missing)) { error in
            guard case .cannotOpenFile(missing.path, _)? = error as? GGUFError else { return XCTFail("\(error)") }
        }
        try expect([]) { .emptyFile(path: $0) }
    }

    func testBadMagicAndVersion() throws {
        var writer = validWriter()
        writer.magic = Array("GGML".utf8)
        try expect(writer) { .badMagic(path: $0, found: Array("GGML".utf8)) }
        for version: UInt32 in [0, 1, 4, .max] {
            var writer = validWriter()
            writer.version = version
            try expect(writer) { .unsupportedVersion(path: $0, version: version) }
        }
    }

    func testTruncatedHeader() throws {
        try expect(Array("GG".utf8)) { .truncatedHeader(path: $0, what: "magic", offset: 0, byteCount: 4) }
        try expect(Array("GGUF".utf8) + le(UInt32(3)) + [1, 0]) {
            .truncatedHeader(path: $0, what: "tensor count", offset: 8, byteCount: 8)
        }
        let bytes = validWriter().serialized()
        // Cut inside the tensor info's offset field (the last 8 bytes before the padding).
        let infoEnd = 24 + (8 + 12) + 4 + (8 + 2) + (8 + 1) + 4 + 8 + 4 + 8
        try expect(Array(bytes[..<(infoEnd - 3)])) {
            .truncatedHeader(path: $0, what: "offset of 'a'", offset: infoEnd - 8, byteCount: 8)
        }
    }

    func testStringAndArrayLengthsPastEnd() throws {
        let hugeKey = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(1)) + le(UInt64.max) + [0, 0, 0, 0, 0]
        try expect(hugeKey) { .stringLengthPastEnd(path: $0, offset: 24, length: .max) }
        let value = headerWithRawPair(le(GGUFValueType.string.rawValue) + le(UInt64(100)) + Array("short".utf8))
        try expect(value) { .stringLengthPastEnd(path: $0, offset: 24 + 9 + 4, length: 100) }
        let array = headerWithRawPair(le(GGUFValueType.array.rawValue) + le(GGUFValueType.uint32.rawValue)
                                      + le(UInt64(3)) + le(UInt32(1)) + le(UInt32(2)))
        try expect(array) { .arrayLengthPastEnd(path: $0, key: "k", offset: 24 + 9 + 4 + 4, count: 3) }
        let strings = headerWithRawPair(le(GGUFValueType.array.rawValue) + le(GGUFValueType.string.rawValue)
                                        + le(UInt64(1) << 62))
        try expect(strings) { .arrayLengthPastEnd(path: $0, key: "k", offset: 24 + 9 + 4 + 4, count: 1 << 62) }
    }

    func testUnknownValueTypes() throws {
        try expect(headerWithRawPair(le(UInt32(13)) + [0, 0, 0, 0])) { .unknownValueType(path: $0, key: "k", rawType: 13) }
        let array = headerWithRawPair(le(GGUFValueType.array.rawValue) + le(UInt32(99)) + le(UInt64(0)))
        try expect(array) { .unknownValueType(path: $0, key: "k", rawType: 99) }
    }

    func testArrayNestingTooDeep() throws {
        var value = GGUFValue.array(elementType: .uint8, elements: [.uint8(1)])
        for _ in 0 ..< GGUFFile.maximumArrayNesting { value = .array(elementType: .array, elements: [value]) }
        var writer = MalformedGGUF()
        writer.add("deep", value)
        try expect(writer) { .arrayNestingTooDeep(path: $0, key: "deep") }
        // One level less is accepted (and is the deepest GGUFWriter writes).
        guard case let .array(_, inner) = value else { return XCTFail() }
        var ok = GGUFWriter()
        try ok.setValue(inner[0], forKey: "deep")
        XCTAssertEqual(try open(ok).metadata["deep"], inner[0])
        XCTAssertThrowsError(try ok.setValue(value, forKey: "deeper"))
    }

    func testDuplicateKeyAndInvalidUTF8Key() throws {
        var writer = validWriter()
        writer.add("general.name", .string("again"))
        try expect(writer) { .duplicateKey(path: $0, key: "general.name") }
        let badKey = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(1)) + le(UInt64(2)) + [0xC3, 0x28]
            + le(GGUFValueType.uint8.rawValue) + [1]
        try expect(badKey) { .invalidUTF8(path: $0, offset: 24) }
    }

    func testAbsurdCounts() throws {
        var writer = validWriter()
        writer.tensorCount = 1 << 60
        try expect(writer) { .absurdCount(path: $0, what: "tensor infos", count: 1 << 60) }
        writer = validWriter()
        writer.metadataCount = .max
        try expect(writer) { .absurdCount(path: $0, what: "metadata key/value pairs", count: .max) }
    }

    func testInvalidAlignment() throws {
        for value: GGUFValue in [.uint32(0), .uint32(3), .uint32(48), .uint64(32), .int32(32), .string("32")] {
            var writer = validWriter()
            writer.add("general.alignment", value)
            try expect(writer) { .invalidAlignment(path: $0, value: "\(value)") }
        }
    }

    func testDuplicateTensorName() throws {
        var writer = validWriter()
        writer.addTensor("a", dimensions: [1], floats: [1])
        try expect(writer) { .duplicateTensorName(path: $0, tensor: "a") }
    }

    func testDimensionCountOutOfRange() throws {
        var writer = validWriter()
        writer.addTensor("five", dimensions: [1, 1, 1, 1, 1], floats: [1])
        try expect(writer) { .dimensionCountOutOfRange(path: $0, tensor: "five", dimensionCount: 5) }
    }

    func testTensorTooLarge() throws {
        for dims: [UInt64] in [[.max], [1 << 40, 1 << 40], [UInt64(Int64.max) + 1]] {
            var writer = validWriter()
            writer.tensors.append(.init(name: "big", dimensions: dims, rawType: 0, data: []))
            try expect(writer) { .tensorTooLarge(path: $0, tensor: "big", dimensions: dims) }
        }
        // Elements fit, bytes do not (F32: 4 bytes each).
        var writer = validWriter()
        writer.tensors.append(.init(name: "big", dimensions: [1 << 62], rawType: 0, data: []))
        try expect(writer) { .tensorTooLarge(path: $0, tensor: "big", dimensions: [1 << 62]) }
    }

    func testUnknownTensorType() throws {
        for raw: UInt32 in [4, 5, 31, 40, 1000] {
            var writer = validWriter()
            writer.tensors.append(.init(name: "odd", dimensions: [32], rawType: raw, data: []))
            try expect(writer) { .unknownTensorType(path: $0, tensor: "odd", rawType: raw) }
        }
    }

    func testRowLengthNotDivisibleByBlockSize() throws {
        var writer = validWriter()
        writer.addTensor("q", dimensions: [16, 4], type: .q4_0, data: [UInt8](repeating: 0, count: 36))
        try expect(writer) {
            .rowLengthNotDivisibleByBlockSize(path: $0, tensor: "q", type: .q4_0, rowLength: 16, blockSize: 32)
        }
        writer = validWriter()
        writer.addTensor("k", dimensions: [128, 2], type: .q4_K, data: [UInt8](repeating: 0, count: 144))
        try expect(writer) {
            .rowLengthNotDivisibleByBlockSize(path: $0, tensor: "k", type: .q4_K, rowLength: 128, blockSize: 256)
        }
    }

    func testMisalignedOffset() throws {
        var writer = validWriter()
        writer.tensors[0].offset = 4
        try expect(writer) { .misalignedTensorOffset(path: $0, tensor: "a", offset: 4, alignment: 32) }
    }

    func testTensorDataOutOfBounds() throws {
        var writer = validWriter()
        writer.tensors[0].offset = 64
        try expect(writer) { .tensorDataOutOfBounds(path: $0, tensor: "a", offset: 64, byteCount: 34, dataByteCount: 34) }
        writer = validWriter()
        writer.tensors[0].offset = UInt64.max - 31
        try expect(writer) {
            .tensorDataOutOfBounds(path: $0, tensor: "a", offset: .max - 31, byteCount: 34, dataByteCount: 0)
        }
        // Truncated data section.
        let bytes = validWriter().serialized()
        try expect(Array(bytes.dropLast(1))) {
            .tensorDataOutOfBounds(path: $0, tensor: "a", offset: 0, byteCount: 34, dataByteCount: 33)
        }
    }

    func testOverlappingTensors() throws {
        var writer = validWriter()
        writer.addTensor("b", dimensions: [32], type: .q8_0, data: [UInt8](repeating: 2, count: 34))
        writer.tensors[1].offset = 32        // a spans 0..<34
        try expect(writer) { .overlappingTensors(path: $0, tensor: "a", otherTensor: "b") }
    }
}
