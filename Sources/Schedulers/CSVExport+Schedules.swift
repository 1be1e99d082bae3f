import Charts

/// The one-call CSV of a schedule, for the common case of a single sampled learning-rate column.
extension CSVExport {
    /// The CSV text of one learning-rate schedule sampled at `steps` (columns `step,learning_rate`).
    ///
    /// ```swift
    /// let csv = CSVExport.string(for: wsd, steps: 0...10_000)
    /// // step,learning_rate
    /// // 0,0.0001
    /// ```
    public static func string(for schedule: any LearningRateSchedule, steps: some Sequence<Int>) -> String {
        string(for: [ChartSeries(schedule: schedule, steps: steps)])
    }
}
