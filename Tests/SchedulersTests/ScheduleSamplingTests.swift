import Charts
import Foundation
import Schedulers
import XCTest

/// Schedules sampled into `Charts` series and CSV (`ChartSeries+Schedules`, `CSVExport+Schedules`).
final class ScheduleSamplingTests: XCTestCase {
    func testOneScheduleRoundTrips() {
        let wsd = WSDSchedule(peak: 0.01, warmupSteps: 10, stableEnd: 50, decay: .exponential(halfLife: 20))
        let csv = CSVExport.string(for: wsd, steps: 0...100)
        let lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.first, "step,learning_rate")
        XCTAssertEqual(lines.last, "", "ends with a newline")
        XCTAssertEqual(lines.count, 1 + 101 + 1)
        for line in lines.dropFirst().dropLast() {
            let cells = line.split(separator: ",")
            XCTAssertEqual(cells.count, 2)
            let step = Int(cells[0])!, rate = Double(cells[1])!
            XCTAssertEqual(rate, wsd.learningRate(atStep: step), "values round-trip exactly")
        }
        XCTAssertEqual(lines[1], "0,0.001")
        XCTAssertEqual(lines[51], "50,0.01")
    }

    func testLearningRatesSampleIntoASeries() {
        let schedule = ConstantSchedule(learningRate: 0.5).warmingUp(over: 4)
        let series = ChartSeries(schedule: schedule, steps: [0, 1, 3, 10])
        XCTAssertEqual(series.name, "learning_rate")
        XCTAssertEqual(series.points, [ChartPoint(x: 0, y: 0.125), ChartPoint(x: 1, y: 0.25),
                                       ChartPoint(x: 3, y: 0.5), ChartPoint(x: 10, y: 0.5)])
        XCTAssertEqual(series.style, .line)
    }

    func testBatchSizesSampleIntoASeries() {
        let batch = SteppedBatchSize(initialTokens: 2_000_000, changes: [.init(step: 5, tokens: 4_000_000)])
        let series = ChartSeries(batchSizes: batch, steps: 0..<10)
        XCTAssertEqual(series.name, "batch_size")
        XCTAssertEqual(series.points.map(\.y), [2e6, 2e6, 2e6, 2e6, 2e6, 4e6, 4e6, 4e6, 4e6, 4e6])
    }
}
