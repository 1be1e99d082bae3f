/// One point of a ``ChartSeries``.
public struct ChartPoint: Hashable, Sendable {
    /// The horizontal coordinate (a step, a compute budget, …).
    public var x: Double
    /// The vertical coordinate (a learning rate, a batch size, a loss, …).
    public var y: Double

    /// Creates the point `(x, y)`.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}
