import Foundation
import XCTest
import TensorCore

/// Header, metadata, tensor infos, dimension order and alignment of the GGUF reader.
final class GGUFFileTests: GGUFTestCase {
    private let everyType: [(String, GGUFValue)] = [
        ("u8", .uint8(200)), ("i8", .int8(-100)), ("u16", .uint16(60_000)), ("i16", .int16(-30_000)),
        ("u32", .uint32(4_000_000_000)), ("i32", .int32(-2_000_000_000)), ("f32", .float32(-1.5e-3)),
        ("bool.true", .bool(true)), ("bool.false", .bool(false)), ("string", .string("héllo ✓ <|im_end|>")),
        ("empty.string", .string("")), ("u64", .uint64(.max)), ("i64", .int64(.min)), ("f64", .float64(3.141592653589793)),
        ("array.strings", .array(elementType: .string, elements: [.string("a"), .string(""), .string("Ġthe")])),
        ("array.i32", .array(elementType: .int32, elements: [.int32(1), .int32(-2), .int32(3)])),
        ("array.f32", .array(elementType: .float32, elements: [.float32(0.5), .float32(-0.25)])),
        ("array.empty", .array(elementType: .uint64, elements: [])),
        ("array.nested", .array(elementType: .array, elements: [
            .array(elementType: .uint8, elements: [.uint8(1), .uint8(2)]),
            .array(elementType: .string, elements: [.string("x")]),
        ])),
        ("array.bools", .array(elementType: .bool, elements: [.bool(true), .bool(false)])),
        ("array.f64", .array(elementType: .float64, elements: [.float64(1e300)])),
    ]

    func testEveryMetadataTypeRoundTrips() throws {
        for version: UInt32 in [2, 3] {
            var writer = GGUFWriter(version: version)
            for (key, value) in everyType { try writer.setValue(value, forKey: key) }
            let file = try open(writer)
            XCTAssertEqual(file.version, version)
            XCTAssertEqual(file.metadataKeys, everyType.map(\.0))
            XCTAssertEqual(file.metadata.count, everyType.count)
            for (key, value) in everyType { XCTAssertEqual(file.metadata[key], value, key) }
            XCTAssertTrue(file.tensorInfos.isEmpty)
        }
    }

    func testTypedAccessors() throws {
        var writer = GGUFWriter()
        for (key, value) in everyType { try writer.setValue(value, forKey: key) }
        let file = try open(writer)
        XCTAssertEqual(file.string(forKey: "string"), "héllo ✓ <|im_end|>")
        XCTAssertNil(file.string(forKey: "u8"))
        XCTAssertEqual(file.integer(forKey: "u8"), 200)
        XCTAssertEqual(file.integer(forKey: "i16"), -30_000)
        XCTAssertEqual(file.integer(forKey: "u32"), 4_000_000_000)
        XCTAssertEqual(file.integer(forKey: "i64"), Int(Int64.min))
        XCTAssertNil(file.integer(forKey: "u64"), "UInt64.max does not fit in Int")
        XCTAssertNil(file.integer(forKey: "f32"))
        XCTAssertEqual(file.float(forKey: "f32"), Double(Float(-1.5e-3)))
        XCTAssertEqual(file.float(forKey: "f64"), 3.141592653589793)
        XCTAssertEqual(file.float(forKey: "i32"), -2_000_000_000)
        XCTAssertEqual(file.bool(forKey: "bool.true"), true)
        XCTAssertEqual(file.bool(forKey: "bool.false"), false)
        XCTAssertNil(file.bool(forKey: "u8"))
        XCTAssertEqual(file.strings(forKey: "array.strings"), ["a", "", "Ġthe"])
        XCTAssertNil(file.strings(forKey: "array.i32"))
        XCTAssertEqual(file.integers(forKey: "array.i32"), [1, -2, 3])
        XCTAssertEqual(file.integers(forKey: "array.empty"), [])
        XCTAssertEqual(file.floats(forKey: "array.f32"), [0.5, -0.25])
        XCTAssertEqual(file.metadata["array.f32"]?.floatArray, [0.5, -0.25])
        XCTAssertNil(file.integers(forKey: "array.strings"))
        XCTAssertNil(file.string(forKey: "missing"))
        XCTAssertEqual(file.metadata["array.nested"]?.arrayValue?.count, 2)
    }

    func testDimensionsAreReversedIntoRowMajorShape() throws {
        var writer = GGUFWriter()
        let values = (0 ..< 15).map { Float($0) * 0.5 - 3 }
        try writer.addTensor("m", shape: [5, 3], floats: values)          // ne = [cols 3, rows 5]
        try writer.addTensor("v", shape: [4], floats: [1, 2, 3, 4])
        try writer.addTensor("t", shape: [3, 1, 2], floats: (0 ..< 6).map(Float.init))
        let file = try open(writer)
        let info = try file.info(named: "m")
        XCTAssertEqual(info.ggmlDimensions, [3, 5])
        XCTAssertEqual(info.shape, [5, 3])
        XCTAssertEqual(info.elementCount, 15)
        XCTAssertEqual(info.byteCount, 60)
        let m = try file.tensor(named: "m")
        XCTAssertEqual(m.shape, [5, 3])
        XCTAssertEqual(m.scalars, values)       // row r, column c is element c + 3r of the ggml data
        XCTAssertEqual(try file.tensor(named: "v").shape, [4])
        XCTAssertEqual(try file.tensor(named: "t").shape, [3, 1, 2])
        XCTAssertEqual(try file.info(named: "t").ggmlDimensions, [2, 1, 3])
        XCTAssertEqual(file.tensorNames, ["m", "v", "t"])
        XCTAssertTrue(file.contains("v"))
        XCTAssertFalse(file.contains("w"))
    }

