#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes a file so that readers see either the old file or the complete new one, never a part.
///
/// Bytes go to a temporary file in the destination's directory; ``commit()`` flushes them to disk
/// (`fsync`), renames the temporary file over the destination and syncs the directory. If the writer
/// is abandoned, ``abort()`` is called or ``write(to:_:)``'s body throws, the temporary file is removed
/// and the destination is untouched.
///
/// ```swift
/// try AtomicFileWriter.write(to: url) { file in
///     try file.write(header)
///     try file.write(payload)
/// }
/// ```
///
/// Only a regular file is ever replaced: the destination must be absent, a regular file, or a
/// symbolic link that resolves to a regular file (then the link is kept and its target replaced, the
/// temporary file living in the target's directory, so that the rename stays on one file system). A
/// directory, device, FIFO or socket, or a link to one, is refused with
/// ``AtomicFileDestinationError`` — renaming over `/dev/full` as root would otherwise replace the
/// device node. The check runs when the writer is created and again just before the rename, which
/// narrows (but, short of `renameat2` flags Linux does not offer for this, cannot close) the window in
/// which another process could put something else there.
///
/// Small writes are buffered. A writer is used from one thread at a time.
public final class AtomicFileWriter {
    /// The file that ``commit()`` creates or replaces, as given.
    public let destination: URL
    /// The file actually replaced: ``destination``, or the regular file it links to.
    public let target: URL
    /// The temporary file that receives the bytes until ``commit()``.
    public let temporaryURL: URL

    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var finished = false
    private static let bufferCapacity = 1 << 20

