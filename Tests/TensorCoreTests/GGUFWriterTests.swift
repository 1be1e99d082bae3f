import Foundation
import XCTest
import TensorCore

/// `GGUFWriter`: files that `GGUFFile` reads back exactly, byte-for-byte agreement with llama.cpp's
/// own Python writer, layout, atomic writing and the inputs it refuses.
final class GGUFWriterTests: GGUFTestCase {
    private func referenceFile() throws -> GGUFFile {
        let root = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try GGUFFile(contentsOf: root.appendingPathComponent("gguf-reference/reference.gguf"))
    }

    /// Copying every key and tensor of the gguf-py file (`Fixtures/gguf-reference`, alignment 64)
    /// in file order gives exactly its bytes: same header encoding, offsets and padding.
    func testRewritingTheGGUFPyReferenceGivesItsBytes() throws {
        let reference = try referenceFile()
        var writer = GGUFWriter()
        for key in reference.metadataKeys { try writer.setValue(try XCTUnwrap(reference.metadata[key]), forKey: key) }
        for info in reference.tensorInfos {
            try writer.addTensor(named: info.name, shape: info.shape, type: info.type,
                                 blocks: try reference.rawBytes(ofTensorNamed: info.name))
        }
        XCTAssertEqual(writer.alignment, 64)
        let original = try [UInt8](Data(contentsOf: reference.url))
        let written = writer.serializedBytes()
        XCTAssertEqual(written.count, original.count)
        XCTAssertTrue(written == original, "first difference at byte \(zip(written, original).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1)")
    }

    /// F16 from a `Tensor` rounds as numpy's `astype(float16)` did for the reference file.
    func testFloat16EncodingMatchesNumpy() throws {
        let reference = try referenceFile()
        var writer = GGUFWriter()
        try writer.addTensor(try reference.tensor(named: "expected.f16"), named: "f16", as: .f16)
        let file = try open(writer)
        XCTAssertEqual(try file.rawBytes(ofTensorNamed: "f16"), try reference.rawBytes(ofTensorNamed: "f16"))
        XCTAssertEqual(try file.info(named: "f16").ggmlDimensions, [3, 5])
    }

    func testTensorsRoundTripInEveryFloatType() throws {
        let values: [Float] = (0 ..< 24).map { Float($0) * 0.37 - 4.1 } + [0, -0.0, 65504, 1e-8]
        let shapes: [[Int]] = [[28], [4, 7], [2, 2, 7], [1, 2, 2, 7]]
        var writer = GGUFWriter()
        for (i, shape) in shapes.enumerated() {
            let tensor = Tensor(shape: shape, scalars: values)
            try writer.addTensor(tensor, named: "f32.\(i)")
            try writer.addTensor(tensor, named: "f16.\(i)", as: .f16)
            try writer.addTensor(tensor, named: "bf16.\(i)", as: .bf16)
        }
        try writer.addTensor(Tensor(2.5), named: "scalar")
        let file = try open(writer)
        for (i, shape) in shapes.enumerated() {
            XCTAssertEqual(try file.tensor(named: "f32.\(i)").scalars, values)
            XCTAssertEqual(try file.tensor(named: "f32.\(i)").shape, shape)
            XCTAssertEqual(try file.info(named: "f16.\(i)").type, .f16)
            XCTAssertEqual(try file.info(named: "bf16.\(i)").ggmlDimensions, shape.reversed())
            XCTAssertEqual(try file.tensor(named: "f16.\(i)").scalars, HalfPrecision.floats(from: HalfPrecision.float16s(from: values)))
            XCTAssertEqual(try file.tensor(named: "bf16.\(i)").scalars, HalfPrecision.floats(from: HalfPrecision.bfloat16s(from: values)))
        }
        XCTAssertEqual(try file.tensor(named: "scalar").scalars, [2.5])
        XCTAssertEqual(file.tensorNames, writer.tensorNames)
    }

    func testRawQuantisedBlocksAreStoredVerbatim() throws {
        let reference = try referenceFile()
        var writer = GGUFWriter()
        let blocks = try reference.rawBytes(ofTensorNamed: "q4_k")
        try writer.addTensor(named: "q", shape: [2, 512], type: .q4_K, blocks: blocks)
        let file = try open(writer)
        XCTAssertEqual(try file.rawBytes(ofTensorNamed: "q"), blocks)
        XCTAssertEqual(try file.tensor(named: "q"), try reference.tensor(named: "expected.q4_k"))
    }

    func testMetadataKeepsOrderAndReplacesInPlace() throws {
        var writer = GGUFWriter()
        try writer.setValue(.string("llama"), forKey: "general.architecture")
        try writer.setValue(.uint32(2), forKey: "llama.block_count")
        try writer.setValue(.array(elementType: .string, elements: [.string("a")]), forKey: "tokens")
        try writer.setValue(.uint32(3), forKey: "llama.block_count")
        XCTAssertEqual(writer.metadata.map(\.key), ["general.architecture", "llama.block_count", "tokens"])
        XCTAssertEqual(writer.value(forKey: "llama.block_count"), .uint32(3))
        XCTAssertNil(writer.value(forKey: "missing"))
        let file = try open(writer)
        XCTAssertEqual(file.metadataKeys, ["general.architecture", "llama.block_count", "tokens"])
        XCTAssertEqual(file.integer(forKey: "llama.block_count"), 3)
    }

