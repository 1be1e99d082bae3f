import AtomicWrite
import Foundation

/// A line chart written as a standalone SVG file: axes with labelled ticks, grid lines, a title,
/// axis labels, one polyline (or set of markers) per series and a legend when there is more than
/// one series.
///
/// It is deliberately small — enough to look at a schedule, a loss curve or a fit, and to commit the
/// figure next to the docs — and needs nothing but this module (no plotting dependency), which is
/// why it lives in its own target that Schedulers, training and evaluation code can all use.
///
/// ```swift
/// let losses = ChartSeries(name: "loss", points: [ChartPoint(x: 0, y: 3.1), ChartPoint(x: 100, y: 2.4)])
/// let chart = LineChart(title: "Training loss", yLabel: "loss", series: [losses], yIncludesZero: false)
/// try chart.write(to: URL(fileURLWithPath: "loss.svg"))
/// ```
public struct LineChart: Sendable {
    /// The title above the plot (omitted when empty).
    public var title: String
    /// The label under the horizontal axis.
    public var xLabel: String
    /// The label beside the vertical axis.
    public var yLabel: String
    /// The series, drawn in order; colours cycle through a fixed palette.
    public var series: [ChartSeries]
    /// The scale of the horizontal axis.
    public var xScale: AxisScale
    /// The scale of the vertical axis.
    public var yScale: AxisScale
    /// Whether a linear vertical axis always shows zero (natural for rates and batch sizes).
    public var yIncludesZero: Bool
    /// The image size, in SVG user units (pixels).
    public var width: Double
    /// The image size, in SVG user units (pixels).
    public var height: Double

