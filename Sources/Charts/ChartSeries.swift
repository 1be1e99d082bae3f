/// A named sequence of points: what ``CSVExport`` writes as a column and ``LineChart`` draws.
///
/// Build one from points, or (in `Schedulers`) by sampling a schedule at chosen steps:
///
/// ```swift
/// let losses = ChartSeries(name: "loss", points: zip(steps, values).map { ChartPoint(x: $0, y: $1) })
/// let steps = ChartSeries.evenlySpacedSteps(through: 10_000, count: 501)
/// let series = ChartSeries(name: "WSD", schedule: wsd, steps: steps)    // import Schedulers
/// ```
public struct ChartSeries: Hashable, Sendable {
    /// How ``LineChart`` draws a series.
    public enum Style: Hashable, Sendable {
        /// A polyline through the points, in order.
        case line
        /// A dot at every point (for measurements next to a fitted curve).
        case markers
    }

    /// The series' name: its CSV column header and its legend entry.
    public var name: String
    /// The points, in drawing order.
    public var points: [ChartPoint]
    /// How charts draw it.
    public var style: Style

    /// Creates a series from points.
    public init(name: String, points: [ChartPoint], style: Style = .line) {
        self.name = name
        self.points = points
        self.style = style
    }

    /// `count` steps spread as evenly as integers allow over `0 ... lastStep`, always including both
    /// ends and never repeating a step (so fewer than `count` when `lastStep + 1 < count`).
    ///
    /// - Precondition: `lastStep >= 0` and `count >= 2`.
    public static func evenlySpacedSteps(through lastStep: Int, count: Int) -> [Int] {
        precondition(lastStep >= 0 && count >= 2, "evenlySpacedSteps: needs lastStep >= 0 and count >= 2")
        if lastStep + 1 <= count { return Array(0...lastStep) }
        return (0..<count).map { index in
            Int((Double(index) * Double(lastStep) / Double(count - 1)).rounded())
        }
    }
}