    func testLayoutIsAlignedAndPadded() throws {
        for alignment: UInt32 in [1, 8, 32, 128] {
            var writer = GGUFWriter()
            if alignment != 32 { try writer.setValue(.uint32(alignment), forKey: "general.alignment") }
            XCTAssertEqual(writer.alignment, Int(alignment))
            try writer.addTensor(Tensor(shape: [3], scalars: [1, 2, 3]), named: "a")
            try writer.addTensor(Tensor(shape: [5], scalars: [1, 2, 3, 4, 5]), named: "b", as: .f16)
            let bytes = writer.serializedBytes()
            XCTAssertEqual(bytes.count % Int(alignment), 0, "the last tensor is padded too")
            let file = try open(bytes)
            XCTAssertEqual(file.alignment, Int(alignment))
            XCTAssertEqual(file.dataOffset % Int(alignment), 0)
            XCTAssertEqual(try file.info(named: "b").offset, (12 + Int(alignment) - 1) / Int(alignment) * Int(alignment))
            XCTAssertEqual(try file.tensor(named: "b").scalars, [1, 2, 3, 4, 5])
        }
        var writer = GGUFWriter(version: 2)
        try writer.addTensor(Tensor(shape: [1], scalars: [1]), named: "x")
        XCTAssertEqual(try open(writer).version, 2)
    }

    func testWritesAtomically() throws {
        let url = directory.appendingPathComponent("model.gguf")
        var first = GGUFWriter()
        try first.setValue(.string("first"), forKey: "general.name")
        try first.write(to: url)
        var second = GGUFWriter()
        try second.setValue(.string("second"), forKey: "general.name")
        try second.addTensor(Tensor(shape: [2], scalars: [1, 2]), named: "t")
        try second.write(to: url)
        XCTAssertEqual(try GGUFFile(contentsOf: url).string(forKey: "general.name"), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.gguf"])

        let missing = directory.appendingPathComponent("no-such-directory/model.gguf")
        XCTAssertThrowsError(try second.write(to: missing)) { XCTAssertTrue($0 is AtomicFileWriteError, "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
    }

    func testRefusesWhatReadersWouldReject() throws {
        var writer = GGUFWriter()
        try writer.addTensor(Tensor(shape: [2], scalars: [1, 2]), named: "a")
        func expectTensorError(_ name: String, _ body: (inout GGUFWriter) throws -> Void,
                               file: StaticString = #filePath, line: UInt = #line) {
            var copy = writer
            XCTAssertThrowsError(try body(&copy), file: file, line: line) { error in
                guard case .invalidTensorToWrite(name, _)? = error as? GGUFError else {
                    return XCTFail("\(error)", file: file, line: line)
                }
                XCTAssertFalse((error as? GGUFError)?.description.isEmpty ?? true)
            }
            XCTAssertEqual(copy.tensorNames, ["a"], file: file, line: line)
        }
        expectTensorError("a") { try $0.addTensor(Tensor(shape: [1], scalars: [1]), named: "a") }
        expectTensorError("") { try $0.addTensor(Tensor(shape: [1], scalars: [1]), named: "") }
        expectTensorError("q") { try $0.addTensor(Tensor(shape: [32], scalars: .init(repeating: 0, count: 32)), named: "q", as: .q8_0) }
        expectTensorError("five") { try $0.addTensor(Tensor(shape: [1, 1, 1, 1, 1], scalars: [1]), named: "five") }
        expectTensorError("rows") { try $0.addTensor(named: "rows", shape: [2, 16], type: .q4_0, blocks: .init(repeating: 0, count: 18)) }
        expectTensorError("short") { try $0.addTensor(named: "short", shape: [2, 32], type: .q8_0, blocks: .init(repeating: 0, count: 34)) }
        expectTensorError("negative") { try $0.addTensor(named: "negative", shape: [-1, 32], type: .q8_0, blocks: []) }

        func expectMetadataError(_ key: String, _ value: GGUFValue, file: StaticString = #filePath, line: UInt = #line) {
            var copy = writer
            XCTAssertThrowsError(try copy.setValue(value, forKey: key), file: file, line: line) { error in
                guard case .invalidMetadataToWrite(key, _)? = error as? GGUFError else {
                    return XCTFail("\(error)", file: file, line: line)
                }
            }
            XCTAssertTrue(copy.metadata.isEmpty, file: file, line: line)
            XCTAssertEqual(copy.alignment, 32, file: file, line: line)
        }
        expectMetadataError("", .bool(true))
        expectMetadataError("mixed", .array(elementType: .uint32, elements: [.uint32(1), .int32(2)]))
        expectMetadataError("nested", .array(elementType: .array, elements: [.array(elementType: .string, elements: [.uint8(1)])]))
        for bad: GGUFValue in [.uint32(0), .uint32(48), .uint64(64), .string("32")] {
            expectMetadataError("general.alignment", bad)
        }
    }
}
