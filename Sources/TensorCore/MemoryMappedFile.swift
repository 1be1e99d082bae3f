#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A whole file mapped read-only into memory: what the safetensors and GGUF readers open.
///
/// The mapping lives as long as the object; tensors borrowing its bytes keep it alive. The file must
/// not be truncated or rewritten in place while mapped (replacing it by rename, as
/// ``AtomicFileWriter`` does, is safe): reading a page that no longer exists raises `SIGBUS`.
///
/// Opening and mapping exist once, here, for every format; each reader gets the failures as cases
/// of its own error type (see ``FileMappingError``), so a caller of ``SafetensorsFile`` only ever
/// sees a ``SafetensorsError`` and a caller of ``GGUFFile`` a ``GGUFError``, naming the path.
///
/// ```swift
/// let mapping = try MemoryMappedFile(contentsOf: url, reportingErrorsAs: GGUFError.self)
/// ```
public final class MemoryMappedFile: @unchecked Sendable {
    /// The mapped file.
    public let url: URL
    /// The file's bytes (read-only).
    public let bytes: UnsafeRawBufferPointer

    /// Maps the file at `url`, reporting failures as cases of `Failure`.
    /// - Throws: `Failure.cannotOpenFile` when the file cannot be opened, inspected or is not a
    ///   regular file, `Failure.emptyFile` when it has no bytes (a zero-length mapping is not
    ///   possible), `Failure.mappingFailed` when `mmap` fails.
    public init<Failure: FileMappingError>(contentsOf url: URL, reportingErrorsAs _: Failure.Type) throws(Failure) {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpenFile(path: path, reason: Self.systemMessage(errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpenFile(path: path, reason: Self.systemMessage(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpenFile(path: path, reason: "not a regular file") }
        guard info.st_size > 0 else { throw .emptyFile(path: path) }
        guard let size = Int(exactly: info.st_size) else { throw .mappingFailed(path: path, reason: "file too large") }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw .mappingFailed(path: path, reason: Self.systemMessage(errno))
        }
        self.url = url
        self.bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Number of bytes in the file.
    public var count: Int { bytes.count }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    static func systemMessage(_ code: Int32) -> String {
        String(cString: strerror(code)) + " (errno \(code))"
    }
}
