import Foundation

/// `x` with `digits` decimals.
public func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

/// `s` padded with spaces to `width` characters, on the left when `right` (right-aligned).
public func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    if s.count >= width { return s }
    let fill = String(repeating: " ", count: width - s.count)
    return right ? fill + s : s + fill
}

/// A Markdown table with padded columns (so it reads as a table in a terminal and pastes into
/// `Docs/Performance.md` unchanged); columns in `numeric` are right-aligned.
public func markdownTable(_ header: [String], _ body: [[String]], numeric: Set<Int>) -> String {
    let rows = [header] + body
    let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max()! }
    var lines: [String] = []
    for (i, row) in rows.enumerated() {
        let cells = row.enumerated().map { c, s in pad(s, widths[c], right: numeric.contains(c) && i > 0) }
        lines.append("| " + cells.joined(separator: " | ") + " |")
        if i == 0 {
            lines.append("|" + widths.enumerated().map { c, w in
                numeric.contains(c) ? String(repeating: "-", count: w + 1) + ":" : String(repeating: "-", count: w + 2)
            }.joined(separator: "|") + "|")
        }
    }
    return lines.joined(separator: "\n")
}
