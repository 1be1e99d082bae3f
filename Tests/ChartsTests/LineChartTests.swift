import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Charts

/// Parses the SVG as XML and records what the tests check.
private final class SVGInspector: NSObject, XMLParserDelegate {
    var elementCounts: [String: Int] = [:]
    var polylinePoints: [[(Double, Double)]] = []
    var circles = 0
    var texts: [String] = []
    var rootName: String?
    var rootAttributes: [String: String] = [:]
    private var currentText = ""
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if rootName == nil { rootName = name; rootAttributes = attributes }
        elementCounts[name, default: 0] += 1
        if name == "polyline" {
            let pairs = (attributes["points"] ?? "").split(separator: " ").map { pair -> (Double, Double) in
                let parts = pair.split(separator: ",")
                return (Double(parts[0]) ?? .nan, Double(parts[1]) ?? .nan)
            }
            polylinePoints.append(pairs)
        }
        if name == "circle" { circles += 1 }
        if name == "text" { inText = true; currentText = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { currentText += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(currentText); inText = false }
    }
}

final class LineChartTests: XCTestCase {
    private func inspect(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> SVGInspector {
        let parser = XMLParser(data: Data(svg.utf8))
        let inspector = SVGInspector()
        parser.delegate = inspector
        XCTAssertTrue(parser.parse(), "well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return inspector
    }

    /// The MiniCPM run's WSD shape written out here (Charts knows no schedules): 100 warmup steps to
    /// 0.01, stable through step 8000, then halving every 5000 steps.
    static func wsdRate(_ step: Int) -> Double {
        let peak = 0.01
        if step < 100 { return peak * Double(step + 1) / 100 }
        if step <= 8_000 { return peak }
        return peak * pow(0.5, Double(step - 8_000) / 5_000)
    }

    /// `function` sampled at `steps`.
    func series(_ name: String, _ steps: [Int], _ function: (Int) -> Double) -> ChartSeries {
        ChartSeries(name: name, points: steps.map { ChartPoint(x: Double($0), y: function($0)) })
    }

    func testWSDChartIsWellFormedWithOnePolylineOfEverySample() {
        let steps = ChartSeries.evenlySpacedSteps(through: 10_000, count: 501)
        XCTAssertEqual(steps.count, 501)
        XCTAssertEqual(steps.first, 0)
        XCTAssertEqual(steps.last, 10_000)
        let chart = LineChart(title: "WSD & friends <test>", series: [series("WSD", steps, Self.wsdRate)])
        let svg = chart.svg()
        let inspector = inspect(svg)
        XCTAssertEqual(inspector.rootName, "svg")
        XCTAssertEqual(inspector.rootAttributes["xmlns"], "http://www.w3.org/2000/svg")
        XCTAssertEqual(inspector.elementCounts["polyline"], 1)
        XCTAssertEqual(inspector.polylinePoints.first?.count, 501)
        XCTAssertTrue(inspector.texts.contains("WSD & friends <test>"), "title escaped and restored")
        XCTAssertTrue(inspector.texts.contains("step"))
        XCTAssertTrue(inspector.texts.contains("learning rate"))
        XCTAssertTrue(inspector.texts.contains("10k"), "x tick labels: \(inspector.texts)")
        XCTAssertTrue(inspector.texts.contains("0.01"), "y tick labels: \(inspector.texts)")
        XCTAssertNil(inspector.elementCounts["circle"], "no legend for a single series")

        // Every point lies inside the plot area; the curve's highest points are the stable phase.
        let points = inspector.polylinePoints[0]
        XCTAssertTrue(points.allSatisfy { $0.0 >= 0 && $0.0 <= 720 && $0.1 >= 0 && $0.1 <= 420 })
        XCTAssertEqual(points[0].0, 84, accuracy: 0.01, "step 0 at the left edge of the plot")
        let top = points.map(\.1).min()!
        XCTAssertEqual(points[200].1, top, accuracy: 0.01, "step 4000 is at the peak")
        XCTAssertGreaterThan(points[500].1, top, "the end is decayed")
    }

    func testSeveralSeriesGetALegendAndMarkersDrawCircles() {
        let steps = Array(stride(from: 0, through: 1_000, by: 10))
        let all = [
            series("cosine", steps) { 0.55 + 0.45 * cos(Double.pi * Double($0) / 1_000) },
            series("loop", steps) { 0.55 + 0.45 * cos(Double.pi * Double($0) / 500) },
            ChartSeries(name: "measured", points: [.init(x: 100, y: 0.5), .init(x: 200, y: 0.4)], style: .markers),
        ]
        let inspector = inspect(LineChart(series: all).svg())
        XCTAssertEqual(inspector.polylinePoints.map(\.count), [101, 101])
        XCTAssertEqual(inspector.circles, 2 + 1, "two markers and one legend marker")
        XCTAssertTrue(inspector.texts.contains("cosine"))
        XCTAssertTrue(inspector.texts.contains("measured"))
    }

    func testLogarithmicAxesDropPointsTheyCannotShow() {
        let points = [0.0, 1e18, 1e19, 1e20, 1e21].map { ChartPoint(x: $0, y: 3 + $0 / 1e21) }
        let chart = LineChart(xLabel: "compute", yLabel: "loss", series: [ChartSeries(name: "loss", points: points)],
                              xScale: .logarithmic, yIncludesZero: false)
        let inspector = inspect(chart.svg())
        XCTAssertEqual(inspector.polylinePoints.first?.count, 4, "x = 0 is left out on a log axis")
        XCTAssertTrue(inspector.texts.contains("1e18"))
        XCTAssertTrue(inspector.texts.contains("1e21"))
    }

    func testEvenlySpacedStepsNeverRepeat() {
        XCTAssertEqual(ChartSeries.evenlySpacedSteps(through: 4, count: 10), [0, 1, 2, 3, 4])
        XCTAssertEqual(ChartSeries.evenlySpacedSteps(through: 10, count: 3), [0, 5, 10])
        let many = ChartSeries.evenlySpacedSteps(through: 999, count: 700)
        XCTAssertEqual(Set(many).count, 700)
        XCTAssertEqual(many, many.sorted())
    }

    func testNiceTicksAndLabels() {
        let steps = ChartAxis(values: [0, 10_000], scale: .linear, includeZero: false)
        XCTAssertEqual(steps.ticks, [0, 2_000, 4_000, 6_000, 8_000, 10_000])
        XCTAssertEqual(steps.labels, ["0", "2k", "4k", "6k", "8k", "10k"])
        let rates = ChartAxis(values: [0.0001, 0.01], scale: .linear, includeZero: true)
        XCTAssertEqual(rates.labels, ["0", "0.002", "0.004", "0.006", "0.008", "0.01"])
        let small = ChartAxis(values: [0, 3e-5], scale: .linear, includeZero: true)
        XCTAssertEqual(small.labels, ["0", "5e-6", "1e-5", "1.5e-5", "2e-5", "2.5e-5", "3e-5"])
        let tokens = ChartAxis(values: [2e6, 4e6], scale: .linear, includeZero: true)
        XCTAssertEqual(tokens.labels.last, "4M")
        XCTAssertEqual(SVGElement.escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
    }

    func testWritesAFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("charts-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: url) }
        let chart = LineChart(series: [series("learning_rate", [0, 100, 9_000], Self.wsdRate)])
        try chart.write(to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), chart.svg())
    }
}
