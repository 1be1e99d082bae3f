/// How a ``LineChart`` axis maps values to positions.
public enum AxisScale: Hashable, Sendable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (base 10); non-positive values are left out of the chart.
    case logarithmic
}