    func testDefaultAlignment() throws {
        var writer = GGUFWriter()
        try writer.setValue(.string("x"), forKey: "general.name")
        try writer.addTensor("a", shape: [3], floats: [1, 2, 3])          // 12 bytes, padded to 32
        try writer.addTensor("b", shape: [2], floats: [4, 5])
        let file = try open(writer)
        XCTAssertEqual(file.alignment, 32)
        XCTAssertNil(file.metadata["general.alignment"], "the default alignment is not announced")
        XCTAssertEqual(file.dataOffset % 32, 0)
        XCTAssertEqual(try file.info(named: "b").offset, 32)
        XCTAssertEqual(try file.tensor(named: "b").scalars, [4, 5])
    }

    func testCustomAlignment() throws {
        for alignment in [1, 8, 64, 256] {
            var writer = GGUFWriter()
            try writer.setValue(.uint32(UInt32(alignment)), forKey: "general.alignment")
            try writer.addTensor("a", shape: [3], floats: [1, 2, 3])
            try writer.addTensor("b", shape: [2], floats: [4, 5])
            let file = try open(writer)
            XCTAssertEqual(file.alignment, alignment)
            XCTAssertEqual(file.metadata["general.alignment"], .uint32(UInt32(alignment)))
            XCTAssertEqual(file.dataOffset % alignment, 0)
            XCTAssertEqual(try file.info(named: "b").offset, (12 + alignment - 1) / alignment * alignment)
            XCTAssertEqual(try file.tensor(named: "a").scalars, [1, 2, 3])
            XCTAssertEqual(try file.tensor(named: "b").scalars, [4, 5])
        }
    }

    func testRawBytesAreTheStoredBlocks() throws {
        var writer = GGUFWriter()
        let block: [UInt8] = [0x00, 0x38] + (0 ..< 16).map { UInt8($0 * 17 % 256) }
        try writer.addTensor(named: "q", shape: [2, 32], type: .q4_0, blocks: block + block)
        let file = try open(writer)
        let info = try file.info(named: "q")
        XCTAssertEqual(info.type, .q4_0)
        XCTAssertEqual(info.byteCount, 36)
        XCTAssertEqual(try file.rawBytes(ofTensorNamed: "q"), block + block)
        let count = try file.withUnsafeRawBytes(ofTensorNamed: "q") { $0.count }
        XCTAssertEqual(count, 36)
        XCTAssertThrowsError(try file.withUnsafeRawBytes(ofTensorNamed: "nope") { _ in 0 })
    }

    func testUnsupportedTypesOpenButDoNotDequantise() throws {
        var writer = GGUFWriter()
        try writer.addTensor(named: "q5", shape: [256], type: .q5_K, blocks: [UInt8](repeating: 0, count: 176))
        try writer.addTensor(named: "i", shape: [2], type: .i32, blocks: [1, 0, 0, 0, 2, 0, 0, 0])
        let file = try open(writer)
        XCTAssertEqual(try file.info(named: "q5").byteCount, 176)
        XCTAssertEqual(try file.rawBytes(ofTensorNamed: "i"), [1, 0, 0, 0, 2, 0, 0, 0])
        XCTAssertThrowsError(try file.tensor(named: "q5")) { error in
            XCTAssertEqual(error as? GGUFError, .unsupportedTensorType(path: file.url.path, tensor: "q5", type: .q5_K))
        }
        XCTAssertThrowsError(try file.tensor(named: "zzz")) { error in
            XCTAssertEqual(error as? GGUFError, .tensorNotFound(path: file.url.path, tensor: "zzz"))
        }
    }

    func testEmptyAndScalarTensors() throws {
        var writer = GGUFWriter()
        try writer.addTensor(named: "empty", shape: [4, 0], type: .q8_0, blocks: [])
        try writer.addTensor(Tensor(7), named: "scalar")
        let file = try open(writer)
        XCTAssertEqual(try file.tensor(named: "empty").shape, [4, 0])
        let scalar = try file.tensor(named: "scalar")
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(scalar.scalars, [7])
    }

    func testTensorTypeLayouts() {
        XCTAssertEqual(GGUFTensorType.q4_0.bytesPerBlock, 18)
        XCTAssertEqual(GGUFTensorType.q4_1.bytesPerBlock, 20)
        XCTAssertEqual(GGUFTensorType.q8_0.bytesPerBlock, 34)
        XCTAssertEqual(GGUFTensorType.q4_K.bytesPerBlock, 144)
        XCTAssertEqual(GGUFTensorType.q6_K.bytesPerBlock, 210)
        XCTAssertEqual(GGUFTensorType.q4_K.blockSize, 256)
        XCTAssertEqual(GGUFTensorType.bf16.rawValue, 30)
        XCTAssertEqual(GGUFTensorType.q4_K.description, "Q4_K")
        XCTAssertEqual(GGUFTensorType.bf16.description, "BF16")
    }
}
