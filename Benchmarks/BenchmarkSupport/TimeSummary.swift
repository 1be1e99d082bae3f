/// Median and best (minimum) of a sample of run times, as the JSON reports carry them.
public struct TimeSummary: Codable, Sendable {
    public var medianSeconds: Double
    public var minimumSeconds: Double
    public var runs: Int

    /// The summary of a non-empty sample of seconds.
    public init(_ samples: [Double]) {
        medianSeconds = median(samples)
        minimumSeconds = samples.min()!
        runs = samples.count
    }
}
