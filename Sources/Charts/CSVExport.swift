import AtomicWrite
import Foundation

/// Writes series (sampled schedules, loss curves) as CSV.
///
/// The first column holds the x values (`step` by default), one further column per series. Rows are
/// the union of all series' x values in increasing order; a series without a point at a row's x
/// leaves its cell empty. Numbers are written in Swift's shortest round-trip form (`0.01`,
/// `1e-05`), integral x values without a fraction, so a reader gets back exactly what was sampled.
///
/// ```swift
/// let points = [ChartPoint(x: 0, y: 0.0001), ChartPoint(x: 1, y: 0.0002)]
/// let csv = CSVExport.string(for: [ChartSeries(name: "lr", points: points)])
/// // step,lr
/// // 0,0.0001
/// // …
/// ```
public enum CSVExport {
    /// The CSV text for `series`, with header `xColumn,<series names…>` and `\n` line ends.
    public static func string(for series: [ChartSeries], xColumn: String = "step") -> String {
        let columns = series.map { entry in
            Dictionary(entry.points.map { ($0.x, $0.y) }, uniquingKeysWith: { first, _ in first })
        }
        let xs = Set(series.flatMap { $0.points.map(\.x) }).sorted()
        var lines = [([xColumn] + series.map(\.name)).map(escaped).joined(separator: ",")]
        lines.reserveCapacity(xs.count + 1)
        for x in xs {
            let cells = [formatX(x)] + columns.map { column in column[x].map { "\($0)" } ?? "" }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes ``string(for:xColumn:)`` to `url` atomically, as UTF-8, creating or replacing only a
    /// regular file (a link to one is followed).
    /// - Throws: `AtomicWriteError`, for example for a directory, device or FIFO at `url`.
    public static func write(_ series: [ChartSeries], xColumn: String = "step", to url: URL) throws {
        try AtomicWrite.write(Data(string(for: series, xColumn: xColumn).utf8), to: url)
    }

    private static func formatX(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 9.0e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// RFC 4180 quoting for a header field.
    private static func escaped(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
