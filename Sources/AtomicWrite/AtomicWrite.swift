#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A file could not be written by ``AtomicWrite``.
///
/// Charts and Tokenizer import nothing of TensorCore (every layer draws figures; Tokenizer stands
/// beside TensorCore), so they cannot use TensorCore's streaming `AtomicFileWriter`; this target
/// imports nothing and follows the same rule for a whole buffer: only a regular file is created or
/// replaced, so `--out /dev/full` or a FIFO is refused rather than replaced by a regular file
/// through `rename(2)`.
public enum AtomicWriteError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The destination exists and is not a regular file: `kind` says what it is
    /// (`a directory`, `a character device`, …). For a symbolic link, `path` is the link's target.
    case notRegularFile(path: String, kind: String)
    /// The URL names a directory: an empty path (the current directory), `.`, or one ending in `/`.
    case directoryPath(path: String)
    /// A system call failed: `operation` (`inspect`, `create`, `write`, `sync`, `rename`) on `path`, with `errno` `code`.
    case systemCall(operation: String, path: String, code: Int32)

    /// For example `refusing to write /dev/full: it is a character device; only a regular file is created or replaced`.
    public var description: String {
        switch self {
        case let .notRegularFile(path, kind):
            "refusing to write \(path): it is \(kind); only a regular file is created or replaced"
        case let .directoryPath(path):
            "cannot write \(path): the path names a directory, not a file (an empty path is the current directory)"
        case let .systemCall(operation, path, code):
            "cannot \(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}

/// Writes a whole file atomically (temporary file in the same directory, `fsync`, `rename`),
/// replacing only a regular file; a symbolic link to a regular file is followed and its target
/// replaced. The destination is checked when the write starts and again just before the rename.
public enum AtomicWrite {
    /// Writes `data` to `url`.
    /// - Throws: ``AtomicWriteError``: the destination is a directory, device, FIFO, socket or a
    ///   link to one, or a system call failed.
    public static func write(_ data: Data, to url: URL) throws(AtomicWriteError) {
        if url.hasDirectoryPath { throw .directoryPath(path: url.path) }
        var target = url.path
        if try kind(of: target) == "a symbolic link" {
            guard let resolved = realpath(target, nil) else { throw .systemCall(operation: "resolve", path: target, code: errno) }
            target = String(cString: resolved)
            free(resolved)
        }
        if let kind = try kind(of: target) { throw .notRegularFile(path: target, kind: kind) }
        let targetURL = URL(fileURLWithPath: target, isDirectory: false)
        let temporary = targetURL.deletingLastPathComponent()
            .appendingPathComponent(".\(targetURL.lastPathComponent).\(String(UInt64.random(in: 0 ... .max) & 0xFFFF_FFFF_FFFF, radix: 36)).partial").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw .systemCall(operation: "create", path: temporary, code: errno) }
        var failure: AtomicWriteError?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = systemWrite(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = .systemCall(operation: "write", path: temporary, code: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .systemCall(operation: "sync", path: temporary, code: errno) }
        close(fd)
        if failure == nil {
            // Checked again just before the rename: something else may have appeared meanwhile.
            do { if let kind = try kind(of: target) { failure = .notRegularFile(path: target, kind: kind) } }
            catch { failure = error }
        }
        if failure == nil, rename(temporary, target) != 0 { failure = .systemCall(operation: "rename", path: target, code: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// What `path` is when it is not a regular file (`nil` for a regular file or nothing).
    private static func kind(of path: String) throws(AtomicWriteError) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw .systemCall(operation: "inspect", path: path, code: errno)
        }
        switch UInt32(info.st_mode) & 0o170000 {
        case 0o100000: return nil
        case 0o040000: return "a directory"
        case 0o020000: return "a character device"
        case 0o060000: return "a block device"
        case 0o010000: return "a FIFO (named pipe)"
        case 0o140000: return "a socket"
        case 0o120000: return "a symbolic link"
        case let other: return "a file of type 0o\(String(other, radix: 8))"
        }
    }
}

/// `write(2)`, outside the enum so that the name does not resolve to `AtomicWrite.write(_:to:)`.
private func systemWrite(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
