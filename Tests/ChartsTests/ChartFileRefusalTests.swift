#if canImport(Glibc)
import Glibc
#endif
import AtomicWrite
import Charts
import Foundation
import XCTest

/// SVG and CSV files replace only regular files: a device, FIFO or directory at the destination is
/// refused and left as it was (issue 11, hole 1).
final class ChartFileRefusalTests: XCTestCase {
    private var directory: URL!
    private let chart = LineChart(series: [ChartSeries(name: "loss", points: [.init(x: 0, y: 3), .init(x: 1, y: 2)])])

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chart-write-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func fileType(_ path: String) -> UInt32 {
        var info = stat()
        XCTAssertEqual(lstat(path, &info), 0, path)
        return UInt32(info.st_mode) & 0o170000
    }

    func testDeviceFIFOAndDirectoryAreRefusedAndKept() throws {
        XCTAssertThrowsError(try chart.write(to: URL(fileURLWithPath: "/dev/null"))) {
            XCTAssertEqual($0 as? AtomicWriteError, .notRegularFile(path: "/dev/null", kind: "a character device"))
        }
        XCTAssertEqual(fileType("/dev/null"), 0o020000)

        let fifo = directory.appendingPathComponent("loss.csv")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try CSVExport.write(chart.series, to: fifo)) {
            XCTAssertEqual($0 as? AtomicWriteError, .notRegularFile(path: fifo.path, kind: "a FIFO (named pipe)"))
        }
        XCTAssertEqual(fileType(fifo.path), 0o010000)

        let link = directory.appendingPathComponent("link.svg")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "loss.csv")
        XCTAssertThrowsError(try chart.write(to: link)) {
            XCTAssertEqual($0 as? AtomicWriteError, .notRegularFile(path: fifo.path, kind: "a FIFO (named pipe)"))
        }

        let folder = directory.appendingPathComponent("folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        XCTAssertThrowsError(try chart.write(to: folder)) {
            XCTAssertEqual($0 as? AtomicWriteError, .notRegularFile(path: folder.path, kind: "a directory"))
        }
        XCTAssertThrowsError(try chart.write(to: URL(fileURLWithPath: ""))) {
            XCTAssertEqual($0 as? AtomicWriteError, .directoryPath(path: FileManager.default.currentDirectoryPath))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["folder", "link.svg", "loss.csv"])
    }

    func testRegularFileAndLinkToOneAreReplaced() throws {
        let target = directory.appendingPathComponent("loss.svg")
        try Data("old".utf8).write(to: target)
        let link = directory.appendingPathComponent("latest.svg")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "loss.svg")
        try chart.write(to: link)
        XCTAssertEqual(fileType(link.path), 0o120000)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), chart.svg())
        try CSVExport.write(chart.series, to: target)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), CSVExport.string(for: chart.series))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["latest.svg", "loss.svg"])
    }
}
