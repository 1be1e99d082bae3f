import Foundation
import XCTest
@testable import TensorCore

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafetensorsTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    private func url(_ name: String = "file.safetensors") -> URL {
        directory.appendingPathComponent(name)
    }

    /// Writes a file by hand: 8-byte little-endian length, `header` padded with spaces to a multiple of
    /// 8 (unless `pad` is false), then `data`. `length` overrides the stored header length.
    @discardableResult
    private func writeRaw(header: String, data: [UInt8] = [], pad: Bool = true, length: UInt64? = nil,
                          name: String = "file.safetensors") throws -> URL {
        var headerBytes = Array(header.utf8)
        if pad { while headerBytes.count % 8 != 0 { headerBytes.append(0x20) } }
        return try writeRaw(headerBytes: headerBytes, data: data, length: length, name: name)
    }

    @discardableResult
    private func writeRaw(headerBytes: [UInt8], data: [UInt8] = [], length: UInt64? = nil,
                          name: String = "file.safetensors") throws -> URL {
        let n = length ?? UInt64(headerBytes.count)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) }
        bytes += headerBytes + data
        let target = url(name)
        try Data(bytes).write(to: target)
        return target
    }

    private func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
        values.flatMap { v in (0 ..< MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
    }

    private func floatBytes(_ values: [Float]) -> [UInt8] {
        littleEndianBytes(values.map(\.bitPattern))
    }

    /// Asserts that opening `file` throws exactly `expected`.
    private func assertOpenFails(_ file: URL, with expected: (String) -> SafetensorsError,
                                 file sourceFile: StaticString = #filePath, line: UInt = #line) {
        do {
            let opened = try SafetensorsFile(contentsOf: file)
            XCTFail("opened with tensors \(opened.tensorNames)", file: sourceFile, line: line)
        } catch {
            XCTAssertEqual(error, expected(file.path), file: sourceFile, line: line)
            XCTAssertFalse(error.description.isEmpty)
            XCTAssertTrue(error.description.contains(file.path), file: sourceFile, line: line)
        }
    }

    /// A one-tensor header with the given entry text for tensor `t`.
    private func single(_ entry: String) -> String { "{\"t\":\(entry)}" }

    // MARK: Round trips

    func testRoundTripFloat32WithMetadataIsZeroCopy() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, .infinity, -0.0, .leastNormalMagnitude / 1024])
        let scalar = Tensor(shape: [], scalars: [42])
        let empty = Tensor(shape: [0, 3], scalars: [])
        var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "ünïcode \"quoted\"\n"])
        try writer.add(a, named: "a")
        try writer.add(scalar, named: "scalar")
        try writer.add(empty, named: "empty")
        try writer.write(to: url())

        let file = try SafetensorsFile(contentsOf: url())
        XCTAssertEqual(file.tensorNames, ["a", "empty", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "ünïcode \"quoted\"\n"])
        let readA = try file.tensor(named: "a")
        XCTAssertEqual(readA.shape, [2, 3])
        XCTAssertEqual(readA.scalars.map(\.bitPattern), a.scalars.map(\.bitPattern))
        XCTAssertTrue(readA.storage.isBorrowed, "aligned F32 data should be borrowed from the mapping")
        XCTAssertEqual(try file.tensor(named: "scalar"), scalar)
        XCTAssertEqual(try file.tensor(named: "empty").shape, [0, 3])
        XCTAssertEqual(try file.info(for: "a"),
                       SafetensorsTensorInfo(name: "a", dtype: .f32, shape: [2, 3], byteRange: 0 ..< 24))
        XCTAssertEqual(try file.info(for: "empty").byteRange, 24 ..< 24)
        XCTAssertEqual(try file.info(for: "scalar").byteRange, 24 ..< 28)
        XCTAssertTrue(file.contains("a"))
        XCTAssertFalse(file.contains("b"))
        XCTAssertEqual(file.tensorInfos.map(\.name), file.tensorNames)
    }

    func testBorrowedTensorOutlivesTheFileAndCopiesOnWrite() throws {
        try SafetensorsWriter.write(["w": Tensor(shape: [4], scalars: [1, 2, 3, 4])], to: url())
        var tensor = try SafetensorsFile(contentsOf: url()).tensor(named: "w")   // the file value is gone
        XCTAssertEqual(tensor.scalars, [1, 2, 3, 4])
        tensor.withUnsafeMutableBufferPointer { $0[0] = 9 }
        XCTAssertEqual(tensor.scalars, [9, 2, 3, 4])
        XCTAssertEqual(try SafetensorsFile(contentsOf: url()).tensor(named: "w").scalars, [1, 2, 3, 4])
    }

    func testRoundTripFloat16() throws {
        let values: [Float] = [0, -0.0, 1, 0.1, -65504, 70000, 1e-7, 3e-8, .nan, -.infinity, 0.333333, 2048.5]
        let tensor = Tensor(shape: [3, 4], scalars: values)
        var writer = SafetensorsWriter()
        try writer.add(tensor, named: "h", as: .f16)
        try writer.write(to: url())
        let file = try SafetensorsFile(contentsOf: url())
        XCTAssertEqual(try file.info(for: "h").dtype, .f16)
        XCTAssertEqual(try file.info(for: "h").byteRange, 0 ..< 24)
        let read = try file.tensor(named: "h")
        XCTAssertEqual(read.shape, [3, 4])
        XCTAssertEqual(read.scalars.map(\.bitPattern), values.map { Float(Float16($0)).bitPattern })
        XCTAssertEqual(try file.rawBytes(named: "h"), littleEndianBytes(values.map { Float16($0).bitPattern }))
    }

    func testRoundTripBFloat16() throws {
        let values = (0..<100).map { Float($0) * 0.731 - 30 } + [.greatestFiniteMagnitude, .nan, -0.0, .leastNormalMagnitude / 300]
        let tensor = Tensor(shape: [values.count], scalars: values)
        try SafetensorsWriter.write(["b": tensor], as: .bf16, metadata: ["k": "v"], to: url())
        let file = try SafetensorsFile(contentsOf: url())
        XCTAssertEqual(file.metadata, ["k": "v"])
        XCTAssertEqual(try file.info(for: "b").dtype, .bf16)
        let read = try file.tensor(named: "b")
        XCTAssertEqual(read.scalars.map(\.bitPattern), values.map { Float(BFloat16($0)).bitPattern })
    }

    func testRoundTripIntegers() throws {
        let i32: [Int32] = [0, 1, -1, .max, .min, 123_456]
        let i64: [Int64] = [.max, .min, 0, -42]
        let u8: [UInt8] = [0, 1, 127, 128, 255]
        var writer = SafetensorsWriter()
        try writer.add(i32, shape: [2, 3], named: "i32")
        try writer.add(i64, shape: [4], named: "i64")
        try writer.add(u8, shape: [5, 1], named: "u8")
        try writer.add([Int32](), shape: [0], named: "none")
        try writer.write(to: url())
        let file = try SafetensorsFile(contentsOf: url())
        XCTAssertEqual(try file.int32s(named: "i32"), i32)
        XCTAssertEqual(try file.int64s(named: "i64"), i64)
        XCTAssertEqual(try file.bytes(named: "u8"), u8)
        XCTAssertEqual(try file.int32s(named: "none"), [])
        XCTAssertEqual(try file.info(for: "i32").shape, [2, 3])
        XCTAssertEqual(try file.info(for: "u8").shape, [5, 1])
        XCTAssertEqual(try file.info(for: "i64").elementCount, 4)
        XCTAssertEqual(try file.rawBytes(named: "i64"), littleEndianBytes(i64))
    }

    func testRoundTripEveryDTypeTogether() throws {
        var writer = SafetensorsWriter(metadata: ["producer": "test", "": "empty key"])
        let t = Tensor(shape: [2, 2], scalars: [0.5, -1.25, 3, 1e4])
        try writer.add(t, named: "f32")
        try writer.add(t, named: "f16", as: .f16)
        try writer.add(t, named: "bf16", as: .bf16)
        try writer.add([7, -7], shape: [2], named: "i32")
        try writer.add([Int64(1) << 40], shape: [1], named: "i64")
        try writer.add([UInt8]([9, 8, 7]), shape: [3], named: "u8")
        try writer.add(t, named: "Z upper")   // sorts before lower case and "__metadata__"
        XCTAssertEqual(writer.tensorNames, ["Z upper", "bf16", "f16", "f32", "i32", "i64", "u8"])
        try writer.write(to: url())
        let file = try SafetensorsFile(contentsOf: url())
        XCTAssertEqual(file.tensorNames, ["Z upper", "bf16", "f16", "f32", "i32", "i64", "u8"])
        XCTAssertEqual(file.metadata, ["producer": "test", "": "empty key"])
        XCTAssertEqual(try file.tensor(named: "f32"), t)
        XCTAssertEqual(try file.tensor(named: "Z upper"), t)
        XCTAssertEqual(try file.tensor(named: "f16"), t)   // all exactly representable
        XCTAssertEqual(try file.tensor(named: "bf16").scalars, [0.5, -1.25, 3, 9984])
        XCTAssertEqual(try file.int32s(named: "i32"), [7, -7])
        XCTAssertEqual(try file.int64s(named: "i64"), [1 << 40])
        XCTAssertEqual(try file.bytes(named: "u8"), [9, 8, 7])
        // Data follow the sorted names without gaps.
        var offset = 0
        for info in file.tensorInfos {
            XCTAssertEqual(info.byteRange.lowerBound, offset, info.name)
            offset = info.byteRange.upperBound
        }
    }

    // MARK: Exact layout

    func testExactLayoutMatchesHandWrittenBytes() throws {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        try writer.add(Tensor(shape: [2], scalars: [1, -2]), named: "weight")
        try writer.add([5], shape: [1], named: "bias")
        try writer.add(Tensor(shape: [1], scalars: [1]), named: "half", as: .f16)

        let header = #"{"__metadata__":{"format":"pt"},"bias":{"data_offsets":[0,4],"dtype":"I32","shape":[1]},"#
            + #""half":{"data_offsets":[4,6],"dtype":"F16","shape":[1]},"#
            + #""weight":{"data_offsets":[6,14],"dtype":"F32","shape":[2]}}"#
        var expected: [UInt8] = []
        let headerBytes = Array(header.utf8)
        let padded = (headerBytes.count + 7) / 8 * 8
        expected += littleEndianBytes([UInt64(padded)])
        expected += headerBytes + [UInt8](repeating: 0x20, count: padded - headerBytes.count)
        expected += [0x05, 0x00, 0x00, 0x00]                          // bias: I32 5
        expected += [0x00, 0x3C]                                      // half: F16 1.0 = 0x3C00
        expected += [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]  // weight: F32 1.0, -2.0
        XCTAssertEqual(writer.serializedBytes(), expected)

        try writer.write(to: url("written.safetensors"))
        XCTAssertEqual(Array(try Data(contentsOf: url("written.safetensors"))), expected)

        try Data(expected).write(to: url("hand.safetensors"))
        let file = try SafetensorsFile(contentsOf: url("hand.safetensors"))
        XCTAssertEqual(file.tensorNames, ["bias", "half", "weight"])
        XCTAssertEqual(try file.int32s(named: "bias"), [5])
        XCTAssertEqual(try file.tensor(named: "half").scalars, [1])
        XCTAssertEqual(try file.tensor(named: "weight").scalars, [1, -2])
        XCTAssertEqual(try file.tensor(named: "weight").storage.isBorrowed, false,
                       "offset 6 in an 8-aligned data section is not 4-byte aligned: copied")
    }

    func testHeaderIsPaddedToAMultipleOfEight() throws {
        for length in 1...16 {
            var writer = SafetensorsWriter()
            try writer.add([UInt8(1)], shape: [1], named: String(repeating: "n", count: length))
            let bytes = writer.serializedBytes()
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
            XCTAssertEqual(headerLength % 8, 0)
            XCTAssertEqual(bytes.count, 8 + headerLength + 1)
            let header = bytes[8 ..< 8 + headerLength]
            guard let close = header.lastIndex(of: UInt8(ascii: "}")) else { return XCTFail("no JSON object") }
            XCTAssertTrue(header[(close + 1)...].allSatisfy { $0 == 0x20 })
            XCTAssertLessThan(8 + headerLength - (close + 1), 8)
        }
    }

    func testUnalignedFloat32IsCopiedCorrectly() throws {
        let header = #"{"pad":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"F32","shape":[3],"data_offsets":[1,13]}}"#
        let file = try SafetensorsFile(contentsOf: writeRaw(header: header, data: [0xAA] + floatBytes([1.5, -2, 1e30])))
        let w = try file.tensor(named: "w")
        XCTAssertEqual(w.scalars, [1.5, -2, 1e30])
        XCTAssertFalse(w.storage.isBorrowed)
        XCTAssertEqual(try file.bytes(named: "pad"), [0xAA])
    }

    func testUnsupportedDTypesAreValidatedAndReadableAsRawBytes() throws {
        let header = #"{"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}"#
        let data = littleEndianBytes([Double(1.5).bitPattern, Double(-2).bitPattern]) + [1, 0, 1]
        let target = try writeRaw(header: header, data: data)
        let file = try SafetensorsFile(contentsOf: target)
        XCTAssertEqual(file.tensorNames, ["b", "d"])
        XCTAssertEqual(try file.info(for: "d").dtype, .f64)
        XCTAssertEqual(try file.rawBytes(named: "b"), [1, 0, 1])
        let sum = try file.withUnsafeRawBytes(ofTensorNamed: "d") { raw in
            (0..<2).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))) }.reduce(0, +)
        }
        XCTAssertEqual(sum, -0.5)
        XCTAssertThrowsError(try file.tensor(named: "d")) {
            XCTAssertEqual($0 as? SafetensorsError, .unsupportedDType(path: target.path, tensor: "d", dtype: .f64))
        }
        XCTAssertThrowsError(try file.bytes(named: "b")) {
            XCTAssertEqual($0 as? SafetensorsError, .dtypeMismatch(path: target.path, tensor: "b", requested: "U8", actual: .bool))
        }
    }

    func testDTypeProperties() {
        XCTAssertEqual(SafetensorsDType.allCases.filter(\.isSupported), [.f32, .f16, .bf16, .i32, .i64, .u8])
        XCTAssertEqual(SafetensorsDType(rawValue: "BF16"), .bf16)
        XCTAssertNil(SafetensorsDType(rawValue: "bf16"))
        XCTAssertEqual(SafetensorsDType.i64.byteSize, 8)
        XCTAssertEqual(SafetensorsDType.f16.byteSize, 2)
        XCTAssertEqual(SafetensorsDType.u8.byteSize, 1)
        XCTAssertEqual(SafetensorsDType.bf16.description, "BF16")
    }

    // MARK: Writer

    func testWriterRejectsInvalidTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add([1], shape: [1], named: "x")
        XCTAssertThrowsError(try writer.add([2], shape: [1], named: "x")) {
            guard case .invalidTensorToWrite(tensor: "x", _)? = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try writer.add([Int32](repeating: 0, count: 5), shape: [2, 3], named: "y")) {
            guard case .invalidTensorToWrite(tensor: "y", _)? = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try writer.add([Int64](), shape: [-1, 0], named: "z")) {
            guard case .invalidTensorToWrite(tensor: "z", _)? = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try writer.add(Tensor(shape: [1], scalars: [1]), named: "__metadata__")) {
            guard case .invalidTensorToWrite(tensor: "__metadata__", _)? = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try writer.add(Tensor(shape: [1], scalars: [1]), named: "w", as: .i32)) {
            guard case .invalidTensorToWrite(tensor: "w", _)? = $0 as? SafetensorsError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(writer.tensorNames, ["x"])
    }

    func testWriteReplacesExistingFileAtomically() throws {
        let target = url()
        try Data("old contents".utf8).write(to: target)
        try SafetensorsWriter.write(["a": Tensor(shape: [1], scalars: [3])], to: target)
        XCTAssertEqual(try SafetensorsFile(contentsOf: target).tensor(named: "a").scalars, [3])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["file.safetensors"])
    }

    func testFailedWriteLeavesDestinationAndNoTemporaryFile() throws {
        struct Interrupted: Error {}
        let target = url("keep.bin")
        try Data("original".utf8).write(to: target)
        XCTAssertThrowsError(try AtomicFileWriter.write(to: target) { file in
            try file.write(Array("partial".utf8))
            throw Interrupted()
        }) { XCTAssertTrue($0 is Interrupted) }
        XCTAssertEqual(try Data(contentsOf: target), Data("original".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["keep.bin"])

        // A directory is refused before any temporary file is made (AtomicFileDestinationTests).
        let blocker = url("blocker")
        try FileManager.default.createDirectory(at: blocker.appendingPathComponent("inside"), withIntermediateDirectories: true)
        XCTAssertThrowsError(try AtomicFileWriter.write(Data([1, 2, 3]), to: blocker)) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: blocker.path, kind: .directory))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["blocker", "keep.bin"])
    }

    func testWriteIntoMissingDirectoryFails() {
        let target = directory.appendingPathComponent("missing/dir/file.safetensors")
        XCTAssertThrowsError(try SafetensorsWriter.write(["a": Tensor(shape: [1], scalars: [1])], to: target)) {
            guard let error = $0 as? AtomicFileWriteError else { return XCTFail("\($0)") }
            XCTAssertEqual(error.operation, .create)
            XCTAssertEqual(error.code, ENOENT)
            XCTAssertTrue(error.description.contains("missing/dir"))
        }
    }

    func testAtomicWriterStreamsLargeAndSmallWrites() throws {
        let target = url("big.bin")
        let big = [UInt8]((0 ..< 3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try AtomicFileWriter.write(to: target) { file in
            try file.write([1, 2, 3])
            try file.write(big)
            try file.write(Data([4, 5]))
        }
        XCTAssertEqual(Array(try Data(contentsOf: target)), [1, 2, 3] + big + [4, 5])
    }

    func testAtomicWriterAbortAndUseAfterFinishing() throws {
        let target = url("aborted.bin")
        let writer = try AtomicFileWriter(destination: target)
        XCTAssertEqual(writer.temporaryURL.deletingLastPathComponent().path, directory.path)
        try writer.write([1, 2, 3])
        XCTAssertTrue(FileManager.default.fileExists(atPath: writer.temporaryURL.path))
        writer.abort()
        XCTAssertFalse(FileManager.default.fileExists(atPath: writer.temporaryURL.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target.path))
        XCTAssertThrowsError(try writer.write([4])) { XCTAssertEqual(($0 as? AtomicFileWriteError)?.code, EBADF) }
        XCTAssertThrowsError(try writer.commit()) { XCTAssertEqual(($0 as? AtomicFileWriteError)?.code, EBADF) }

        let committed = try AtomicFileWriter(destination: target)
        try committed.write([9])
        try committed.commit()
        XCTAssertThrowsError(try committed.commit()) { XCTAssertEqual(($0 as? AtomicFileWriteError)?.code, EBADF) }
        committed.abort()   // no effect after a commit
        XCTAssertEqual(try Data(contentsOf: target), Data([9]))

        do {   // an abandoned writer cleans up after itself
            let abandoned = try AtomicFileWriter(destination: url("abandoned.bin"))
            try abandoned.write([1])
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["aborted.bin"])
    }

    // MARK: Malformed files: each fault is its own typed error

    func testMissingFile() {
        assertOpenFails(url("absent.safetensors")) { .cannotOpenFile(path: $0, reason: "No such file or directory (errno 2)") }
    }

    func testDirectoryIsNotAFile() {
        assertOpenFails(directory) { .cannotOpenFile(path: $0, reason: "not a regular file") }
    }

    func testEmptyFile() throws {
        try Data().write(to: url())
        assertOpenFails(url()) { .emptyFile(path: $0) }
    }

    func testTruncatedFile() throws {
        try Data([16, 0, 0, 0, 0]).write(to: url())
        assertOpenFails(url()) { .truncatedFile(path: $0, byteCount: 5) }
    }

    func testHeaderLengthPastEndOfFile() throws {
        let target = try writeRaw(header: "{}", length: 9)
        assertOpenFails(target) { .headerLengthPastEndOfFile(path: $0, headerLength: 9, fileSize: 16) }
        let huge = try writeRaw(header: "{}", length: .max, name: "huge")
        assertOpenFails(huge) { .headerLengthPastEndOfFile(path: $0, headerLength: .max, fileSize: 16) }
    }

    func testHeaderNotUTF8() throws {
        let target = try writeRaw(headerBytes: Array(#"{"a":"#.utf8) + [0xC3, 0x28] + Array("}   ".utf8))
        assertOpenFails(target) { .headerNotUTF8(path: $0) }
    }

    func testHeaderNotJSON() throws {
        for text in ["{\"t\":", "", "not json", "{\"a\":1} x", "{\"a\":1}\0\0\0"] {
            let target = try writeRaw(header: text, pad: false)
            do {
                _ = try SafetensorsFile(contentsOf: target)
                XCTFail("accepted \(text)")
            } catch {
                guard case .headerNotJSON(path: target.path, _) = error else { return XCTFail("\(text): \(error)") }
            }
        }
    }

    func testHeaderNotObject() throws {
        assertOpenFails(try writeRaw(header: "[1, 2]")) { .headerNotObject(path: $0) }
    }

    func testEntryNotObject() throws {
        assertOpenFails(try writeRaw(header: single("[1]"))) { .entryNotObject(path: $0, tensor: "t", value: "[1]") }
        assertOpenFails(try writeRaw(header: single("\"F32\""))) { .entryNotObject(path: $0, tensor: "t", value: "\"F32\"") }
    }

    func testMissingFields() throws {
        assertOpenFails(try writeRaw(header: single(#"{"shape":[1],"data_offsets":[0,4]}"#), data: [0, 0, 0, 0])) {
            .missingField(path: $0, tensor: "t", field: "dtype")
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","data_offsets":[0,4]}"#), data: [0, 0, 0, 0])) {
            .missingField(path: $0, tensor: "t", field: "shape")
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[1]}"#), data: [0, 0, 0, 0])) {
            .missingField(path: $0, tensor: "t", field: "data_offsets")
        }
    }

    func testIllTypedFields() throws {
        let cases: [(entry: String, field: String)] = [
            (#"{"dtype":5,"shape":[1],"data_offsets":[0,4]}"#, "dtype"),
            (#"{"dtype":null,"shape":[1],"data_offsets":[0,4]}"#, "dtype"),
            (#"{"dtype":"F32","shape":"1","data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[true],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[1e30],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[9223372036854775808],"data_offsets":[0,4]}"#, "shape"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0,false]}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":{"begin":0}}"#, "data_offsets"),
            (#"{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}"#, "data_offsets"),
        ]
        for (entry, field) in cases {
            let target = try writeRaw(header: single(entry), data: [0, 0, 0, 0])
            do {
                _ = try SafetensorsFile(contentsOf: target)
                XCTFail("accepted \(entry)")
            } catch {
                guard case .invalidField(path: target.path, tensor: "t", field: field, _) = error else {
                    XCTFail("\(entry): \(error)")
                    continue
                }
            }
        }
    }

    func testUnknownDType() throws {
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F33","shape":[1],"data_offsets":[0,4]}"#), data: [0, 0, 0, 0])) {
            .unknownDType(path: $0, tensor: "t", dtype: "F33")
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"f32","shape":[1],"data_offsets":[0,4]}"#), data: [0, 0, 0, 0])) {
            .unknownDType(path: $0, tensor: "t", dtype: "f32")
        }
    }

    func testNegativeDimension() throws {
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}"#),
                                     data: [UInt8](repeating: 0, count: 16))) {
            .negativeDimension(path: $0, tensor: "t", shape: [-1, -4])
        }
    }

    func testShapeTooLarge() throws {
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}"#))) {
            .shapeTooLarge(path: $0, tensor: "t", shape: [4_611_686_018_427_387_904, 4])
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"I64","shape":[2305843009213693952],"data_offsets":[0,0]}"#))) {
            .shapeTooLarge(path: $0, tensor: "t", shape: [2_305_843_009_213_693_952])
        }
    }

    func testByteCountMismatch() throws {
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}"#),
                                     data: [UInt8](repeating: 0, count: 16))) {
            .byteCountMismatch(path: $0, tensor: "t", shape: [2, 2], dtype: .f32, expectedByteCount: 16, actualByteCount: 12)
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"BF16","shape":[],"data_offsets":[0,0]}"#))) {
            .byteCountMismatch(path: $0, tensor: "t", shape: [], dtype: .bf16, expectedByteCount: 2, actualByteCount: 0)
        }
    }

    func testOffsetsOutOfBounds() throws {
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#), data: [0, 0, 0, 0])) {
            .offsetsOutOfBounds(path: $0, tensor: "t", begin: 0, end: 8, dataByteCount: 4)
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"U8","shape":[0],"data_offsets":[9,9]}"#), data: [0, 0, 0, 0])) {
            .offsetsOutOfBounds(path: $0, tensor: "t", begin: 9, end: 9, dataByteCount: 4)
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[1],"data_offsets":[4,0]}"#), data: [0, 0, 0, 0])) {
            .offsetsOutOfBounds(path: $0, tensor: "t", begin: 4, end: 0, dataByteCount: 4)
        }
        assertOpenFails(try writeRaw(header: single(#"{"dtype":"F32","shape":[1],"data_offsets":[9223372036854775807,9223372036854775807]}"#))) {
            .offsetsOutOfBounds(path: $0, tensor: "t", begin: .max, end: .max, dataByteCount: 0)
        }
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"#
            + #""c":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        assertOpenFails(try writeRaw(header: header, data: [UInt8](repeating: 0, count: 20))) {
            .overlappingTensors(path: $0, tensor: "b", otherTensor: "a")
        }
        let same = #"{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#
        assertOpenFails(try writeRaw(header: same, data: [0, 0, 0, 0])) {
            .overlappingTensors(path: $0, tensor: "y", otherTensor: "x")
        }
        // Gaps and empty tensors inside another tensor's range are fine.
        let fine = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"e":{"dtype":"F32","shape":[0],"data_offsets":[1,1]},"#
            + #""b":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}"#
        let file = try SafetensorsFile(contentsOf: writeRaw(header: fine, data: [1, 2, 3, 4]))
        XCTAssertEqual(try file.bytes(named: "b"), [4])
        XCTAssertEqual(try file.tensor(named: "e").shape, [0])
    }

    func testDuplicateNames() throws {
        let header = #"{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"v":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},"#
            + #""w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        assertOpenFails(try writeRaw(header: header, data: [1, 2])) { .duplicateTensorName(path: $0, tensor: "w") }
        // The same name spelled with an escape is still the same name.
        let escaped = #"{"ab":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a\u0062":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#
        assertOpenFails(try writeRaw(header: escaped, data: [1, 2])) { .duplicateTensorName(path: $0, tensor: "ab") }
        // Repeated keys inside entries or metadata are not tensor names.
        let nested = #"{"__metadata__":{"k":"x","k2":"{\"k\":1,\"k\":2}"},"ab":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#
        XCTAssertEqual(try SafetensorsFile(contentsOf: writeRaw(header: nested, data: [7])).bytes(named: "ab"), [7])
    }

    func testInvalidMetadata() throws {
        assertOpenFails(try writeRaw(header: #"{"__metadata__":["a"]}"#)) { .invalidMetadata(path: $0, value: "[\"a\"]") }
        assertOpenFails(try writeRaw(header: #"{"__metadata__":{"n":3}}"#)) { .invalidMetadata(path: $0, value: "\"n\": 3") }
    }

    func testTensorNotFound() throws {
        try SafetensorsWriter.write(["a": Tensor(shape: [1], scalars: [1])], to: url())
        let file = try SafetensorsFile(contentsOf: url())
        let expected = SafetensorsError.tensorNotFound(path: url().path, tensor: "b")
        XCTAssertThrowsError(try file.tensor(named: "b")) { XCTAssertEqual($0 as? SafetensorsError, expected) }
        XCTAssertThrowsError(try file.info(for: "b")) { XCTAssertEqual($0 as? SafetensorsError, expected) }
        XCTAssertThrowsError(try file.int32s(named: "b")) { XCTAssertEqual($0 as? SafetensorsError, expected) }
        XCTAssertThrowsError(try file.rawBytes(named: "b")) { XCTAssertEqual($0 as? SafetensorsError, expected) }
        XCTAssertThrowsError(try file.withUnsafeRawBytes(ofTensorNamed: "b") { $0.count }) {
            XCTAssertEqual($0 as? SafetensorsError, expected)
        }
        XCTAssertEqual(expected.description, "\(url().path): no tensor named 'b'")
        XCTAssertEqual(expected.localizedDescription, expected.description)
    }

    func testWrongDTypeRequested() throws {
        var writer = SafetensorsWriter()
        try writer.add(Tensor(shape: [1], scalars: [1]), named: "f")
        try writer.add([1], shape: [1], named: "i")
        try writer.add([Int64(1)], shape: [1], named: "l")
        try writer.write(to: url())
        let file = try SafetensorsFile(contentsOf: url())
        let path = url().path
        XCTAssertThrowsError(try file.int32s(named: "f")) {
            XCTAssertEqual($0 as? SafetensorsError, .dtypeMismatch(path: path, tensor: "f", requested: "I32", actual: .f32))
        }
        XCTAssertThrowsError(try file.tensor(named: "i")) {
            XCTAssertEqual($0 as? SafetensorsError, .dtypeMismatch(path: path, tensor: "i", requested: "F32, F16 or BF16", actual: .i32))
        }
        XCTAssertThrowsError(try file.int64s(named: "i")) {
            XCTAssertEqual($0 as? SafetensorsError, .dtypeMismatch(path: path, tensor: "i", requested: "I64", actual: .i32))
        }
        XCTAssertThrowsError(try file.bytes(named: "l")) {
            XCTAssertEqual($0 as? SafetensorsError, .dtypeMismatch(path: path, tensor: "l", requested: "U8", actual: .i64))
        }
    }

    func testErrorDescriptionsNameTheFileTensorAndValue() {
        let error = SafetensorsError.byteCountMismatch(path: "/m.safetensors", tensor: "w", shape: [2, 2], dtype: .bf16,
                                                       expectedByteCount: 8, actualByteCount: 6)
        XCTAssertEqual(error.description,
                       "/m.safetensors: tensor 'w' of shape [2, 2] and dtype BF16 needs 8 bytes, but its data_offsets span 6")
        XCTAssertTrue(SafetensorsError.offsetsOutOfBounds(path: "/p", tensor: "t", begin: 4, end: 0, dataByteCount: 9)
            .description.contains("reversed"))
        XCTAssertTrue(SafetensorsError.unknownDType(path: "/p", tensor: "t", dtype: "Q7").description.contains("'Q7'"))
    }
}
