#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TensorCore
import XCTest

/// The atomic writer replaces only regular files: devices, FIFOs, directories and links to them are
/// refused with a typed error and left as they were (issue 11, hole 1).
final class AtomicFileDestinationTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-dest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    private func fileType(_ path: String) -> UInt32 {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return UInt32(info.st_mode) & 0o170000
    }

    private func assertRefused(_ destination: URL, _ expected: AtomicFileDestinationError,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AtomicFileWriter.write(Data([1, 2, 3]), to: destination), file: file, line: line) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, expected, "\($0)", file: file, line: line)
        }
    }

    func testCharacterDeviceIsRefusedAndKept() throws {
        assertRefused(URL(fileURLWithPath: "/dev/null"), .notRegularFile(path: "/dev/null", kind: .characterDevice))
        XCTAssertEqual(fileType("/dev/null"), 0o020000)
        let error = AtomicFileDestinationError.notRegularFile(path: "/dev/full", kind: .characterDevice)
        XCTAssertEqual(error.description,
                       "refusing to write /dev/full: it is a character device; an atomic write only creates or replaces a regular file")
    }

    func testFIFOIsRefusedAndKept() throws {
        let fifo = url("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        assertRefused(fifo, .notRegularFile(path: fifo.path, kind: .fifo))
        XCTAssertEqual(fileType(fifo.path), 0o010000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["pipe"])
    }

    func testDirectoryIsRefusedBeforeAnyTemporaryFile() throws {
        let folder = url("folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        assertRefused(folder, .notRegularFile(path: folder.path, kind: .directory))
        // `URL(fileURLWithPath:)` marks an existing directory as a directory path.
        assertRefused(URL(fileURLWithPath: folder.path), .directoryPath(path: folder.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["folder"])
    }

    func testEmptyPathIsRefused() throws {
        let empty = URL(fileURLWithPath: "")
        XCTAssertThrowsError(try AtomicFileWriter.write(Data([1]), to: empty)) {
            guard case .directoryPath(let path)? = $0 as? AtomicFileDestinationError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, FileManager.default.currentDirectoryPath)
            XCTAssertTrue("\($0)".contains("an empty path is the current directory"), "\($0)")
        }
        assertRefused(url("trailing/"), .directoryPath(path: url("trailing").path))
    }

    func testSymbolicLinkToFIFOIsRefusedAndKept() throws {
        let fifo = url("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let link = url("link")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "pipe")
        assertRefused(link, .linkToNonRegularFile(path: link.path, target: fifo.path, kind: .fifo))
        XCTAssertEqual(fileType(link.path), 0o120000)
        XCTAssertEqual(fileType(fifo.path), 0o010000)

        let devLink = url("null")
        try FileManager.default.createSymbolicLink(atPath: devLink.path, withDestinationPath: "/dev/null")
        assertRefused(devLink, .linkToNonRegularFile(path: devLink.path, target: "/dev/null", kind: .characterDevice))
    }

    func testDanglingSymbolicLinkIsRefused() throws {
        let link = url("dangling")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "nowhere")
        assertRefused(link, .unresolvableLink(path: link.path, code: ENOENT))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url("nowhere").path))
    }

    func testSymbolicLinkToRegularFileReplacesTheTargetAndKeepsTheLink() throws {
        let sub = url("real")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        let target = sub.appendingPathComponent("weights.bin")
        try Data("old".utf8).write(to: target)
        let link = url("weights.bin")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "real/weights.bin")
        let writer = try AtomicFileWriter(destination: link)
        XCTAssertEqual(writer.target.path, target.path)
        XCTAssertEqual(writer.temporaryURL.deletingLastPathComponent().path, sub.path)
        try writer.write(Array("new".utf8))
        try writer.commit()
        XCTAssertEqual(fileType(link.path), 0o120000)
        XCTAssertEqual(try Data(contentsOf: target), Data("new".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: sub.path), ["weights.bin"])
    }

    func testRegularFileIsStillReplacedAtomically() throws {
        let target = url("out.bin")
        try Data("old contents".utf8).write(to: target)
        var before = stat()
        XCTAssertEqual(stat(target.path, &before), 0)
        try AtomicFileWriter.write(Data([7, 8]), to: target)
        var after = stat()
        XCTAssertEqual(stat(target.path, &after), 0)
        XCTAssertNotEqual(before.st_ino, after.st_ino, "replaced by rename, not rewritten in place")
        XCTAssertEqual(try Data(contentsOf: target), Data([7, 8]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.bin"])
    }

    func testSomethingThatAppearsBeforeTheRenameIsNotReplaced() throws {
        let target = url("late")
        let writer = try AtomicFileWriter(destination: target)
        try writer.write([1])
        XCTAssertEqual(mkfifo(target.path, 0o600), 0)
        XCTAssertThrowsError(try writer.commit()) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: target.path, kind: .fifo))
        }
        XCTAssertEqual(fileType(target.path), 0o010000)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["late"])
    }

    func testSafetensorsAndGGUFWritersRefuseADevice() throws {
        var safetensors = SafetensorsWriter()
        try safetensors.add(Tensor(shape: [1], scalars: [1]), named: "a")
        XCTAssertThrowsError(try safetensors.write(to: URL(fileURLWithPath: "/dev/null"))) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: "/dev/null", kind: .characterDevice))
        }
        let fifo = url("model.gguf")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try GGUFWriter().write(to: fifo)) {
            XCTAssertEqual($0 as? AtomicFileDestinationError, .notRegularFile(path: fifo.path, kind: .fifo))
        }
    }
}
