import Foundation

/// Collects metadata and tensors and writes them as one GGUF file that ``GGUFFile`` (and llama.cpp)
/// reads back.
///
/// ```swift
/// var writer = GGUFWriter()
/// try writer.setValue(.string("llama"), forKey: "general.architecture")
/// try writer.setValue(.uint32(30), forKey: "llama.block_count")
/// try writer.addTensor(norm, named: "output_norm.weight")                    // F32
/// try writer.addTensor(embedding, named: "token_embd.weight", as: .f16)      // rounded to nearest even
/// try writer.addTensor(named: "blk.0.attn_q.weight", shape: [576, 576], type: .q4_1, blocks: packed)
/// try writer.write(to: url)
/// ```
///
/// Shapes are row-major, as everywhere in TensorCore: a `[rows, columns]` matrix is stored with the
/// ggml dimensions `[columns, rows]` (fastest-varying first), which is what ``GGUFFile/tensor(named:)``
/// reverses again. `Tensor`s are stored as F32, F16 or BF16; any other ggml type (quantised blocks,
/// integers) is added as raw little-endian blocks, whose byte count is checked against the shape
/// (``GGUFQuantization`` makes Q4_0, Q4_1 and Q8_0 blocks from a `Tensor`).
///
/// The file has the standard layout: magic `GGUF`, the version, the tensor and key/value counts, the
/// key/value pairs and tensor infos in the order they were added, zero padding to the alignment, then
/// each tensor's bytes at the next multiple of the alignment, each followed by zero padding to the next
/// multiple (as llama.cpp's own writers do); setting `general.alignment` changes the alignment.
/// ``write(to:)`` writes atomically (see ``AtomicFileWriter``). Values are kept (tensors share
/// storage, copy-on-write) until written; F16 and BF16 are converted in small chunks while writing,
/// so a model is never held twice.
public struct GGUFWriter: Sendable {
    /// The alignment ggml assumes when a file has no `general.alignment`.
    public static let defaultAlignment = 32

    /// The data section's alignment: every tensor starts at a multiple of it. It is
    /// `general.alignment` when that key is set, otherwise ``defaultAlignment``.
    public private(set) var alignment = GGUFWriter.defaultAlignment
    /// The format version written in the header (2 or 3; they share the little-endian layout).
    public let version: UInt32
    /// The key/value pairs in file order.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []

    private enum Payload: Sendable {
        case tensor(Tensor)
        case blocks([UInt8])
    }

    private struct Entry: Sendable {
        var name: String
        var shape: [Int]
        var type: GGUFTensorType
        var byteCount: Int
        var payload: Payload
    }

    private var entries: [Entry] = []
    private var tensorIndex: Set<String> = []

    /// An empty writer for format `version` (2 or 3).
    /// - Precondition: `version` is 2 or 3.
    public init(version: UInt32 = 3) {
        precondition(version == 2 || version == 3, "GGUF versions 2 and 3 are written, not \(version)")
        self.version = version
    }

    /// The names of the tensors added so far, in file order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// The value stored under `key`, or `nil`.
    public func value(forKey key: String) -> GGUFValue? {
        metadata.first { $0.key == key }?.value
    }

    /// Stores `value` under `key`, replacing (in place) a value already stored there.
    ///
    /// `general.alignment` sets ``alignment``: it must be a `UINT32` power of two, as readers require.
    /// - Throws: ``GGUFError/invalidMetadataToWrite(key:reason:)`` for an empty key, an invalid
    ///   `general.alignment`, and an array whose elements do not all have its element type or that
    ///   nests arrays more than ``GGUFFile/maximumArrayNesting`` levels deep.
    public mutating func setValue(_ value: GGUFValue, forKey key: String) throws(GGUFError) {
        guard !key.isEmpty else { throw .invalidMetadataToWrite(key: key, reason: "the key is empty") }
        if key == "general.alignment" {
            guard case let .uint32(a) = value, a != 0, a & (a - 1) == 0 else {
                throw .invalidMetadataToWrite(key: key, reason: "\(value) is not a non-zero power of two stored as UINT32")
            }
            alignment = Int(a)
        }
        if let reason = Self.problem(with: value, depth: 0) {
            throw .invalidMetadataToWrite(key: key, reason: reason)
        }
        if let i = metadata.firstIndex(where: { $0.key == key }) {
            metadata[i].value = value
        } else {
            metadata.append((key, value))
        }
    }

