import BenchmarkSupport

/// One measured operation compared with a baseline measured in the same run.
struct BenchmarkResult: Codable {
    /// `matmul` or `elementwise`.
    var group: String
    var name: String
    var threads: Int
    var shape: String
    /// `GFLOP/s` or `GB/s`.
    var unit: String
    /// Floating-point operations (matmul) or bytes read + written (elementwise) per run.
    var workPerRun: Double
    /// Work the baseline does per run, in the same unit (a copy moves fewer bytes than `a + b`).
    var baselineWorkPerRun: Double
    var time: TimeSummary
    var throughputMedian: Double
    var throughputBest: Double
    var baselineName: String
    var baselineTime: TimeSummary
    var baselineThroughputMedian: Double
    var baselineThroughputBest: Double
    /// Throughput ratio of medians (operation / baseline).
    var ratioMedian: Double
    /// Throughput ratio of best runs (operation / baseline).
    var ratioBest: Double
    /// The ratio the operation should reach; `nil` for rows shown for information only.
    var goal: Double?
    var meetsGoal: Bool?
    var note: String?

    init(group: String, name: String, threads: Int, shape: String, unit: String, workPerRun: Double,
         samples: [Double], baselineName: String, baselineSamples: [Double], baselineWorkPerRun: Double? = nil,
         goal: Double?, note: String? = nil) {
        let scale = 1e-9   // GFLOP/s and GB/s
        self.group = group
        self.name = name
        self.threads = threads
        self.shape = shape
        self.unit = unit
        self.workPerRun = workPerRun
        self.baselineWorkPerRun = baselineWorkPerRun ?? workPerRun
        time = TimeSummary(samples)
        baselineTime = TimeSummary(baselineSamples)
        self.baselineName = baselineName
        throughputMedian = workPerRun / time.medianSeconds * scale
        throughputBest = workPerRun / time.minimumSeconds * scale
        baselineThroughputMedian = self.baselineWorkPerRun / baselineTime.medianSeconds * scale
        baselineThroughputBest = self.baselineWorkPerRun / baselineTime.minimumSeconds * scale
        ratioMedian = throughputMedian / baselineThroughputMedian
        ratioBest = throughputBest / baselineThroughputBest
        self.goal = goal
        meetsGoal = goal.map { ratioMedian >= $0 }
        self.note = note
    }
}

/// The human-readable table (Markdown, so it pastes into `Docs/Performance.md` unchanged).
func table(_ results: [BenchmarkResult]) -> String {
    let header = ["op", "shape", "thr", "TensorCore median (best)", "baseline", "baseline median (best)",
                  "ratio median (best)", "goal", "ok"]
    let body = results.map { r in
        let digits = r.throughputMedian >= 100 ? 1 : 2
        return [
            r.name, r.shape, "\(r.threads)",
            "\(format(r.throughputMedian, digits)) (\(format(r.throughputBest, digits))) \(r.unit)",
            r.baselineName,
            "\(format(r.baselineThroughputMedian, digits)) (\(format(r.baselineThroughputBest, digits))) \(r.unit)",
            "\(format(r.ratioMedian, 3)) (\(format(r.ratioBest, 3)))",
            r.goal.map { "≥ \(format($0, 2))" } ?? "info",
            r.meetsGoal.map { $0 ? "yes" : "NO" } ?? "–",
        ]
    }
    return markdownTable(header, body, numeric: [2, 3, 5, 6])
}
