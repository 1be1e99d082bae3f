import Foundation

/// Why a GGUF file could not be read, or why ``GGUFWriter`` refused a tensor or metadata value.
///
/// Each reading case names the fault and carries the file's path and, where one is involved, the key
/// or tensor name, the byte offset and the offending value, so that the message alone locates the
/// problem. Opening a file checks its whole header, so every structural fault is reported by
/// ``GGUFFile/init(contentsOf:)``; the tensor accessors can only fail for a missing name or a type
/// they do not dequantise. The two writing cases are thrown when a value is added to a
/// ``GGUFWriter``, before anything touches the disk.
public enum GGUFError: FileMappingError, Sendable, Equatable {
    /// The file could not be opened or inspected (`reason` is the system's message).
    case cannotOpenFile(path: String, reason: String)
    /// The file is empty.
    case emptyFile(path: String)
    /// The file could not be memory-mapped (`reason` is the system's message).
    case mappingFailed(path: String, reason: String)
    /// The file does not start with the four bytes `GGUF`.
    case badMagic(path: String, found: [UInt8])
    /// The header's version is not 2 or 3 (version 1 used 32-bit counts and is not read).
    case unsupportedVersion(path: String, version: UInt32)
    /// The header ends before `what` (`byteCount` bytes at `offset`) could be read.
    case truncatedHeader(path: String, what: String, offset: Int, byteCount: Int)
    /// A string's length reaches past the end of the file.
    case stringLengthPastEnd(path: String, offset: Int, length: UInt64)
    /// An array's element count reaches past the end of the file.
    case arrayLengthPastEnd(path: String, key: String, offset: Int, count: UInt64)
    /// A string (key, tensor name) is not valid UTF-8.
    case invalidUTF8(path: String, offset: Int)
    /// A metadata value's type code is not a GGUF value type.
    case unknownValueType(path: String, key: String, rawType: UInt32)
    /// Arrays are nested deeper than ``GGUFFile/maximumArrayNesting``.
    case arrayNestingTooDeep(path: String, key: String)
    /// Two metadata entries have the same key.
    case duplicateKey(path: String, key: String)
    /// The header announces more tensors or key/value pairs than the file could possibly hold.
    case absurdCount(path: String, what: String, count: UInt64)
    /// `general.alignment` is not a non-zero power of two stored as an unsigned 32-bit integer.
    case invalidAlignment(path: String, value: String)
    /// Two tensors have the same name.
    case duplicateTensorName(path: String, tensor: String)
    /// A tensor's dimension count is above 4 (ggml's maximum).
    case dimensionCountOutOfRange(path: String, tensor: String, dimensionCount: UInt32)
    /// A dimension is larger than `Int64.max`, or the element or byte count overflows.
    case tensorTooLarge(path: String, tensor: String, dimensions: [UInt64])
    /// A tensor's type code is not a ggml type.
    case unknownTensorType(path: String, tensor: String, rawType: UInt32)
    /// The innermost dimension (the row length) is not a multiple of the type's block size.
    case rowLengthNotDivisibleByBlockSize(path: String, tensor: String, type: GGUFTensorType,
                                          rowLength: Int, blockSize: Int)
    /// A tensor's offset is not a multiple of the file's alignment.
    case misalignedTensorOffset(path: String, tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes reach past the end of the data section.
    case tensorDataOutOfBounds(path: String, tensor: String, offset: UInt64, byteCount: Int, dataByteCount: Int)
    /// The byte ranges of two tensors overlap.
    case overlappingTensors(path: String, tensor: String, otherTensor: String)
    /// No tensor has this name.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's type is a valid ggml type that this library does not dequantise.
    case unsupportedTensorType(path: String, tensor: String, type: GGUFTensorType)
    /// ``GGUFWriter`` cannot store this tensor (a duplicate name, an invalid shape or type, or a byte
    /// count that does not match the shape).
    case invalidTensorToWrite(tensor: String, reason: String)
    /// ``GGUFWriter`` cannot store this metadata value (a reserved key, or an array whose elements do
    /// not all have its element type or that nests too deeply for the reader).
    case invalidMetadataToWrite(key: String, reason: String)
}

extension GGUFError: CustomStringConvertible, LocalizedError {
    /// A one-line message naming the file, the key or tensor, and the fault.
    public var description: String {
        switch self {
        case let .cannotOpenFile(path, reason): "\(path): cannot open file: \(reason)"
        case let .emptyFile(path): "\(path): file is empty"
        case let .mappingFailed(path, reason): "\(path): cannot memory-map file: \(reason)"
        case let .badMagic(path, found): "\(path): not a GGUF file (magic bytes \(found))"
        case let .unsupportedVersion(path, version): "\(path): unsupported GGUF version \(version) (2 and 3 are read)"
        case let .truncatedHeader(path, what, offset, byteCount):
            "\(path): header truncated: \(what) needs \(byteCount) bytes at offset \(offset)"
        case let .stringLengthPastEnd(path, offset, length):
            "\(path): string at offset \(offset) has length \(length), past the end of the file"
        case let .arrayLengthPastEnd(path, key, offset, count):
            "\(path): array '\(key)' at offset \(offset) has \(count) elements, past the end of the file"
        case let .invalidUTF8(path, offset): "\(path): string at offset \(offset) is not valid UTF-8"
        case let .unknownValueType(path, key, rawType): "\(path): metadata '\(key)' has unknown value type \(rawType)"
        case let .arrayNestingTooDeep(path, key): "\(path): metadata '\(key)' nests arrays too deeply"
        case let .duplicateKey(path, key): "\(path): metadata key '\(key)' appears twice"
        case let .absurdCount(path, what, count): "\(path): \(count) \(what) cannot fit in the file"
        case let .invalidAlignment(path, value): "\(path): general.alignment \(value) is not a non-zero power of two (UINT32)"
        case let .duplicateTensorName(path, tensor): "\(path): tensor '\(tensor)' appears twice"
        case let .dimensionCountOutOfRange(path, tensor, n): "\(path): tensor '\(tensor)' has \(n) dimensions (at most 4)"
        case let .tensorTooLarge(path, tensor, dims): "\(path): tensor '\(tensor)' with dimensions \(dims) is too large"
        case let .unknownTensorType(path, tensor, rawType): "\(path): tensor '\(tensor)' has unknown type \(rawType)"
        case let .rowLengthNotDivisibleByBlockSize(path, tensor, type, rowLength, blockSize):
            "\(path): tensor '\(tensor)' of type \(type) has rows of \(rowLength) elements, not a multiple of the block size \(blockSize)"
        case let .misalignedTensorOffset(path, tensor, offset, alignment):
            "\(path): tensor '\(tensor)' offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorDataOutOfBounds(path, tensor, offset, byteCount, dataByteCount):
            "\(path): tensor '\(tensor)' (\(byteCount) bytes at offset \(offset)) reaches past the data section (\(dataByteCount) bytes)"
        case let .overlappingTensors(path, tensor, other): "\(path): tensors '\(tensor)' and '\(other)' overlap"
        case let .tensorNotFound(path, tensor): "\(path): no tensor named '\(tensor)'"
        case let .unsupportedTensorType(path, tensor, type): "\(path): tensor '\(tensor)' has type \(type), which is not dequantised"
        case let .invalidTensorToWrite(tensor, reason): "cannot write tensor '\(tensor)' to GGUF: \(reason)"
        case let .invalidMetadataToWrite(key, reason): "cannot write metadata '\(key)' to GGUF: \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
