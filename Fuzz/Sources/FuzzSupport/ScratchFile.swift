import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The parsers that take a URL memory-map their file, so each input is written to one scratch file
/// (in /dev/shm when it exists, so nothing touches the disk) and the parser opens that.
public enum ScratchFile {
    /// The scratch file of this process, created on first use and removed at exit.
    public static let url: URL = {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: directory).appendingPathComponent("minicpm-fuzz-\(getpid())")
        atexit { unlink(ScratchFile.url.path) }
        return url
    }()

    /// Replaces the scratch file's contents with `size` bytes at `data` and returns its URL.
    public static func write(_ data: UnsafePointer<UInt8>, _ size: Int) -> URL {
        let url = self.url
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(url.path)")
        var written = 0
        while written < size {
            let n = Glibc.write(fd, data + written, size - written)
            precondition(n > 0, "cannot write \(url.path)")
            written += n
        }
        close(fd)
        return url
    }
}
