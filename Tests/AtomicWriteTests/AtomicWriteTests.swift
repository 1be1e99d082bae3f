#if canImport(Glibc)
import Glibc
#endif
import AtomicWrite
import Foundation
import XCTest

/// `AtomicWrite` creates or replaces only regular files.
final class AtomicWriteTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testReplacesARegularFileThroughANewInode() throws {
        let file = directory.appendingPathComponent("out.bin")
        try Data("old".utf8).write(to: file)
        let before = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
        try AtomicWrite.write(Data("new".utf8), to: file)
        XCTAssertEqual(try Data(contentsOf: file), Data("new".utf8))
        XCTAssertNotEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int, before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["out.bin"], "no temporary file left")
    }

    func testRefusesAFIFOAndLeavesIt() throws {
        let fifo = directory.appendingPathComponent("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try AtomicWrite.write(Data("x".utf8), to: fifo)) {
            XCTAssertEqual($0 as? AtomicWriteError, .notRegularFile(path: fifo.path, kind: "a FIFO (named pipe)"))
        }
        var info = stat()
        XCTAssertEqual(lstat(fifo.path, &info), 0)
        XCTAssertEqual(UInt32(info.st_mode) & 0o170000, 0o010000, "still a FIFO")
    }
}
