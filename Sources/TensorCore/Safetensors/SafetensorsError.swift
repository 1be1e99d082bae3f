import Foundation

/// Why a safetensors file could not be read or written.
///
/// Each case names the fault and carries the file's path and, where one is involved, the tensor's name
/// and the offending value, so that the message alone locates the problem.
public enum SafetensorsError: FileMappingError, Sendable, Equatable {
    /// The file could not be opened or inspected (`reason` is the system's message).
    case cannotOpenFile(path: String, reason: String)
    /// The file is empty.
    case emptyFile(path: String)
    /// The file could not be memory-mapped (`reason` is the system's message).
    case mappingFailed(path: String, reason: String)
    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    case truncatedFile(path: String, byteCount: Int)
    /// The header length points past the end of the file.
    case headerLengthPastEndOfFile(path: String, headerLength: UInt64, fileSize: Int)
    /// The header is not valid UTF-8.
    case headerNotUTF8(path: String)
    /// The header is not valid JSON (`reason` is the parser's message).
    case headerNotJSON(path: String, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(path: String)
    /// The header names the same key twice.
    case duplicateTensorName(path: String, tensor: String)
    /// A tensor's entry is not a JSON object.
    case entryNotObject(path: String, tensor: String, value: String)
    /// A tensor's entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(path: String, tensor: String, field: String)
    /// A tensor's field has the wrong JSON type or an impossible value (for example a fractional,
    /// boolean, negative or too large number where a byte offset belongs).
    case invalidField(path: String, tensor: String, field: String, value: String)
    /// `__metadata__` is not an object whose values are all strings.
    case invalidMetadata(path: String, value: String)
    /// The dtype is not a safetensors type name.
    case unknownDType(path: String, tensor: String, dtype: String)
    /// The dtype is a safetensors type that this library does not convert.
    case unsupportedDType(path: String, tensor: String, dtype: SafetensorsDType)
    /// A dimension of the shape is negative.
    case negativeDimension(path: String, tensor: String, shape: [Int])
    /// The shape's byte count does not fit in an `Int`.
    case shapeTooLarge(path: String, tensor: String, shape: [Int])
    /// The shape and dtype call for `expectedByteCount` bytes, but the offsets span `actualByteCount`.
    case byteCountMismatch(path: String, tensor: String, shape: [Int], dtype: SafetensorsDType,
                           expectedByteCount: Int, actualByteCount: Int)
    /// The offsets are reversed or reach past the data section.
    case offsetsOutOfBounds(path: String, tensor: String, begin: Int, end: Int, dataByteCount: Int)
    /// The byte ranges of two tensors overlap.
    case overlappingTensors(path: String, tensor: String, otherTensor: String)
    /// No tensor has this name.
    case tensorNotFound(path: String, tensor: String)
    /// The tensor's dtype is not what the accessor reads (`requested` lists what it accepts).
    case dtypeMismatch(path: String, tensor: String, requested: String, actual: SafetensorsDType)
    /// A tensor handed to ``SafetensorsWriter`` cannot be written (empty or reserved name, duplicate,
    /// shape not matching the element count, non-floating dtype for a ``Tensor``).
    case invalidTensorToWrite(tensor: String, reason: String)
}

extension SafetensorsError: CustomStringConvertible, LocalizedError {
    /// A one-line message naming the file, the tensor and the fault.
    public var description: String {
        switch self {
        case let .cannotOpenFile(path, reason):
            "\(path): cannot open file: \(reason)"
        case let .emptyFile(path):
            "\(path): the file is empty"
        case let .mappingFailed(path, reason):
            "\(path): cannot memory-map the file: \(reason)"
        case let .truncatedFile(path, byteCount):
            "\(path): truncated safetensors file: \(byteCount) bytes, fewer than the 8-byte header length"
        case let .headerLengthPastEndOfFile(path, headerLength, fileSize):
            "\(path): header length \(headerLength) reaches past the end of the \(fileSize)-byte file"
        case let .headerNotUTF8(path):
            "\(path): the header is not valid UTF-8"
        case let .headerNotJSON(path, reason):
            "\(path): the header is not valid JSON: \(reason)"
        case let .headerNotObject(path):
            "\(path): the header is not a JSON object"
        case let .duplicateTensorName(path, tensor):
            "\(path): the header names '\(tensor)' more than once"
        case let .entryNotObject(path, tensor, value):
            "\(path): the entry for tensor '\(tensor)' is not an object: \(value)"
        case let .missingField(path, tensor, field):
            "\(path): tensor '\(tensor)' has no '\(field)' field"
        case let .invalidField(path, tensor, field, value):
            "\(path): tensor '\(tensor)' has an invalid '\(field)': \(value)"
        case let .invalidMetadata(path, value):
            "\(path): '__metadata__' must be an object of strings, found \(value)"
        case let .unknownDType(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has unknown dtype '\(dtype)'"
        case let .unsupportedDType(path, tensor, dtype):
            "\(path): tensor '\(tensor)' has dtype \(dtype), which is not supported (F32, F16, BF16, I32, I64, U8 are)"
        case let .negativeDimension(path, tensor, shape):
            "\(path): tensor '\(tensor)' has a negative dimension in shape \(shape)"
        case let .shapeTooLarge(path, tensor, shape):
            "\(path): tensor '\(tensor)' has shape \(shape), too large to address"
        case let .byteCountMismatch(path, tensor, shape, dtype, expected, actual):
            "\(path): tensor '\(tensor)' of shape \(shape) and dtype \(dtype) needs \(expected) bytes, but its data_offsets span \(actual)"
        case let .offsetsOutOfBounds(path, tensor, begin, end, dataByteCount):
            begin > end
                ? "\(path): tensor '\(tensor)' has reversed data_offsets [\(begin), \(end)]"
                : "\(path): tensor '\(tensor)' has data_offsets [\(begin), \(end)] past the \(dataByteCount)-byte data section"
        case let .overlappingTensors(path, tensor, otherTensor):
            "\(path): the data of tensors '\(otherTensor)' and '\(tensor)' overlap"
        case let .tensorNotFound(path, tensor):
            "\(path): no tensor named '\(tensor)'"
        case let .dtypeMismatch(path, tensor, requested, actual):
            "\(path): tensor '\(tensor)' has dtype \(actual), but \(requested) was requested"
        case let .invalidTensorToWrite(tensor, reason):
            "cannot write tensor '\(tensor)': \(reason)"
        }
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
