import Charts

/// The loss curves of a run as a line chart: the training loss per step (and its moving average
/// over `smoothing` steps, since per-step losses are noisy) and the held-out loss per token.
public func lossCurveChart(steps: [StepRecord], evaluations: [EvaluationRecord], title: String = "training loss",
                           smoothing: Int = 20) -> LineChart {
    var series = [ChartSeries(name: "train loss", points: steps.map { ChartPoint(x: Double($0.step + 1), y: $0.loss) })]
    if smoothing > 1, steps.count > smoothing {
        var points: [ChartPoint] = []
        var window = 0.0
        for (i, record) in steps.enumerated() {
            window += record.loss
            if i >= smoothing { window -= steps[i - smoothing].loss }
            if i >= smoothing - 1 { points.append(ChartPoint(x: Double(record.step + 1), y: window / Double(smoothing))) }
        }
        series.append(ChartSeries(name: "train loss (mean of \(smoothing))", points: points))
    }
    if !evaluations.isEmpty {
        series.append(ChartSeries(name: "held-out loss", points: evaluations.map {
            ChartPoint(x: Double($0.step), y: $0.lossPerToken)
        }, style: .markers))
    }
    return LineChart(title: title, xLabel: "step", yLabel: "loss (nats/token)", series: series, yIncludesZero: false)
}
