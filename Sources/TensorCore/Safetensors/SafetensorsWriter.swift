import Foundation

/// Collects tensors and writes them as one safetensors file.
///
/// The file has the standard layout: an 8-byte little-endian header length, a compact JSON header
/// whose keys (tensor names and `__metadata__`, and the keys inside each entry) are in sorted order,
/// padded with spaces so the data section starts at a multiple of 8 bytes, then each tensor's
/// little-endian bytes in the header's order, with no gaps. The file is written atomically (see
/// ``AtomicFileWriter``).
///
/// ```swift
/// var writer = SafetensorsWriter(metadata: ["format": "pt"])
/// try writer.add(weights, named: "model.norm.weight", as: .bf16)
/// try writer.add([1, 2, 3], shape: [3], named: "input_ids")      // I32
/// try writer.write(to: url)
/// ```
public struct SafetensorsWriter: Sendable {
    /// The header's `__metadata__` map; omitted from the file when empty.
    public var metadata: [String: String]

    private enum Payload: Sendable {
        case tensor(Tensor)
        case int32([Int32])
        case int64([Int64])
        case uint8([UInt8])
    }

    private struct Entry: Sendable {
        var dtype: SafetensorsDType
        var shape: [Int]
        var payload: Payload
        var byteCount: Int
    }

    private var entries: [String: Entry] = [:]

    /// An empty writer with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// The names added so far, in the order they will be written.
    public var tensorNames: [String] { entries.keys.sorted(by: Self.utf8Order) }

    /// Adds `tensor`, to be stored as `dtype` (`F32`, or `F16`/`BF16` rounded to nearest even).
    /// - Throws: ``SafetensorsError/invalidTensorToWrite(tensor:reason:)`` for a non-floating dtype, the
    ///   reserved name `__metadata__` or a name already added.
    public mutating func add(_ tensor: Tensor, named name: String, as dtype: SafetensorsDType = .f32) throws(SafetensorsError) {
        guard dtype.isTensorType else {
            throw .invalidTensorToWrite(tensor: name, reason: "a Tensor is stored as F32, F16 or BF16, not \(dtype)")
        }
        try insert(Entry(dtype: dtype, shape: tensor.shape, payload: .tensor(tensor), byteCount: 0), named: name, count: tensor.count)
    }

    /// Adds an `I32` tensor with the given shape and row-major elements (the type an integer array
    /// literal gets).
    /// - Throws: ``SafetensorsError/invalidTensorToWrite(tensor:reason:)``.
    public mutating func add(_ values: [Int32], shape: [Int], named name: String) throws(SafetensorsError) {
        try insert(Entry(dtype: .i32, shape: shape, payload: .int32(values), byteCount: 0), named: name, count: values.count)
    }

    /// Adds an `I64` tensor with the given shape and row-major elements.
    /// - Throws: ``SafetensorsError/invalidTensorToWrite(tensor:reason:)``.
    @_disfavoredOverload   // an untyped integer array literal means I32
    public mutating func add(_ values: [Int64], shape: [Int], named name: String) throws(SafetensorsError) {
        try insert(Entry(dtype: .i64, shape: shape, payload: .int64(values), byteCount: 0), named: name, count: values.count)
    }

    /// Adds a `U8` tensor with the given shape and row-major elements.
    /// - Throws: ``SafetensorsError/invalidTensorToWrite(tensor:reason:)``.
    @_disfavoredOverload   // an untyped integer array literal means I32
    public mutating func add(_ values: [UInt8], shape: [Int], named name: String) throws(SafetensorsError) {
        try insert(Entry(dtype: .u8, shape: shape, payload: .uint8(values), byteCount: 0), named: name, count: values.count)
    }

    /// Writes the file atomically: to a temporary file in the same directory, synced, then renamed
    /// over `url`. On failure `url` is untouched and no temporary file remains.
    /// - Throws: ``AtomicFileWriteError`` when the file system fails.
    public func write(to url: URL) throws {
        try AtomicFileWriter.write(to: url) { file in
            try write(into: file)
        }
    }