    /// Adds `tensor`, to be stored as `type`: `.f32`, or `.f16`/`.bf16` rounded to nearest even.
    /// - Throws: ``GGUFError/invalidTensorToWrite(tensor:reason:)`` for another type, a rank above 4,
    ///   an empty name or a name already added.
    public mutating func addTensor(_ tensor: Tensor, named name: String, as type: GGUFTensorType = .f32) throws(GGUFError) {
        guard [.f32, .f16, .bf16].contains(type) else {
            throw .invalidTensorToWrite(tensor: name, reason: "a Tensor is stored as F32, F16 or BF16, not \(type)")
        }
        try checkName(name, shape: tensor.shape)
        append(Entry(name: name, shape: tensor.shape, type: type, byteCount: tensor.count * type.bytesPerBlock,
                     payload: .tensor(tensor)))
    }

    /// Adds a tensor of any ggml type from its stored little-endian blocks (for example quantised
    /// weights): `shape` is row-major, so its last extent is ggml's row length `ne[0]`.
    /// - Throws: ``GGUFError/invalidTensorToWrite(tensor:reason:)`` for an empty or repeated name, a
    ///   rank above 4, a negative extent, a row length that is not a multiple of the type's block size,
    ///   or a byte count other than the shape's blocks times the type's bytes per block.
    public mutating func addTensor(named name: String, shape: [Int], type: GGUFTensorType,
                                   blocks: [UInt8]) throws(GGUFError) {
        try checkName(name, shape: shape)
        var elements = 1
        for extent in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw .invalidTensorToWrite(tensor: name, reason: "shape \(shape) is too large") }
            elements = product
        }
        let rowLength = shape.last ?? 1
        guard rowLength % type.blockSize == 0 else {
            throw .invalidTensorToWrite(tensor: name, reason: "rows of \(rowLength) elements are not whole \(type) blocks of \(type.blockSize)")
        }
        let expected = elements / type.blockSize * type.bytesPerBlock
        guard blocks.count == expected else {
            throw .invalidTensorToWrite(tensor: name, reason: "\(blocks.count) bytes given; shape \(shape) of \(type) takes \(expected)")
        }
        append(Entry(name: name, shape: shape, type: type, byteCount: expected, payload: .blocks(blocks)))
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
    /// staged and committed together.
    public func write(into file: AtomicFileWriter) throws {
        try emit { try file.write($0) }
    }

    /// The complete file contents, as ``write(to:)`` would store them.
    public func serializedBytes() -> [UInt8] {
        var result: [UInt8] = []
        emit { result.append(contentsOf: $0) }
        return result
    }

    // MARK: Implementation

    private mutating func append(_ entry: Entry) {
        entries.append(entry)
        tensorIndex.insert(entry.name)
    }

    private func checkName(_ name: String, shape: [Int]) throws(GGUFError) {
        guard !name.isEmpty else { throw .invalidTensorToWrite(tensor: name, reason: "the name is empty") }
        guard !tensorIndex.contains(name) else {
            throw .invalidTensorToWrite(tensor: name, reason: "a tensor with this name was already added")
        }
        guard shape.count <= 4 else {
            throw .invalidTensorToWrite(tensor: name, reason: "shape \(shape) has more than 4 dimensions")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidTensorToWrite(tensor: name, reason: "shape \(shape) has a negative extent")
        }
    }

    /// Why `value` cannot be written (array element types, nesting depth), or `nil`.
    private static func problem(with value: GGUFValue, depth: Int) -> String? {
        guard case let .array(elementType, elements) = value else { return nil }
        guard depth < GGUFFile.maximumArrayNesting else {
            return "arrays nest more than \(GGUFFile.maximumArrayNesting) levels deep"
        }
        for element in elements {
            guard element.type == elementType else {
                return "an array of \(elementType) holds a \(element.type) element"
            }
            if let problem = problem(with: element, depth: depth + 1) { return problem }
        }
        return nil
    }

    private func padded(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }

    /// The header, including the padding before the data section.
    private func header() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        Self.appendLittleEndian(version, to: &out)
        Self.appendLittleEndian(UInt64(entries.count), to: &out)
        Self.appendLittleEndian(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            Self.appendString(key, to: &out)
            Self.appendLittleEndian(value.type.rawValue, to: &out)
            Self.encode(value, into: &out)
        }
        var offset = 0
        for entry in entries {
            Self.appendString(entry.name, to: &out)
            Self.appendLittleEndian(UInt32(entry.shape.count), to: &out)
            for extent in entry.shape.reversed() { Self.appendLittleEndian(UInt64(extent), to: &out) }
            Self.appendLittleEndian(entry.type.rawValue, to: &out)
            Self.appendLittleEndian(UInt64(offset), to: &out)
            offset = padded(offset + entry.byteCount)
        }
        out += [UInt8](repeating: 0, count: padded(out.count) - out.count)
        return out
    }

    /// Produces the whole file, in pieces, through `sink`.
    private func emit(_ sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try header().withUnsafeBytes { try sink($0) }
        let zeros = [UInt8](repeating: 0, count: min(alignment, 4096))
        for entry in entries {
            switch entry.payload {
            case let .tensor(tensor): try Self.emit(tensor, as: entry.type, to: sink)
            case let .blocks(bytes): try bytes.withUnsafeBytes { try sink($0) }
            }
            var padding = padded(entry.byteCount) - entry.byteCount
            while padding > 0 {
                let n = min(padding, zeros.count)
                try zeros.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[0 ..< n])) }
                padding -= n
            }
        }
    }

    private static func emit(_ tensor: Tensor, as type: GGUFTensorType,
                             to sink: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        let encoding: FloatEncoding = type == .f16 ? .f16 : type == .bf16 ? .bf16 : .f32
        try encoding.emit(tensor, to: sink)
    }

    // MARK: Encoding (also used by the tests that build malformed files)

    static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    static func appendString(_ string: String, to out: inout [UInt8]) {
        appendLittleEndian(UInt64(string.utf8.count), to: &out)
        out.append(contentsOf: string.utf8)
    }

    /// Appends `value`'s payload (without its type code) as GGUF stores it.
    static func encode(_ value: GGUFValue, into out: inout [UInt8]) {
        switch value {
        case let .uint8(v): out.append(v)
        case let .int8(v): out.append(UInt8(bitPattern: v))
        case let .uint16(v): appendLittleEndian(v, to: &out)
        case let .int16(v): appendLittleEndian(v, to: &out)
        case let .uint32(v): appendLittleEndian(v, to: &out)
        case let .int32(v): appendLittleEndian(v, to: &out)
        case let .float32(v): appendLittleEndian(v.bitPattern, to: &out)
        case let .bool(v): out.append(v ? 1 : 0)
        case let .string(v): appendString(v, to: &out)
        case let .array(elementType, elements):
            appendLittleEndian(elementType.rawValue, to: &out)
            appendLittleEndian(UInt64(elements.count), to: &out)
            for element in elements { encode(element, into: &out) }
        case let .uint64(v): appendLittleEndian(v, to: &out)
        case let .int64(v): appendLittleEndian(v, to: &out)
        case let .float64(v): appendLittleEndian(v.bitPattern, to: &out)
        }
    }
}
