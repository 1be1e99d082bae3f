import Charts

/// Sampling schedules into ``Charts/ChartSeries``: the one place where `Charts` (which knows only
/// points) meets the schedule protocols of this module.
extension ChartSeries {
    /// Samples a learning-rate schedule at `steps`.
    ///
    /// ```swift
    /// let steps = ChartSeries.evenlySpacedSteps(through: 10_000, count: 501)
    /// let series = ChartSeries(name: "WSD", schedule: wsd, steps: steps)
    /// ```
    public init(name: String = "learning_rate", schedule: any LearningRateSchedule, steps: some Sequence<Int>) {
        self.init(name: name, points: steps.map { ChartPoint(x: Double($0), y: schedule.learningRate(atStep: $0)) })
    }

    /// Samples a batch-size schedule (tokens) at `steps`.
    public init(name: String = "batch_size", batchSizes: any BatchSizeSchedule, steps: some Sequence<Int>) {
        self.init(name: name, points: steps.map { ChartPoint(x: Double($0), y: Double(batchSizes.batchSize(atStep: $0))) })
    }
}