    /// Streams the file contents into an uncommitted atomic writer, so that several files can be
    /// staged and committed together (a sharded checkpoint).
    public func write(into file: AtomicFileWriter) throws {
        try emit { try file.write($0) }
    }

    /// The complete file contents, as ``write(to:)`` would store them.
    public func serializedBytes() -> [UInt8] {
        var result: [UInt8] = []
        emit { result.append(contentsOf: $0) }
        return result
    }

    /// Writes `tensors`, all stored as `dtype`, with `metadata`, atomically to `url`.
    /// - Throws: ``SafetensorsError`` for an invalid dtype or name, ``AtomicFileWriteError`` when the
    ///   file system fails.
    public static func write(_ tensors: [String: Tensor], as dtype: SafetensorsDType = .f32,
                             metadata: [String: String] = [:], to url: URL) throws {
        var writer = SafetensorsWriter(metadata: metadata)
        for (name, tensor) in tensors {
            try writer.add(tensor, named: name, as: dtype)
        }
        try writer.write(to: url)
    }

    // MARK: Implementation

    private mutating func insert(_ entry: Entry, named name: String, count: Int) throws(SafetensorsError) {
        guard name != SafetensorsHeader.metadataKey else {
            throw .invalidTensorToWrite(tensor: name, reason: "the name is reserved for metadata")
        }
        guard entries[name] == nil else {
            throw .invalidTensorToWrite(tensor: name, reason: "a tensor with this name was already added")
        }
        var elements = 1
        for d in entry.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow else {
                throw .invalidTensorToWrite(tensor: name, reason: "invalid shape \(entry.shape)")
            }
            elements = product
        }
        guard elements == count else {
            throw .invalidTensorToWrite(tensor: name, reason: "shape \(entry.shape) holds \(elements) elements, not \(count)")
        }
        var entry = entry
        entry.byteCount = count * entry.dtype.byteSize
        entries[name] = entry
    }

    /// Byte-wise order of the UTF-8 encodings (the order of sorted JSON keys in other tools).
    private static func utf8Order(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    private func header(order names: [String]) -> [UInt8] {
        var keys = names
        if !metadata.isEmpty { keys.append(SafetensorsHeader.metadataKey) }
        keys.sort(by: Self.utf8Order)
        var json = "{"
        var offset = 0
        for (index, key) in keys.enumerated() {
            if index > 0 { json += "," }
            json += Self.quoted(key) + ":"
            if key == SafetensorsHeader.metadataKey && entries[key] == nil {
                json += "{" + metadata.keys.sorted(by: Self.utf8Order)
                    .map { Self.quoted($0) + ":" + Self.quoted(metadata[$0] ?? "") }
                    .joined(separator: ",") + "}"
            } else if let entry = entries[key] {
                json += "{\"data_offsets\":[\(offset),\(offset + entry.byteCount)],\"dtype\":\"\(entry.dtype.rawValue)\","
                    + "\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))]}"
                offset += entry.byteCount
            }
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }

    /// A JSON string literal for `text`.
    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// Produces the whole file, in pieces, through `sink`.
    private func emit(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let names = tensorNames
        let header = header(order: names)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try sink($0) }
        try header.withUnsafeBytes { try sink($0) }
        for name in names {
            guard let entry = entries[name] else { continue }
            switch entry.payload {
            case let .tensor(tensor):
                try Self.emit(tensor, as: entry.dtype, to: sink)
            case let .int32(values):
                try Self.emitLittleEndian(values, to: sink)
            case let .int64(values):
                try Self.emitLittleEndian(values, to: sink)
            case let .uint8(values):
                try values.withUnsafeBytes { try sink($0) }
            }
        }
    }

    private static func emit(_ tensor: Tensor, as dtype: SafetensorsDType,
                             to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let encoding: FloatEncoding = dtype == .f16 ? .f16 : dtype == .bf16 ? .bf16 : .f32
        try encoding.emit(tensor, to: sink)
    }

    private static func emitLittleEndian<T: FixedWidthInteger>(
        _ values: [T], to sink: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        #if _endian(little)
        try values.withUnsafeBytes { try sink($0) }
        #else
        try values.map(\.littleEndian).withUnsafeBytes { try sink($0) }
        #endif
    }
}
