#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// ``AtomicFileWriter`` refused a destination because replacing it would destroy something that is
/// not a regular file.
///
/// An atomic write ends in `rename(2)`, which replaces whatever the destination names: as root,
/// writing to `/dev/full` would replace the device node with a regular file, and writing to a FIFO or
/// socket would silently unlink it. So the writer replaces only a regular file or creates a new one;
/// a symbolic link is followed when it resolves to a regular file (the link stays, its target is
/// replaced atomically in the target's directory) and refused otherwise. Writing into a stream
/// (a pipe, a terminal, `/dev/stdout`) is not an atomic write, so it is refused too rather than
/// being emulated with a plain `write(2)`.
public enum AtomicFileDestinationError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The kind of file system object found at a destination.
    public enum FileKind: Sendable, Equatable, CustomStringConvertible {
        /// A directory.
        case directory
        /// A character device such as `/dev/null` or `/dev/full`.
        case characterDevice
        /// A block device such as a disk.
        case blockDevice
        /// A named pipe (`mkfifo`).
        case fifo
        /// A Unix domain socket.
        case socket
        /// A symbolic link (found at the resolved target just before the rename: it changed meanwhile).
        case symbolicLink
        /// A file type this writer does not know, with its `st_mode` type bits.
        case other(mode: UInt32)

        /// The kind for `st_mode` (`nil` for a regular file).
        init?(mode: UInt32) {
            switch mode & 0o170000 {
            case 0o100000: return nil
            case 0o040000: self = .directory
            case 0o020000: self = .characterDevice
            case 0o060000: self = .blockDevice
            case 0o010000: self = .fifo
            case 0o140000: self = .socket
            case 0o120000: self = .symbolicLink
            default: self = .other(mode: mode & 0o170000)
            }
        }

        /// For example `a character device`.
        public var description: String {
            switch self {
            case .directory: "a directory"
            case .characterDevice: "a character device"
            case .blockDevice: "a block device"
            case .fifo: "a FIFO (named pipe)"
            case .socket: "a socket"
            case .symbolicLink: "a symbolic link"
            case let .other(mode): "a file of type 0o\(String(mode, radix: 8))"
            }
        }
    }

    /// The URL names a directory rather than a file: an empty path (the current directory), `.`, or
    /// a path ending in `/`.
    case directoryPath(path: String)
    /// `path` is not a regular file.
    case notRegularFile(path: String, kind: FileKind)
    /// `path` is a symbolic link whose target `target` is not a regular file.
    case linkToNonRegularFile(path: String, target: String, kind: FileKind)
    /// `path` is a symbolic link that does not resolve (dangling, a loop, or a component that cannot
    /// be searched): `code` is the `errno` of resolving it.
    case unresolvableLink(path: String, code: Int32)

    /// The destination the error is about, as given.
    public var path: String {
        switch self {
        case let .directoryPath(path), let .notRegularFile(path, _), let .linkToNonRegularFile(path, _, _),
             let .unresolvableLink(path, _): path
        }
    }

    /// For example `refusing to write /dev/full: it is a character device; only a regular file is replaced`.
    public var description: String {
        let rule = "an atomic write only creates or replaces a regular file"
        switch self {
        case let .directoryPath(path):
            return "cannot write \(path): the path names a directory, not a file (an empty path is the current directory)"
        case let .notRegularFile(path, kind):
            return "refusing to write \(path): it is \(kind); \(rule)"
        case let .linkToNonRegularFile(path, target, kind):
            return "refusing to write \(path): it is a symbolic link to \(target), which is \(kind); \(rule)"
        case let .unresolvableLink(path, code):
            return "refusing to write \(path): it is a symbolic link that does not resolve: \(String(cString: strerror(code))) (errno \(code))"
        }
    }

    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
