import Foundation

/// A GGUF file (llama.cpp's format) opened for reading: memory-mapped, with its whole header
/// validated up front and each tensor dequantised only when asked for.
///
/// ```swift
/// let file = try GGUFFile(contentsOf: url)
/// let layers = file.integer(forKey: "llama.block_count")
/// let tokens = file.strings(forKey: "tokenizer.ggml.tokens")
/// let embedding = try file.tensor(named: "token_embd.weight")   // Q4_1 -> Float, shape [vocab, hidden]
/// ```
///
/// GGUF lists dimensions fastest-varying first; ``tensor(named:)`` returns the row-major shape, which
/// is that list reversed (a ggml `ne = [cols, rows]` matrix has shape `[rows, cols]`). Opening checks
/// every structural fault (see ``GGUFError``), so the accessors can only fail for a missing name or a
/// type that is not dequantised. The file must not be modified in place while it is open.
public struct GGUFFile: Sendable {
    /// The deepest nesting of arrays inside a metadata value that is accepted.
    public static let maximumArrayNesting = 16

    /// The file's location.
    public let url: URL
    /// The format version (2 or 3).
    public let version: UInt32
    /// All metadata key/value pairs.
    public let metadata: [String: GGUFValue]
    /// The metadata keys in file order.
    public let metadataKeys: [String]
    /// Every tensor's entry, in file order.
    public let tensorInfos: [GGUFTensorInfo]
    /// The data section's alignment (`general.alignment`, 32 by default).
    public let alignment: Int
    /// The data section's offset in the file.
    public let dataOffset: Int

    private let mapping: MemoryMappedFile
    private let index: [String: Int]

    /// Opens, maps and validates the GGUF file at `url`.
    /// - Throws: ``GGUFError`` naming the first fault found.
    public init(contentsOf url: URL) throws(GGUFError) {
        let mapping = try MemoryMappedFile(contentsOf: url, reportingErrorsAs: GGUFError.self)
        let header = try GGUFHeader.parse(mapping.bytes, path: url.path)
        self.url = url
        self.mapping = mapping
        self.version = header.version
        self.metadata = header.metadata
        self.metadataKeys = header.metadataKeys
        self.tensorInfos = header.tensors
        self.alignment = header.alignment
        self.dataOffset = header.dataOffset
        self.index = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
    }

    private var path: String { url.path }

    /// The tensor names in file order.
    public var tensorNames: [String] { tensorInfos.map(\.name) }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { index[name] != nil }

    /// The entry of the tensor called `name`.
    /// - Throws: ``GGUFError/tensorNotFound(path:tensor:)``.
    public func info(named name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let i = index[name] else { throw .tensorNotFound(path: path, tensor: name) }
        return tensorInfos[i]
    }

    /// The tensor called `name`, dequantised to `Float` exactly as ggml does, with the row-major
    /// shape (ggml's dimensions reversed).
    /// - Throws: ``GGUFError/tensorNotFound(path:tensor:)`` or
    ///   ``GGUFError/unsupportedTensorType(path:tensor:type:)``.
    public func tensor(named name: String) throws(GGUFError) -> Tensor {
        let info = try info(named: name)
        guard info.type.isDequantizable else { throw .unsupportedTensorType(path: path, tensor: name, type: info.type) }
        let bytes = rawBuffer(info)
        #if _endian(little)
        if info.type == .f32, info.elementCount > 0, let base = bytes.baseAddress,
           Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            return Tensor(shape: info.shape, borrowing: base.bindMemory(to: Float.self, capacity: info.elementCount),
                          owner: mapping)
        }
        #endif
        let type = info.type
        let blocks = info.elementCount / type.blockSize
        return Tensor(shape: info.shape) { buffer in
            guard let out = buffer.baseAddress else { return }
            let destination = UncheckedSendableBox(out)
            Parallelism.forEachChunk(count: blocks, minimumChunk: max(1, 65_536 / type.blockSize)) { range in
                let source = UnsafeRawBufferPointer(
                    rebasing: bytes[range.lowerBound * type.bytesPerBlock ..< range.upperBound * type.bytesPerBlock])
                let target = UnsafeMutableBufferPointer(start: destination.value + range.lowerBound * type.blockSize,
                                                        count: range.count * type.blockSize)
                GGUFDequantization.dequantize(type, from: source, into: target)
            }
        }
    }

    /// Calls `body` with the stored (little-endian) blocks of the tensor called `name`, whatever its
    /// type, without copying them; use it to keep quantised weights quantised. The buffer must not
    /// escape `body`.
    /// - Throws: ``GGUFError/tensorNotFound(path:tensor:)``, or what `body` throws.
    public func withUnsafeRawBytes<Result>(ofTensorNamed name: String,
                                           _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let bytes = rawBuffer(try info(named: name))
        return try withExtendedLifetime(mapping) { try body(bytes) }
    }

    /// A copy of the stored bytes of the tensor called `name`.
    /// - Throws: ``GGUFError/tensorNotFound(path:tensor:)``.
    public func rawBytes(ofTensorNamed name: String) throws(GGUFError) -> [UInt8] {
        Array(rawBuffer(try info(named: name)))
    }

    /// The tensor's bytes inside the mapping (validated at open time).
    private func rawBuffer(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + info.offset
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start ..< start + info.byteCount])
    }

    // MARK: Typed metadata

    /// The string stored under `key`, or `nil` when absent or not a string.
    public func string(forKey key: String) -> String? { metadata[key]?.stringValue }
    /// The integer (of any GGUF integer type) stored under `key`, or `nil`.
    public func integer(forKey key: String) -> Int? { metadata[key]?.intValue }
    /// The number (floating-point or integer) stored under `key` as a `Double`, or `nil`.
    public func float(forKey key: String) -> Double? { metadata[key]?.doubleValue }
    /// The boolean stored under `key`, or `nil`.
    public func bool(forKey key: String) -> Bool? { metadata[key]?.boolValue }
    /// The array of strings stored under `key`, or `nil`.
    public func strings(forKey key: String) -> [String]? { metadata[key]?.stringArray }
    /// The array of integers stored under `key`, or `nil`.
    public func integers(forKey key: String) -> [Int]? { metadata[key]?.intArray }
    /// The array of numbers stored under `key` as `Double`s, or `nil`.
    public func floats(forKey key: String) -> [Double]? { metadata[key]?.doubleArray }

    /// The key/value pairs whose key starts with `prefix`, in file order: for example
    /// `metadata(withPrefix: "tokenizer.")`, the tokenizer a file carries, to copy into another file
    /// with ``GGUFWriter/setValue(_:forKey:)``.
    public func metadata(withPrefix prefix: String) -> [(key: String, value: GGUFValue)] {
        metadataKeys.compactMap { key in
            guard key.hasPrefix(prefix), let value = metadata[key] else { return nil }
            return (key, value)
        }
    }
}

/// Carries a pointer into `Parallelism`'s worker closures (each writes a disjoint range).
private struct UncheckedSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
