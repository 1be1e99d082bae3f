import Foundation

/// A safetensors file opened for reading: memory-mapped, with its header validated up front and
/// each tensor converted only when asked for.
///
/// ```swift
/// let file = try SafetensorsFile(contentsOf: url)
/// for name in file.tensorNames { print(name, try file.info(for: name).shape) }
/// let embedding = try file.tensor(named: "model.embed_tokens.weight")   // F32, F16 or BF16 -> Float
/// let ids = try file.int32s(named: "input_ids")
/// ```
///
/// Opening checks the whole header (see ``SafetensorsError`` for every fault reported), so the
/// accessors can only fail for a missing name or a dtype they do not read. Aligned `F32` data is not
/// copied: the returned ``Tensor`` borrows the mapping and keeps it alive. The file must not be
/// modified in place while it is open; replacing it by rename (``SafetensorsWriter`` does) is safe.
public struct SafetensorsFile: Sendable {
    /// The file's location.
    public let url: URL
    /// The names of all tensors, sorted.
    public let tensorNames: [String]
    /// The header's `__metadata__` map (empty when absent).
    public let metadata: [String: String]

    private let mapping: MemoryMappedFile
    private let infos: [String: SafetensorsTensorInfo]
    private let dataOffset: Int

    /// Opens, maps and validates the safetensors file at `url`.
    /// - Throws: ``SafetensorsError`` naming the first fault found.
    public init(contentsOf url: URL) throws(SafetensorsError) {
        let mapping = try MemoryMappedFile(contentsOf: url, reportingErrorsAs: SafetensorsError.self)
        let header = try SafetensorsHeader.parse(mapping.bytes, path: url.path)
        self.url = url
        self.mapping = mapping
        self.tensorNames = header.names
        self.metadata = header.metadata
        self.infos = header.tensors
        self.dataOffset = header.dataOffset
    }

    /// The path used in error messages.
    private var path: String { url.path }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { infos[name] != nil }

    /// The dtype, shape and byte range of every tensor, sorted by name.
    public var tensorInfos: [SafetensorsTensorInfo] { tensorNames.compactMap { infos[$0] } }

    /// The dtype, shape and byte range of the tensor called `name`.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``.
    public func info(for name: String) throws(SafetensorsError) -> SafetensorsTensorInfo {
        guard let info = infos[name] else { throw .tensorNotFound(path: path, tensor: name) }
        return info
    }

    /// The tensor called `name` as `Float`s; `F16` and `BF16` are converted exactly, and `F32` data
    /// aligned to 4 bytes is borrowed from the mapping without a copy.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``,
    ///   ``SafetensorsError/unsupportedDType(path:tensor:dtype:)`` or
    ///   ``SafetensorsError/dtypeMismatch(path:tensor:requested:actual:)`` for an integer tensor.
    public func tensor(named name: String) throws(SafetensorsError) -> Tensor {
        let info = try info(for: name)
        guard info.dtype.isSupported else { throw .unsupportedDType(path: path, tensor: name, dtype: info.dtype) }
        let bytes = rawBuffer(info)
        let count = info.elementCount
        switch info.dtype {
        case .f32:
            #if _endian(little)
            if count > 0, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                let pointer = base.bindMemory(to: Float.self, capacity: count)
                return Tensor(shape: info.shape, borrowing: pointer, owner: mapping)
            }
            #endif
            return Tensor(shape: info.shape) { buffer in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
            }
        case .f16:
            return Tensor(shape: info.shape) { HalfPrecision.decodeFloat16(littleEndian: bytes, into: $0) }
        case .bf16:
            return Tensor(shape: info.shape) { HalfPrecision.decodeBFloat16(littleEndian: bytes, into: $0) }
        default:
            throw .dtypeMismatch(path: path, tensor: name, requested: "F32, F16 or BF16", actual: info.dtype)
        }
    }

    /// The elements of the `I32` tensor called `name`, in row-major order.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)`` or
    ///   ``SafetensorsError/dtypeMismatch(path:tensor:requested:actual:)``.
    public func int32s(named name: String) throws(SafetensorsError) -> [Int32] {
        let bytes = try rawBuffer(named: name, requiring: .i32)
        return (0 ..< bytes.count / 4).map { Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self)) }
    }

    /// The elements of the `I64` tensor called `name`, in row-major order.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)`` or
    ///   ``SafetensorsError/dtypeMismatch(path:tensor:requested:actual:)``.
    public func int64s(named name: String) throws(SafetensorsError) -> [Int64] {
        let bytes = try rawBuffer(named: name, requiring: .i64)
        return (0 ..< bytes.count / 8).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
    }

    /// The elements of the `U8` tensor called `name`, in row-major order.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)`` or
    ///   ``SafetensorsError/dtypeMismatch(path:tensor:requested:actual:)``.
    public func bytes(named name: String) throws(SafetensorsError) -> [UInt8] {
        Array(try rawBuffer(named: name, requiring: .u8))
    }

    /// A copy of the stored (little-endian) bytes of the tensor called `name`, whatever its dtype.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``.
    public func rawBytes(named name: String) throws(SafetensorsError) -> [UInt8] {
        Array(rawBuffer(try info(for: name)))
    }

    /// Calls `body` with the stored (little-endian) bytes of the tensor called `name`, whatever its
    /// dtype, without copying them. The buffer must not escape `body`.
    /// - Throws: ``SafetensorsError/tensorNotFound(path:tensor:)``, or what `body` throws.
    public func withUnsafeRawBytes<Result>(ofTensorNamed name: String,
                                           _ body: (UnsafeRawBufferPointer) throws -> Result) throws -> Result {
        let bytes = rawBuffer(try info(for: name))
        return try withExtendedLifetime(mapping) { try body(bytes) }
    }

    private func rawBuffer(named name: String, requiring dtype: SafetensorsDType) throws(SafetensorsError) -> UnsafeRawBufferPointer {
        let info = try info(for: name)
        guard info.dtype == dtype else {
            throw .dtypeMismatch(path: path, tensor: name, requested: dtype.rawValue, actual: info.dtype)
        }
        return rawBuffer(info)
    }

    /// The tensor's bytes inside the mapping (validated at open time to lie inside the data section).
    private func rawBuffer(_ info: SafetensorsTensorInfo) -> UnsafeRawBufferPointer {
        let start = dataOffset + info.byteRange.lowerBound
        return UnsafeRawBufferPointer(rebasing: mapping.bytes[start ..< start + info.byteRange.count])
    }
}