    /// Creates a temporary file next to `destination` (or next to the regular file it links to;
    /// permissions as for a new file: `0666` minus the umask).
    /// - Throws: ``AtomicFileDestinationError`` if `destination` is neither absent nor a regular file
    ///   (nor a link to one), ``AtomicFileWriteError`` if it cannot be examined or the temporary file
    ///   cannot be created.
    public init(destination: URL) throws {
        self.destination = destination
        let target = try Self.target(of: destination)
        self.target = target
        let directory = target.deletingLastPathComponent()
        let name = target.lastPathComponent
        var generator = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            let suffix = String(generator.next() & 0xFFFF_FFFF_FFFF, radix: 36)
            let candidate = directory.appendingPathComponent(".\(name).\(suffix).partial")
            let fd = open(candidate.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                self.temporaryURL = candidate
                self.descriptor = fd
                break
            }
            let code = errno
            attempt += 1
            if code != EEXIST || attempt >= 100 {
                throw AtomicFileWriteError(path: candidate.path, operation: .create, code: code)
            }
        }
        buffer.reserveCapacity(Self.bufferCapacity)
    }

    deinit {
        abort()
    }

    /// Appends `bytes` to the file.
    /// - Throws: ``AtomicFileWriteError``; the writer is then aborted (temporary file removed). Writing
    ///   after ``commit()`` or ``abort()`` throws with code `EBADF`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw AtomicFileWriteError(path: temporaryURL.path, operation: .write, code: EBADF) }
        if buffer.count + bytes.count <= Self.bufferCapacity {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count < Self.bufferCapacity {
            buffer.append(contentsOf: bytes)
        } else {
            try writeFully(bytes)
        }
    }

    /// Appends `bytes` to the file.
    /// - Throws: ``AtomicFileWriteError``; the writer is then aborted (temporary file removed).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) in try write(raw) }
    }

    /// Appends `data` to the file.
    /// - Throws: ``AtomicFileWriteError``; the writer is then aborted (temporary file removed).
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { (raw) in try write(raw) }
    }

    /// Flushes the bytes to disk and atomically replaces ``target`` (``destination`` or the regular
    /// file it links to) with them.
    /// - Throws: ``AtomicFileWriteError``, or ``AtomicFileDestinationError`` when something other than
    ///   a regular file has appeared at ``target`` since the writer was created; the temporary file is
    ///   removed and the destination untouched.
    ///   Committing twice, or after ``abort()`` or a failed write, throws with code `EBADF`.
    public func commit() throws {
        guard !finished else { throw AtomicFileWriteError(path: temporaryURL.path, operation: .rename, code: EBADF) }
        do {
            try flush()
            guard fsync(descriptor) == 0 else { throw AtomicFileWriteError(path: temporaryURL.path, operation: .sync, code: errno) }
            let fd = descriptor
            descriptor = -1
            guard close(fd) == 0 else { throw AtomicFileWriteError(path: temporaryURL.path, operation: .close, code: errno) }
            try Self.checkReplaceable(target.path)
            guard rename(temporaryURL.path, target.path) == 0 else {
                throw AtomicFileWriteError(path: target.path, operation: .rename, code: errno)
            }
        } catch {
            abort()
            throw error
        }
        finished = true
        // Make the rename itself durable; a failure here leaves a complete file, so it is not reported.
        let directory = open(target.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    /// Discards everything written and removes the temporary file. Does nothing after ``commit()``.
    public func abort() {
        guard !finished else { return }
        finished = true
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporaryURL.path)
        buffer = []
    }

    /// Creates `destination` atomically from what `body` writes; if `body` or the commit throws, the
    /// temporary file is removed, the destination is untouched and the error is rethrown.
    public static func write(to destination: URL, _ body: (AtomicFileWriter) throws -> Void) throws {
        let writer = try AtomicFileWriter(destination: destination)
        do {
            try body(writer)
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Creates `destination` atomically with the contents `data`.
    /// - Throws: ``AtomicFileWriteError``.
    public static func write(_ data: Data, to destination: URL) throws {
        let writer = try AtomicFileWriter(destination: destination)
        try writer.write(data)
        try writer.commit()
    }

    /// The file a write to `destination` replaces: `destination` itself when it is absent or a
    /// regular file, the resolved target when it is a symbolic link to a regular file.
    /// - Throws: ``AtomicFileDestinationError`` for anything else, ``AtomicFileWriteError`` (operation
    ///   `inspect`) when `lstat` fails other than with `ENOENT`.
    static func target(of destination: URL) throws -> URL {
        let path = destination.path
        if destination.hasDirectoryPath { throw AtomicFileDestinationError.directoryPath(path: path) }
        guard let mode = try mode(ofLink: path) else { return destination }
        guard let kind = AtomicFileDestinationError.FileKind(mode: mode) else { return destination }
        guard kind == .symbolicLink else { throw AtomicFileDestinationError.notRegularFile(path: path, kind: kind) }
        guard let resolved = realpath(path, nil) else {
            throw AtomicFileDestinationError.unresolvableLink(path: path, code: errno)
        }
        let resolvedPath = String(cString: resolved)
        free(resolved)
        var info = stat()
        guard stat(resolvedPath, &info) == 0 else {
            throw AtomicFileDestinationError.unresolvableLink(path: path, code: errno)
        }
        if let targetKind = AtomicFileDestinationError.FileKind(mode: UInt32(info.st_mode)) {
            throw AtomicFileDestinationError.linkToNonRegularFile(path: path, target: resolvedPath, kind: targetKind)
        }
        return URL(fileURLWithPath: resolvedPath, isDirectory: false)
    }

    /// Throws unless `path` is absent or a regular file (not followed: the rename replaces the entry).
    static func checkReplaceable(_ path: String) throws {
        if let mode = try mode(ofLink: path), let kind = AtomicFileDestinationError.FileKind(mode: mode) {
            throw AtomicFileDestinationError.notRegularFile(path: path, kind: kind)
        }
    }

    /// `lstat(path).st_mode`, or `nil` when nothing is there.
    private static func mode(ofLink path: String) throws -> UInt32? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw AtomicFileWriteError(path: path, operation: .inspect, code: code)
        }
        return UInt32(info.st_mode)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { (raw) in try writeFully(raw) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        guard var pointer = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = systemWrite(descriptor, pointer, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                let error = AtomicFileWriteError(path: temporaryURL.path, operation: .write, code: errno)
                abort()
                throw error
            }
            pointer += written
            remaining -= written
        }
    }
}

/// A system call of ``AtomicFileWriter`` failed.
public struct AtomicFileWriteError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// What the writer was doing.
    public enum Operation: String, Sendable {
        /// Examining what the destination is (`lstat`).
        case inspect
        /// Creating the temporary file.
        case create
        /// Writing bytes.
        case write
        /// Flushing to disk.
        case sync
        /// Closing the temporary file.
        case close
        /// Renaming the temporary file over the destination.
        case rename
    }

    /// The file the operation was applied to.
    public var path: String
    /// The failed operation.
    public var operation: Operation
    /// The `errno` value.
    public var code: Int32

    /// Describes a failed operation.
    public init(path: String, operation: Operation, code: Int32) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    /// For example `cannot rename file to /a/b: Permission denied (errno 13)`.
    public var description: String {
        "cannot \(operation.rawValue) file \(path): \(String(cString: strerror(code))) (errno \(code))"
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}

/// `write(2)`, outside the class so that the name does not resolve to ``AtomicFileWriter/write(_:)``.
private func systemWrite(_ descriptor: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, pointer, count)
}