    /// Creates a chart; only `series` is required.
    public init(title: String = "", xLabel: String = "step", yLabel: String = "learning rate",
                series: [ChartSeries], xScale: AxisScale = .linear, yScale: AxisScale = .linear,
                yIncludesZero: Bool = true, width: Double = 720, height: Double = 420) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yScale = yScale
        self.yIncludesZero = yIncludesZero
        self.width = width
        self.height = height
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    /// The chart as a standalone SVG document.
    ///
    /// Points that cannot be drawn (non-finite values, or non-positive values on a logarithmic
    /// axis) are left out.
    public func svg() -> String {
        let margin = (left: 84.0, right: 24.0, top: title.isEmpty ? 24.0 : 44.0, bottom: 58.0)
        let plot = (x: margin.left, y: margin.top,
                    width: max(width - margin.left - margin.right, 1),
                    height: max(height - margin.top - margin.bottom, 1))
        let probeX = ChartAxis(values: [], scale: xScale, includeZero: false)
        let probeY = ChartAxis(values: [], scale: yScale, includeZero: false)
        let drawable = series.map { entry in
            entry.points.filter { probeX.canPlot($0.x) && probeY.canPlot($0.y) }
        }
        let xAxis = ChartAxis(values: drawable.flatMap { $0.map(\.x) }, scale: xScale, includeZero: false)
        let yAxis = ChartAxis(values: drawable.flatMap { $0.map(\.y) }, scale: yScale, includeZero: yIncludesZero)
        func px(_ x: Double) -> Double { plot.x + xAxis.fraction(of: x) * plot.width }
        func py(_ y: Double) -> Double { plot.y + (1 - yAxis.fraction(of: y)) * plot.height }

        var body: [SVGElement] = [
            SVGElement("rect", ["x": "0", "y": "0", "width": n(width), "height": n(height), "fill": "white"]),
        ]
        if !title.isEmpty {
            body.append(SVGElement("text", ["x": n(width / 2), "y": n(margin.top / 2 + 6),
                                            "text-anchor": "middle", "font-size": "16", "font-weight": "bold"],
                                   text: title))
        }

        // Grid and ticks.
        var grid: [SVGElement] = [], ticks: [SVGElement] = []
        for (value, label) in zip(xAxis.ticks, xAxis.labels) {
            let x = n(px(value))
            grid.append(SVGElement("line", ["x1": x, "y1": n(plot.y), "x2": x, "y2": n(plot.y + plot.height)]))
            ticks.append(SVGElement("line", ["x1": x, "y1": n(plot.y + plot.height), "x2": x,
                                             "y2": n(plot.y + plot.height + 5)]))
            ticks.append(SVGElement("text", ["x": x, "y": n(plot.y + plot.height + 20), "text-anchor": "middle"],
                                    text: label))
        }
        for (value, label) in zip(yAxis.ticks, yAxis.labels) {
            let y = n(py(value))
            grid.append(SVGElement("line", ["x1": n(plot.x), "y1": y, "x2": n(plot.x + plot.width), "y2": y]))
            ticks.append(SVGElement("line", ["x1": n(plot.x - 5), "y1": y, "x2": n(plot.x), "y2": y]))
            ticks.append(SVGElement("text", ["x": n(plot.x - 8), "y": n(py(value) + 4), "text-anchor": "end"],
                                    text: label))
        }
        body.append(SVGElement("g", ["class": "grid", "stroke": "#e5e5e5", "stroke-width": "1"], children: grid))
        body.append(SVGElement("g", ["class": "axes", "stroke": "#333333", "stroke-width": "1", "fill": "none"], children: [
            SVGElement("line", ["x1": n(plot.x), "y1": n(plot.y + plot.height),
                                "x2": n(plot.x + plot.width), "y2": n(plot.y + plot.height)]),
            SVGElement("line", ["x1": n(plot.x), "y1": n(plot.y), "x2": n(plot.x), "y2": n(plot.y + plot.height)]),
        ]))
        body.append(SVGElement("g", ["class": "ticks", "stroke": "#333333", "font-size": "11",
                                     "font-family": "sans-serif"], children: ticks.map { tick in
            var tick = tick
            if tick.name == "text" { tick.attributes.append(.init(name: "stroke", value: "none")) }
            return tick
        }))
        body.append(SVGElement("text", ["x": n(plot.x + plot.width / 2), "y": n(height - 14),
                                        "text-anchor": "middle", "font-size": "13"], text: xLabel))
        let yLabelX = n(18), yLabelY = n(plot.y + plot.height / 2)
        body.append(SVGElement("text", ["x": yLabelX, "y": yLabelY, "text-anchor": "middle", "font-size": "13",
                                        "transform": "rotate(-90 \(yLabelX) \(yLabelY))"], text: yLabel))

        // Data.
        var data: [SVGElement] = []
        for (index, (entry, points)) in zip(series, drawable).enumerated() {
            let color = Self.palette[index % Self.palette.count]
            switch entry.style {
            case .line:
                let coordinates = points.map { "\(n(px($0.x))),\(n(py($0.y)))" }.joined(separator: " ")
                data.append(SVGElement("polyline", ["fill": "none", "stroke": color, "stroke-width": "2",
                                                    "stroke-linejoin": "round", "points": coordinates],
                                       children: [SVGElement("title", text: entry.name)]))
            case .markers:
                data.append(SVGElement("g", ["fill": color, "stroke": "none"],
                                       children: [SVGElement("title", text: entry.name)] + points.map {
                    SVGElement("circle", ["cx": n(px($0.x)), "cy": n(py($0.y)), "r": "3"])
                }))
            }
        }
        body.append(SVGElement("g", ["class": "data", "font-family": "sans-serif"], children: data))

        if series.count > 1 {
            var legend: [SVGElement] = []
            let longest = series.map(\.name.count).max() ?? 0
            let box = (width: 40 + 7 * Double(longest), height: Double(series.count) * 18 + 8)
            let origin = legendOrigin(size: box, plot: plot, series: drawable.map { $0.map { (px($0.x), py($0.y)) } })
            legend.append(SVGElement("rect", ["x": n(origin.x), "y": n(origin.y), "width": n(box.width),
                                              "height": n(box.height), "fill": "white",
                                              "fill-opacity": "0.85", "stroke": "#cccccc"]))
            for (index, entry) in series.enumerated() {
                let color = Self.palette[index % Self.palette.count]
                let y = origin.y + 14 + Double(index) * 18
                legend.append(entry.style == .line
                    ? SVGElement("line", ["x1": n(origin.x + 8), "y1": n(y - 4), "x2": n(origin.x + 28), "y2": n(y - 4),
                                          "stroke": color, "stroke-width": "2"])
                    : SVGElement("circle", ["cx": n(origin.x + 18), "cy": n(y - 4), "r": "3", "fill": color]))
                legend.append(SVGElement("text", ["x": n(origin.x + 34), "y": n(y)], text: entry.name))
            }
            body.append(SVGElement("g", ["class": "legend", "font-size": "12", "font-family": "sans-serif"],
                                   children: legend))
        }

        let root = SVGElement("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": n(width), "height": n(height),
                                      "viewBox": "0 0 \(n(width)) \(n(height))", "font-family": "sans-serif"],
                              children: body)
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root.rendered()
    }

    /// The top-left corner for the legend box: of a grid of candidate places inside the plot (top
    /// right first), the one that covers the fewest drawn points and line pieces.
    private func legendOrigin(size: (width: Double, height: Double),
                              plot: (x: Double, y: Double, width: Double, height: Double),
                              series: [[(Double, Double)]]) -> (x: Double, y: Double) {
        // Points along every line (segments subdivided so that long straight pieces count too).
        var samples: [(Double, Double)] = []
        for (entry, points) in zip(self.series, series) {
            samples += points
            guard entry.style == .line else { continue }
            for (a, b) in zip(points, points.dropFirst()) {
                for k in 1..<8 {
                    let t = Double(k) / 8
                    samples.append((a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t))
                }
            }
        }
        let pad = 8.0
        let xs = (0...4).map { plot.x + plot.width - size.width - pad - Double($0) * (plot.width - size.width - 2 * pad) / 4 }
        let ys = [plot.y + pad, plot.y + (plot.height - size.height) / 2, plot.y + plot.height - size.height - pad]
        var best = (x: xs[0], y: ys[0]), fewest = Int.max
        for y in ys {
            for x in xs {
                let covered = samples.reduce(0) { count, point in
                    count + (point.0 >= x - 2 && point.0 <= x + size.width + 2
                             && point.1 >= y - 2 && point.1 <= y + size.height + 2 ? 1 : 0)
                }
                if covered < fewest { fewest = covered; best = (x, y) }
            }
        }
        return best
    }

    /// Writes ``svg()`` to `url` atomically, as UTF-8, creating or replacing only a regular file (a
    /// link to one is followed).
    /// - Throws: `AtomicWriteError`, for example for a directory, device or FIFO at `url`.
    public func write(to url: URL) throws {
        try AtomicWrite.write(Data(svg().utf8), to: url)
    }

    /// A coordinate with at most two decimals and no trailing zeros.
    private func n(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
