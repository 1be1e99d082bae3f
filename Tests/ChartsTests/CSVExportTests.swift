import Foundation
import XCTest
import Charts

final class CSVExportTests: XCTestCase {
    func testSeriesWithDifferentStepsLeaveEmptyCells() {
        let a = ChartSeries(name: "a", points: [.init(x: 0, y: 1), .init(x: 2, y: 3)])
        let b = ChartSeries(name: "b, quoted \"x\"", points: [.init(x: 1, y: 5), .init(x: 2, y: 6)])
        let csv = CSVExport.string(for: [a, b], xColumn: "tokens")
        let expected = "tokens,a,\"b, quoted \"\"x\"\"\"\n" + "0,1.0,\n" + "1,,5.0\n" + "2,3.0,6.0\n"
        XCTAssertEqual(csv, expected)
    }

    func testNonIntegralXAndFileOutput() throws {
        let series = ChartSeries(name: "loss", points: [.init(x: 1.5e20, y: 2.5), .init(x: 0.25, y: 3)])
        let csv = CSVExport.string(for: [series], xColumn: "compute")
        XCTAssertEqual(csv, "compute,loss\n0.25,3.0\n1.5e+20,2.5\n")
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charts-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        try CSVExport.write([series], xColumn: "compute", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), csv)
    }
}
